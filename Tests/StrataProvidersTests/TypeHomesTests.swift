import StrataModel
import Testing

@testable import StrataProviders

/// Each resource type declares everything about itself in its own folder: schema, provider,
/// deletion rule and normalisation rules. What the generic code reads from those declarations must
/// name real types and real attributes, or a rule silently applies to nothing (as a deletion rank
/// for a type strata never had, `aws_eks_fargate_profile`, once did).
@Suite struct TypeHomesTests {
    @Test func everyCatalogTypeHasOneProviderSchemaAndRank() {
        let types = ProviderRegistry.providers.map(\.type)
        #expect(Set(types).count == types.count, "a type is registered twice")
        #expect(Set(ResourceCatalog.all.keys) == Set(ProviderRegistry.all.keys))
        for provider in ProviderRegistry.providers {
            #expect(provider.type == provider.schema.type, "\(provider.type) serves the schema of \(provider.schema.type)")
            #expect((0...8).contains(provider.deletion.rank), "\(provider.type) has rank \(provider.deletion.rank)")
        }
    }

    @Test func everyTypeADeletionRuleWaitsForExistsAndIsDeletedEarlier() {
        for provider in ProviderRegistry.providers {
            for (other, _) in provider.deletion.waitsFor ?? [:] {
                guard let waited = ProviderRegistry.provider(for: other) else {
                    Issue.record("\(provider.type) waits for \(other), which is not a type in the catalog")
                    continue
                }
                // A wait from a higher rank to a lower one could make a set of deletes wait on itself.
                #expect(
                    waited.deletion.rank < provider.deletion.rank,
                    "\(provider.type) (rank \(provider.deletion.rank)) waits for \(other) (rank \(waited.deletion.rank))")
            }
            if provider.deletion.rank <= DeletionRule.clusterRank {
                #expect(provider.deletion.waitsFor == nil, "\(provider.type): waits below the cluster rank are never read")
            }
        }
    }

    @Test func everyNormalisationRuleNamesAnAttributeOfItsType() {
        for provider in ProviderRegistry.providers {
            var names = Set<String>()
            ResourceCatalogTests.walk(provider.schema) { _, name, _ in names.insert(name) }
            let rules = provider.normalisation
            for name in rules.sets.union(rules.writeOnly).union(rules.resolvedByAWS.keys) {
                #expect(names.contains(name), "\(provider.type) declares a rule for `\(name)`, which it does not have")
            }
            // Only lists can be sets.
            ResourceCatalogTests.walk(provider.schema) { path, name, attribute in
                guard rules.sets.contains(name) else { return }
                if case .list = attribute.type { return }
                Issue.record("\(path) is declared a set but is not a list")
            }
        }
    }
}

/// The helpers every type shares, written once: one error type with the messages users read,
/// one tag-sync step.
@Suite struct SharedHelpersTests {
    let address = ResourceAddress(module: "eks", type: "aws_eks_addon", name: "cni", key: nil)

    func desired(_ attributes: [String: Value]) -> DesiredResource {
        DesiredResource(address: address, type: "aws_eks_addon", attributes: attributes, tags: [:], idempotencyToken: "t")
    }

    @Test func aMissingAttributeNamesTheResourceAndTheAttribute() throws {
        #expect(try desired(["cluster_name": .string("prod")]).required("cluster_name") == "prod")
        let cases: [(Value?, String)] = [
            (nil, "module.eks.aws_eks_addon.cni.cluster_name: is required"),
            (.unknown(.string), "module.eks.aws_eks_addon.cni.cluster_name: is not known yet"),
            (.map(["a": .string("b")]), "module.eks.aws_eks_addon.cni.cluster_name: must be a string"),
        ]
        for (value, message) in cases {
            let error = try #require(throws: ProviderError.self) {
                try desired(value.map { ["cluster_name": $0] } ?? [:]).required("cluster_name")
            }
            #expect("\(error)" == message)
        }
    }

    @Test func aFailedStateNamesWhatAWSCallsTheResource() {
        let error = ProviderError.failed(
            type: "aws_eks_node_group", name: "prod/system", status: "Failed", detail: "update u1 (VersionUpdate): AMI not found")
        #expect("\(error)" == "aws_eks_node_group 'prod/system' is Failed: update u1 (VersionUpdate): AMI not found")
        let taken = ProviderError.nameTaken(type: "aws_iam_role", name: "ci", owner: "not created by strata")
        #expect(
            "\(taken)"
                == "aws_iam_role 'ci' already exists and is not strata's for this address (not created by strata); pick another name or delete it"
        )
    }

    @Test func tagSyncRemovesOnlyWhatTheStackOwns() async throws {
        let live = ["team": "a", "old": "x", "aws:cloudformation:stack-name": "s", "strata:manifest-kinds": "v1/ConfigMap"]
        let delta = TagSync.delta(live: live, desired: ["team": "b", "new": "y"])
        #expect(delta.set == ["team": "b", "new": "y"])
        #expect(delta.remove == ["old"])

        let calls = Recorder()
        try await TagSync.sync(calls.tagCalls, live: live, desired: ["team": "b", "new": "y"])
        #expect(await calls.log == ["tag new,team", "untag old"])
        try await TagSync.sync(calls.tagCalls, live: ["team": "b"], desired: ["team": "b"])
        #expect(await calls.log.count == 2, "nothing differs: no call")
    }

    actor Recorder {
        var log: [String] = []
        func record(_ entry: String) { log.append(entry) }
        nonisolated var tagCalls: TagCalls {
            TagCalls(
                tag: { await self.record("tag " + $0.keys.sorted().joined(separator: ",")) },
                untag: { await self.record("untag " + $0.joined(separator: ",")) })
        }
    }
}
