import Foundation
import StrataModel
import StrataProviders
import StrataSyntax
import Testing

@testable import StrataCompiler

/// The modules and stacks strata ships are its best examples, so they must compile cleanly; and
/// since users learn the language from them, a typo in any of their attribute names must be
/// caught where it stands, with the right name suggested.
@Suite struct ShippedModuleTests {
    /// The repository root: three levels above this file (Tests/StrataCompilerTests/...).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `--var`s a stack needs to mean something (the preview stack is per pull request).
    static let stackVars: [String: [String: String]] = ["preview": ["pr": "123", "branch": "feature/login"]]

    /// Every folder under stacks/ holding a stack.yaml.
    static let stackNames: [String] = {
        let folder = root.appendingPathComponent("stacks")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter {
            FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).appendingPathComponent("stack.yaml").path)
        }.sorted()
    }()

    @Test func theShippedStacksAreAllHere() {
        #expect(Self.stackNames == ["demo", "dev", "preview", "prod"])
    }

    @Test(arguments: stackNames) func stackCompilesWithoutDiagnostics(_ name: String) {
        let result = Self.compile(Self.root.appendingPathComponent("stacks/\(name)"), vars: Self.stackVars[name] ?? [:])
        #expect(result.diagnostics.isEmpty, "\(name):\n\(result.rendered)")
        #expect(!result.addresses.isEmpty, "\(name) compiled to no resources")
    }

    /// The sizes are part of what each stack promises: the demo applies in seconds, prod is the
    /// whole platform (about what terraform-aws-modules' vpc + eks + karpenter build).
    @Test func stacksHaveTheirIntendedSize() {
        let expected: [String: ClosedRange<Int>] = ["demo": 8...15, "dev": 30...60, "preview": 8...20, "prod": 90...100]
        for (name, range) in expected.sorted(by: { $0.key < $1.key }) {
            let result = Self.compile(Self.root.appendingPathComponent("stacks/\(name)"), vars: Self.stackVars[name] ?? [:])
            #expect(range.contains(result.addresses.count), "\(name) has \(result.addresses.count) resources, expected \(range)")
        }
    }

    /// Spot checks that prod contains the platform's load-bearing parts, by address.
    @Test func prodHasThePlatformsParts() {
        let result = Self.compile(Self.root.appendingPathComponent("stacks/prod"), vars: [:])
        let addresses = Set(result.addresses)
        let expected = [
            "module.network.aws_vpc.vpc",
            "module.network.aws_nat_gateway.nat[2]",
            "module.network.aws_subnet.intra[2]",
            "module.network.aws_route.private_nat[2]",
            "module.cluster.aws_eks_cluster.cluster",
            "module.cluster.aws_kms_key.secrets_key",
            "module.cluster.aws_cloudwatch_log_group.control_plane_logs",
            "module.cluster.aws_iam_openid_connect_provider.oidc",
            "module.cluster.aws_eks_access_policy_association.admin_policy[0]",
            #"module.cluster.aws_eks_node_group.nodes["system"]"#,
            #"module.cluster.aws_eks_addon.addons["coredns"]"#,
            #"module.cluster.aws_vpc_security_group_ingress_rule.node_from_cluster["kubelet"]"#,
            "module.karpenter.aws_sqs_queue.interruptions",
            #"module.karpenter.aws_cloudwatch_event_target.interruption_targets["spot-interruption"]"#,
            "module.karpenter.aws_eks_pod_identity_association.controller_identity",
            "module.karpenter.kubernetes_manifest.node_pool",
            "module.external_dns.aws_iam_role.role",
        ]
        for address in expected {
            #expect(addresses.contains(address), "prod has no \(address)")
        }
    }

    /// Every folder under modules/ holding a module.yaml.
    static let moduleNames: [String] = {
        let folder = root.appendingPathComponent("modules")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter {
            FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).appendingPathComponent("module.yaml").path)
        }.sorted()
    }()

    /// A module checks on its own too (`strata validate modules/vpc`), its inputs standing for
    /// whatever a stack would pass.
    @Test(arguments: moduleNames) func moduleCompilesOnItsOwn(_ name: String) {
        let result = Compiler(catalog: ResourceCatalog.all).compile(moduleAt: Self.root.appendingPathComponent("modules/\(name)"))
        let rendered = DiagnosticRenderer(sources: result.sources).render(result.diagnostics)
        #expect(result.diagnostics.isEmpty, "modules/\(name):\n\(rendered)")
        #expect(result.graph?.resources.isEmpty == false, "modules/\(name) compiled to no resources")
    }

    /// Every catalog type is shown in use by a shipped module, except those the modules avoid
    /// on purpose, so the catalog does not grow types nobody has written a line of YAML for.
    @Test func theModulesUseTheCatalog() throws {
        var used: Set<String> = []
        for name in Self.moduleNames {
            let text = try String(contentsOf: Self.root.appendingPathComponent("modules/\(name)/module.yaml"), encoding: .utf8)
            let (node, _) = YAMLLoader.load(text, file: name)
            for resource in node?["resources"]?.pairs ?? [] {
                if let type = resource.value["type"]?.scalar?.text { used.insert(type) }
            }
        }
        #expect(used.isSubset(of: Set(ResourceCatalog.all.keys)), "unknown types: \(used.subtracting(ResourceCatalog.all.keys))")
        // The rule resources with their own ids and tags replace this one (the provider's advice).
        let avoided: Set<String> = ["aws_security_group_rule"]
        #expect(Set(ResourceCatalog.all.keys).subtracting(used) == avoided)
    }

    /// Two pull requests' previews must not overlap: a different stack name (so neither plans
    /// the other's resources for deletion), different names, and disjoint address space.
    @Test func previewsOfDifferentPullRequestsAreDisjoint() throws {
        func compile(_ pr: Int) throws -> CompiledGraph {
            let result = Compiler(catalog: ResourceCatalog.all).compile(
                stackAt: Self.root.appendingPathComponent("stacks/preview"), vars: ["pr": "\(pr)"])
            return try #require(result.graph, "preview with pr=\(pr) does not compile")
        }
        let (first, second) = (try compile(41), try compile(42))
        #expect(first.stack == "preview-pr-41")
        #expect(second.stack == "preview-pr-42")
        func value(_ graph: CompiledGraph, _ address: String, _ attribute: String) -> String? {
            graph.resources.first { $0.key.canonical == address }?.value.attributes[attribute]?.textForm
        }
        let vpc = "module.network.aws_vpc.vpc", role = "module.app.aws_iam_role.role"
        let a = try #require(value(first, vpc, "cidr_block").flatMap { try? CIDR.parse($0).get() })
        let b = try #require(value(second, vpc, "cidr_block").flatMap { try? CIDR.parse($0).get() })
        #expect(!a.overlaps(b), "\(a) overlaps \(b)")
        #expect(value(first, role, "name") == "preview-pr-41-app")
        #expect(value(second, role, "name") == "preview-pr-42-app")
    }

    /// The orderings AWS and EKS impose, which only show up as apply errors when missed: each
    /// pair is (resource, what it must come after), directly or through other resources.
    @Test func prodIsOrderedAsAWSRequires() {
        let result = Self.compile(Self.root.appendingPathComponent("stacks/prod"), vars: [:])
        let orderings: [(String, String)] = [
            // A NAT gateway needs the VPC's internet gateway; destroy detaches the gateway last.
            ("module.network.aws_nat_gateway.nat[0]", "module.network.aws_internet_gateway.igw[0]"),
            ("module.network.aws_route.private_nat[2]", "module.network.aws_nat_gateway.nat[2]"),
            // The log group must exist first or EKS creates one that never expires.
            ("module.cluster.aws_eks_cluster.cluster", "module.cluster.aws_cloudwatch_log_group.control_plane_logs"),
            ("module.cluster.aws_eks_cluster.cluster", #"module.cluster.aws_iam_role_policy_attachment.cluster_policies["cluster"]"#),
            ("module.cluster.aws_eks_cluster.cluster", "module.cluster.aws_iam_role_policy.cluster_encryption"),
            ("module.cluster.aws_eks_cluster.cluster", "module.network.aws_subnet.intra[0]"),
            // Nodes cannot join without the worker policy; coredns needs somewhere to run.
            (
                #"module.cluster.aws_eks_node_group.nodes["system"]"#,
                #"module.cluster.aws_iam_role_policy_attachment.node_policies["worker"]"#
            ),
            (#"module.cluster.aws_eks_node_group.nodes["system"]"#, "module.cluster.aws_eks_cluster.cluster"),
            (#"module.cluster.aws_eks_addon.addons["coredns"]"#, #"module.cluster.aws_eks_node_group.nodes["system"]"#),
            ("module.cluster.aws_eks_access_policy_association.admin_policy[0]", "module.cluster.aws_eks_access_entry.admin[0]"),
            // Karpenter's objects go to a cluster that exists; IRSA trusts a provider that exists.
            ("module.karpenter.kubernetes_manifest.node_class", "module.cluster.aws_eks_cluster.cluster"),
            ("module.karpenter.aws_eks_access_entry.node_access", "module.cluster.aws_eks_cluster.cluster"),
            (
                #"module.karpenter.aws_cloudwatch_event_target.interruption_targets["rebalance"]"#,
                "module.karpenter.aws_sqs_queue.interruptions"
            ),
            ("module.external_dns.aws_iam_role.role", "module.cluster.aws_iam_openid_connect_provider.oidc"),
        ]
        for (resource, prerequisite) in orderings {
            #expect(result.comesAfter(resource, prerequisite), "\(resource) does not wait for \(prerequisite)")
        }
    }

    // MARK: - Mutations

    /// A stack that takes every optional branch of every module (blocks whose `count` is zero in
    /// the shipped stacks, like karpenter's instance profile), so the mutation test reaches
    /// every resource block: the checker checks instances, and a block with none has none.
    static let allBranchesStack = """
        stack: all-branches
        region: eu-west-1
        modules:
          network:
            source: ../../modules/vpc
            with: { cidr: 10.50.0.0/16, zones: 3, nat: per-zone, intra_subnets: true, cluster_name: all }
          cluster:
            source: ../../modules/eks
            with:
              name: all
              vpc_id: ${network.vpc_id}
              subnets: ${network.private_subnet_ids}
              control_plane_subnets: ${network.intra_subnet_ids}
              admin_principal_arn: arn:aws:iam::111122223333:role/admin
              node_pools:
                general: { instance_types: [m6i.large], min: 1, max: 2 }
          karpenter:
            source: ../../modules/karpenter
            with: { cluster_name: all, create_instance_profile: true }
          irsa:
            source: ../../modules/irsa-role
            with:
              name: all-irsa
              oidc_provider_arn: ${cluster.oidc_provider_arn}
              oidc_issuer: ${cluster.oidc_issuer}
              namespace: default
              service_account: app
              policy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: s3:ListBucket, Resource: "*" }] }
              managed_policy_arns: [arn:aws:iam::aws:policy/ReadOnlyAccess]
          role:
            source: ../../modules/iam-role
            with:
              name: all-role
              policy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: s3:ListBucket, Resource: "*" }] }
              managed_policy_arns: [arn:aws:iam::aws:policy/ReadOnlyAccess]
        """

    @Test func theAllBranchesStackCompilesCleanly() throws {
        let scratch = try Self.scratchCopy()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let result = Self.compile(scratch.appendingPathComponent("stacks/all-branches"), vars: [:])
        #expect(result.diagnostics.isEmpty, "\(result.rendered)")
    }

    /// modules/ and stacks/ copied to a fresh folder, plus the all-branches stack.
    static func scratchCopy() throws -> URL {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("strata-shipped-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        for folder in ["modules", "stacks"] {
            try FileManager.default.copyItem(
                at: Self.root.appendingPathComponent(folder), to: scratch.appendingPathComponent(folder))
        }
        let allBranches = scratch.appendingPathComponent("stacks/all-branches")
        try FileManager.default.createDirectory(at: allBranches, withIntermediateDirectories: true)
        try allBranchesStack.write(to: allBranches.appendingPathComponent("stack.yaml"), atomically: true, encoding: .utf8)
        return scratch
    }

    /// One attribute key in a module file: where it is, what it is called, and which names a
    /// "did you mean" could pick among (the settable attributes of its resource or block).
    struct Site: CustomStringConvertible {
        var file: String
        var name: String
        var line: Int
        var column: Int
        var candidates: [String]
        var description: String { "\(file):\(line):\(column) `\(name)`" }
    }

    /// For every attribute key of every shipped module (nested block fields included), drop one
    /// letter and compile every stack that uses the module: one of them must report an unknown
    /// attribute at exactly that line and column, suggesting the original name. Keys inside
    /// values strata does not model (policy documents, Kubernetes manifests, tag maps) are not
    /// attributes and are left alone.
    @Test func everyMisspelledAttributeIsReportedWhereItStands() throws {
        let scratch = try Self.scratchCopy()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let users = Self.moduleUsers(in: scratch)
        var checked = 0
        for module in users.keys.sorted() {
            let file = scratch.appendingPathComponent("modules/\(module)/module.yaml")
            let original = try String(contentsOf: file, encoding: .utf8)
            let sites = Self.sites(in: original, file: "modules/\(module)/module.yaml")
            #expect(!sites.isEmpty, "no attribute keys found in modules/\(module)")
            for site in sites {
                guard let (mutant, text) = Self.mutate(site, in: original) else {
                    Issue.record("no single-letter deletion of \(site) keeps `\(site.name)` the closest name")
                    continue
                }
                try text.write(to: file, atomically: true, encoding: .utf8)
                var found = false
                var seen: [String] = []
                for stack in users[module] ?? [] {
                    let result = Self.compile(scratch.appendingPathComponent("stacks/\(stack)"), vars: Self.stackVars[stack] ?? [:])
                    for diagnostic in result.diagnostics where diagnostic.summary.contains("unknown attribute `\(mutant)`") {
                        seen.append(
                            "\(stack): \(diagnostic.span?.description ?? "?") \(diagnostic.summary) \(diagnostic.notes.map(\.message))")
                        guard let span = diagnostic.span, span.file.hasSuffix(site.file) else { continue }
                        if span.start.line == site.line, span.start.column == site.column,
                            diagnostic.notes.contains(where: { $0.message.contains("did you mean `\(site.name)`") })
                        {
                            found = true
                        }
                    }
                    if found { break }
                }
                #expect(found, "renaming \(site) to `\(mutant)` was not reported there with a suggestion; saw \(seen)")
                checked += 1
            }
            try original.write(to: file, atomically: true, encoding: .utf8)
        }
        // A floor, so a walker that silently stops finding keys fails instead of passing.
        #expect(checked > 200, "only \(checked) attribute keys were mutated")
    }

    /// Which stacks instantiate each module, by the module's folder name.
    static func moduleUsers(in root: URL) -> [String: [String]] {
        var users: [String: [String]] = [:]
        for stack in stackNames + ["all-branches"] {
            let path = root.appendingPathComponent("stacks/\(stack)/stack.yaml")
            guard let text = try? String(contentsOf: path, encoding: .utf8) else { continue }
            let (node, _) = YAMLLoader.load(text, file: path.path)
            for call in node?["modules"]?.pairs ?? [] {
                guard let source = call.value["source"]?.scalar?.text else { continue }
                let module = URL(fileURLWithPath: source).lastPathComponent
                users[module, default: []].append(stack)
            }
        }
        return users
    }

    /// The keys of a module file that name resource attributes or block fields.
    static func sites(in text: String, file: String) -> [Site] {
        let (node, _) = YAMLLoader.load(text, file: file)
        var sites: [Site] = []
        func visit(_ mapping: YAMLNode, fields: [String: AttributeSchema], blockKeys: Set<String> = []) {
            let candidates = fields.values.filter { $0.presence != .computed }.map(\.name).sorted()
            for pair in mapping.pairs ?? [] where !blockKeys.contains(pair.name) {
                guard let attribute = fields[pair.name] else { continue }
                sites.append(
                    Site(
                        file: file, name: pair.name, line: pair.key.span.start.line, column: pair.key.span.start.column,
                        candidates: candidates))
                switch attribute.type {
                case .object(let nested) where pair.value.pairs != nil:
                    visit(pair.value, fields: nested)
                case .list(.object(let nested)):
                    for item in pair.value.items ?? [] where item.pairs != nil { visit(item, fields: nested) }
                default:
                    break
                }
            }
        }
        for resource in node?["resources"]?.pairs ?? [] {
            guard let type = resource.value["type"]?.scalar?.text, let schema = ResourceCatalog.schema(for: type) else {
                continue
            }
            // A resource's own keys are not attributes, even where a type has an attribute of the
            // same name (`type` of `aws_eks_access_entry`).
            visit(resource.value, fields: schema.attributes, blockKeys: ["type", "count", "for_each", "depends_on", "attributes"])
            // Attributes whose names collide with the block's own keys (`type`) live here.
            if let escaped = resource.value["attributes"], escaped.pairs != nil {
                visit(escaped, fields: schema.attributes)
            }
        }
        return sites
    }

    /// The site's name with one letter dropped, chosen so that the original is still the one
    /// closest candidate (so the expected suggestion is well defined), and the file rewritten.
    static func mutate(_ site: Site, in text: String) -> (String, String)? {
        let letters = Array(site.name)
        for drop in (0..<letters.count).reversed() {
            var mutant = letters
            mutant.remove(at: drop)
            let name = String(mutant)
            guard !name.isEmpty, !site.candidates.contains(name),
                Suggestion.closest(to: name, in: site.candidates) == site.name
            else { continue }
            var lines = text.components(separatedBy: "\n")
            let index = site.line - 1
            guard lines.indices.contains(index) else { return nil }
            var line = Array(lines[index])
            let start = site.column - 1
            guard start >= 0, start + letters.count <= line.count, String(line[start..<start + letters.count]) == site.name
            else { return nil }
            line.replaceSubrange(start..<start + letters.count, with: mutant)
            lines[index] = String(line)
            return (name, lines.joined(separator: "\n"))
        }
        return nil
    }
}

extension ShippedModuleTests {
    /// What these tests need from a compilation: the instances' canonical addresses (empty when
    /// there are errors, since no graph is built then), the diagnostics and their rendering.
    struct Outcome {
        var addresses: [String]
        var diagnostics: [Diagnostic]
        var rendered: String
        /// Direct dependencies by address.
        var dependencies: [String: [String]] = [:]

        /// Whether `resource` depends on `prerequisite`, directly or transitively.
        func comesAfter(_ resource: String, _ prerequisite: String) -> Bool {
            var seen: Set<String> = []
            var pending = dependencies[resource] ?? []
            while let next = pending.popLast() {
                if next == prerequisite { return true }
                if seen.insert(next).inserted { pending += dependencies[next] ?? [] }
            }
            return false
        }
    }

    static func compile(_ stack: URL, vars: [String: String]) -> Outcome {
        let result = Compiler(catalog: ResourceCatalog.all).compile(stackAt: stack, vars: vars)
        let addresses = result.graph?.resources.keys.map(\.canonical).sorted() ?? []
        let rendered = DiagnosticRenderer(sources: result.sources).render(result.diagnostics)
        var dependencies: [String: [String]] = [:]
        if let graph = result.graph {
            for node in graph.graph.nodes {
                dependencies[node.canonical] = graph.graph.dependencies(of: node).map(\.canonical)
            }
        }
        return Outcome(addresses: addresses, diagnostics: result.diagnostics, rendered: rendered, dependencies: dependencies)
    }
}
