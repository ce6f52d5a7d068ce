import AWSClient
import AWSSigner
import Foundation
import StrataCompiler
import StrataModel
import StrataProviders

/// Plans a compiled stack against the live account: discover → evaluate the program again with
/// the live values of matched resources → diff each instance → changes. Never compiles: it is
/// given the compiler's ``Program`` and evaluates it. Emits nothing and prints nothing; the
/// command renders the ``Plan``.
public struct Planner: Sendable {
    public var discovery: Discovery
    public var catalog: [String: ResourceSchema]

    public init(
        context: ProviderContext, providers: [String: any ResourceProvider] = ProviderRegistry.all,
        catalog: [String: ResourceSchema] = ResourceCatalog.all, parallelism: Int = 8
    ) {
        discovery = Discovery(context: context, providers: providers, parallelism: parallelism)
        self.catalog = catalog
    }

    /// Plans `compiled` (``program`` evaluated with nothing live, its diagnostics shown by the
    /// caller) with `vars`; the program is evaluated again with live values.
    public func plan(_ compiled: CompiledGraph, program: Program, vars: [String: String] = [:]) async throws -> Plan {
        try checkProviders(compiled)
        let discovery = reading(kinds: ManifestKinds.declared(in: compiled))
        async let liveResources = discovery.discoverAll()
        async let facts = discovery.dataSources(kubernetesVersions: Self.kubernetesVersions(compiled))
        let live = try await liveResources
        let dataSources = try await facts
        try checkZones(compiled, dataSources)

        let (matchedGraph, matched, unclaimedByStack, leftToParents, inFlight) = try match(
            compiled, live: live, program: program, vars: vars)
        var graph = matchedGraph
        // A resource being replaced gets new computed values (a new VPC id), so what refers to
        // them must be planned with those unknown: evaluate again without the live values of
        // replaced resources until the set of replacements stops growing.
        var changes = diff(graph, matched: matched)
        var replacing = Set<ResourceAddress>()
        for _ in 0..<16 {
            let now = Set(changes.filter { $0.action == .replace }.map(\.address))
            if now == replacing { break }
            replacing = now
            graph = try evaluate(program, vars: vars, live: matched.filter { !replacing.contains($0.key) }.mapValues(\.attributes))
            changes = diff(graph, matched: matched)
        }
        // A parent being replaced is deleted, and AWS refuses that while children hang on it
        // (a role with a policy still attached: DeleteConflict): the children left to it go
        // first, as Terraform replaces an attachment whose role is replaced. The stack's own
        // children are created again on the new parent.
        let replacedParents = Set(
            changes.filter { $0.action == .replace }.compactMap { $0.live.map { LiveResource.Parent(type: $0.type, id: $0.id) } })
        let unclaimed = unclaimedByStack + leftToParents.filter { $0.parent.map(replacedParents.contains) ?? false }
        for resource in unclaimed {
            let schema = catalog[resource.type]
            changes.append(
                ResourceChange(
                    address: Self.deletionAddress(resource), type: resource.type, plane: schema?.plane ?? .control,
                    action: .delete, before: resource.attributes, after: nil, live: resource,
                    sensitiveAttributes: schema?.sensitivePaths(in: resource.attributes) ?? []))
        }
        let members = RolloutPlanner.members(graph, changes: changes, program: program)
        let needs = RolloutPlanner.needs(members)
        let rolloutFacts =
            needs.minors.isEmpty && needs.subnets.isEmpty
            ? RolloutFacts() : try await RolloutFacts.read(discovery.context.client, minors: needs.minors, subnets: needs.subnets)
        let rollouts = RolloutPlanner.rollouts(members, facts: rolloutFacts, inFlight: inFlight)
        return Plan(
            stack: graph.stack, region: graph.region, stackPath: program.stackPath, vars: vars,
            sensitiveVars: graph.sensitiveVars, changes: changes, outputs: graph.outputs,
            sensitiveOutputs: graph.sensitiveOutputs, dataSources: dataSources,
            liveFingerprint: Fingerprint.of(live), rollouts: rollouts, program: try program.jsonText())
    }

    /// A saved plan may be applied only while the live state is what it saw: discovers again and
    /// throws ``PlanError/liveStateChanged(_:)`` naming what changed.
    public func verifyUnchanged(_ plan: Plan) async throws {
        let discovery = reading(
            kinds: ManifestKinds.of(
                plan.changes.filter { $0.type == "kubernetes_manifest" }.compactMap { ($0.after ?? $0.before)?["manifest"] }))
        let live = try await discovery.discoverAll()
        guard Fingerprint.of(live) != plan.liveFingerprint else {
            // The fingerprint covers what discovery found, not what each change names: a
            // change must act on a resource found, never on an id put in the file by hand.
            let found = Set(live.map(Fingerprint.key))
            let strangers = plan.changes.compactMap { change in
                change.live.flatMap { found.contains(Fingerprint.key($0)) ? nil : "\(change.address) names \($0.type) \($0.id)" }
            }
            guard strangers.isEmpty else {
                throw PlanError.planFile(
                    "the plan acts on resources that are not the stack's (" + strangers.joined(separator: "; ")
                        + "): the plan file was edited; refusing to apply it")
            }
            return
        }
        var seen: [String: LiveResource] = [:]
        for change in plan.changes { if let resource = change.live { seen[Fingerprint.key(resource)] = resource } }
        var now: [String: LiveResource] = [:]
        for resource in live { now[Fingerprint.key(resource)] = resource }
        var what: [String] = []
        for key in Set(seen.keys).union(now.keys).sorted() {
            switch (seen[key], now[key]) {
            case (nil, let added?): what.append("\(Self.label(added)) appeared")
            case (let gone?, nil): what.append("\(Self.label(gone)) is gone")
            case (let before?, let after?) where Fingerprint.text(before) != Fingerprint.text(after):
                let names = Set(before.attributes.keys).union(after.attributes.keys)
                    .filter { before.attributes[$0] != after.attributes[$0] }.sorted()
                what.append("\(Self.label(after)) changed (\(names.joined(separator: ", ")))")
            default: break
            }
        }
        throw PlanError.liveStateChanged(what.isEmpty ? ["the live resources differ from the plan's"] : what)
    }

    // MARK: - Steps

    /// Discovery that also lists these `apiVersion/kind`s from the stack's clusters.
    private func reading(kinds: Set<String>) -> Discovery {
        var discovery = self.discovery
        discovery.context.manifestKinds.formUnion(kinds)
        return discovery
    }

    /// Creates for unmatched instances, a diff for each matched one.
    func diff(_ graph: CompiledGraph, matched: [ResourceAddress: LiveResource]) -> [ResourceChange] {
        var changes: [ResourceChange] = []
        for instance in graph.instances {
            guard let schema = catalog[instance.type] else { continue }
            if let current = matched[instance.address] {
                // What is secret in the live object too (a Secret read back from its cluster).
                let sensitive = Set(instance.sensitiveAttributes).union(schema.sensitivePaths(in: current.attributes)).sorted()
                let provider = discovery.providers[instance.type]
                var comparableLive = current
                comparableLive.attributes = provider?.comparable(current.attributes) ?? current.attributes
                var desired = provider?.comparable(instance.attributes) ?? instance.attributes
                RolloutPlanner.compare(&desired, with: &comparableLive.attributes, type: instance.type)
                let diff = Differ.diff(desired: desired, live: comparableLive, schema: schema)
                changes.append(
                    ResourceChange(
                        address: instance.address, type: instance.type, plane: instance.plane, action: diff.action,
                        before: current.attributes, after: instance.attributes, changedAttributes: diff.changed,
                        replaceBecause: diff.replaceBecause, live: current, dependencies: instance.dependencies,
                        idempotencyToken: diff.action == .replace
                            ? IdempotencyToken.derive(stack: graph.stack, address: instance.address, attributes: instance.attributes)
                            : nil,
                        sensitiveAttributes: sensitive, references: instance.references, span: instance.span,
                        attributeSpans: instance.attributeSpans))
            } else {
                changes.append(
                    ResourceChange(
                        address: instance.address, type: instance.type, plane: instance.plane, action: .create,
                        before: nil, after: instance.attributes, dependencies: instance.dependencies,
                        idempotencyToken: IdempotencyToken.derive(
                            stack: graph.stack, address: instance.address, attributes: instance.attributes),
                        sensitiveAttributes: instance.sensitiveAttributes, references: instance.references,
                        span: instance.span, attributeSpans: instance.attributeSpans))
            }
        }
        return changes
    }

    /// The stack instance each live resource is, by address: tagged resources by their address
    /// tag, untagged children by identity with their parents' live ids. What `destroy` names its
    /// deletions by, so a route shows as `aws_route.default`, not by its identity.
    public func instances(of live: [LiveResource], in compiled: CompiledGraph, program: Program, vars: [String: String] = [:]) throws
        -> [ResourceAddress: LiveResource]
    {
        try match(compiled, live: live, program: program, vars: vars).matched
    }

    private func checkProviders(_ graph: CompiledGraph) throws {
        var missing: [String: [String]] = [:]
        for instance in graph.instances where discovery.providers[instance.type] == nil {
            missing[instance.type, default: []].append(instance.address.canonical)
        }
        if let type = missing.keys.sorted().first {
            throw PlanError.missingProvider(type: type, addresses: missing[type] ?? [])
        }
    }

    private func checkZones(_ graph: CompiledGraph, _ facts: PlanDataSources) throws {
        guard !facts.availabilityZones.isEmpty else { return }
        for instance in graph.instances {
            if let zone = instance.attributes["availability_zone"]?.stringValue, !facts.availabilityZones.contains(zone) {
                throw PlanError.unavailableZone(zone: zone, address: instance.address.canonical, available: facts.availabilityZones)
            }
        }
    }

    /// Matches live resources to instances: taggable ones by their address tag, untagged
    /// children by identity computed on attributes resolved with what matched so far. Evaluates
    /// again while matching grows (a child's identity may need its parent's live id).
    ///
    /// `unclaimed` are the live resources to delete; `leftToParents` the untagged children
    /// nobody declared whose parent is in the stack (``decidedByParent(_:inStack:)``).
    ///
    /// While a blue/green rollout is under way two node groups claim one address: the address is
    /// blue's while blue lives, and green (`inFlight`) is the rollout's, never a deletion.
    func match(_ compiled: CompiledGraph, live: [LiveResource], program: Program, vars: [String: String]) throws
        -> (
            graph: CompiledGraph, matched: [ResourceAddress: LiveResource], unclaimed: [LiveResource], leftToParents: [LiveResource],
            inFlight: [ResourceAddress: RolloutPlanner.InFlight]
        )
    {
        var claimed = Set<Int>()
        var matched: [ResourceAddress: LiveResource] = [:]
        var claimants: [ResourceAddress: [Int]] = [:]
        for (index, resource) in live.enumerated() {
            guard let address = resource.address, compiled.resources[address]?.type == resource.type else { continue }
            claimants[address, default: []].append(index)
        }
        var inFlight: [ResourceAddress: RolloutPlanner.InFlight] = [:]
        for (address, indices) in claimants {
            let pick = RolloutPlanner.claimant(indices.map { live[$0] })
            matched[address] = live[indices[pick.index]]
            claimed.insert(indices[pick.index])
            // A green group under way is the rollout's; any other duplicate is deleted.
            claimed.formUnion(pick.rollout.map { indices[$0] })
            if let record = pick.inFlight { inFlight[address] = record }
        }
        // Untagged children by type and identity, each claimed at most once.
        var children: [String: [Int]] = [:]
        for (index, resource) in live.enumerated() where resource.address == nil {
            if let identity = resource.identity { children[resource.type + "\u{1}" + identity, default: []].append(index) }
        }
        var graph = compiled
        for _ in 0..<8 {
            graph = try evaluate(program, vars: vars, live: matched.mapValues(\.attributes))
            var grew = false
            for instance in graph.instances where matched[instance.address] == nil {
                guard let provider = discovery.providers[instance.type],
                    let identity = provider.identity(of: instance.attributes)
                else { continue }
                let key = instance.type + "\u{1}" + identity
                if let index = children[key]?.first(where: { !claimed.contains($0) }) {
                    matched[instance.address] = live[index]
                    claimed.insert(index)
                    grew = true
                }
            }
            if !grew { break }
        }
        let unclaimed = live.indices.filter { !claimed.contains($0) }.map { live[$0] }
        let inStack = Set(matched.values.map { LiveResource.Parent(type: $0.type, id: $0.id) })
        let leftToParents = unclaimed.filter { Self.decidedByParent($0, inStack: inStack) }
        return (graph, matched, unclaimed.filter { !Self.decidedByParent($0, inStack: inStack) }, leftToParents, inFlight)
    }

    /// Whether an untagged child the stack does not declare as a resource of its own is its
    /// parent's business rather than a deletion: true when the parent is in the stack. A parent
    /// that declares the children inline (``ResourceSchema/inlineChildren``: a table's `route`)
    /// owns the whole set, and its own diff adds and removes them; a parent that does not leaves
    /// the children nobody declared alone (another team's route in the stack's table). A child
    /// whose parent is leaving the stack goes with it, deleted first where AWS requires that.
    static func decidedByParent(_ child: LiveResource, inStack: Set<LiveResource.Parent>) -> Bool {
        guard child.address == nil, let parent = child.parent else { return false }
        return inStack.contains(parent)
    }

    private func evaluate(_ program: Program, vars: [String: String], live: [ResourceAddress: [String: Value]]) throws -> CompiledGraph {
        let result = program.evaluate(vars: vars, live: live, catalog: catalog)
        guard let graph = result.graph, !result.hasErrors else {
            throw PlanError.compileWithLiveValues(result.renderedErrors)
        }
        return graph
    }

    /// The address a deletion is shown under: the resource's own address tag, or for an untagged
    /// child (no address of its own) `<type>.untracked["<identity or id>"]`.
    static func deletionAddress(_ resource: LiveResource) -> ResourceAddress {
        resource.address
            ?? ResourceAddress(module: nil, type: resource.type, name: "untracked", key: .name(resource.identity ?? resource.id))
    }

    static func label(_ resource: LiveResource) -> String {
        "\(resource.address?.canonical ?? resource.type) (\(resource.id))"
    }

    /// Kubernetes versions the stack's clusters and node groups name.
    static func kubernetesVersions(_ graph: CompiledGraph) -> Set<String> {
        var versions = Set<String>()
        for instance in graph.instances where instance.type == "aws_eks_cluster" || instance.type == "aws_eks_node_group" {
            if let version = instance.attributes["version"]?.stringValue { versions.insert(version) }
        }
        return versions
    }
}

/// The live state's fingerprint: SHA-256 over every resource's type, id, address and
/// attributes, in a fixed order. Lifecycle status is left out, so a cluster finishing an update
/// AWS started before the plan does not invalidate it.
enum Fingerprint {
    static let volatile: Set<String> = ["status"]

    static func of(_ live: [LiveResource]) -> String {
        sha256Hex(Data(live.map(text).sorted().joined(separator: "\n").utf8))
    }

    static func key(_ resource: LiveResource) -> String { resource.type + "|" + resource.id }

    static func text(_ resource: LiveResource) -> String {
        let attributes = resource.attributes.filter { !volatile.contains($0.key) }
        return "\(key(resource))|\(resource.address?.canonical ?? "")|\(CanonicalText.of(.map(attributes)))"
    }
}
