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
