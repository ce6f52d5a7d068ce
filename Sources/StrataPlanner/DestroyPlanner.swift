import StrataCompiler
import StrataModel
import StrataProviders

extension Planner {
    /// The destroy plan: a deletion of every live resource the stack owns, dependents first —
    /// what `strata destroy` shows before asking and the executor's `Destroyer` carries out
    /// (with the controller sweep between its phases). Made here, as every plan is: discovery,
    /// and the stack's program evaluated to name untagged children by the addresses the stack
    /// gives them (`aws_route.default`), as `plan` finds them.
    ///
    /// `graph` (the stack evaluated with nothing live, when it compiles) orders dependents first
    /// where the types' deletion ranks (``DeletionRule``, declared by each provider) do not already.
    public func planDestroy(graph: CompiledGraph?, program: Program?, vars: [String: String] = [:]) async throws -> Plan {
        let providers = discovery.providers
        let rank = { (type: String) in providers[type]?.deletion.rank ?? DeletionRule.clusterRank }
        var reading = discovery
        if let graph { reading.context.manifestKinds.formUnion(ManifestKinds.declared(in: graph)) }
        var live = try await reading.discoverAll()
        // As `plan` saw it, before naming children: what a saved destroy plan is checked against.
        let fingerprint = Fingerprint.of(live)
        if let graph, let program, let instances = try? instances(of: live, in: graph, program: program, vars: vars) {
            var declared: [LiveResource.Parent: ResourceAddress] = [:]
            for (address, resource) in instances where resource.address == nil {
                declared[LiveResource.Parent(type: resource.type, id: resource.id)] = address
            }
            for index in live.indices where live[index].address == nil {
                live[index].address = declared[LiveResource.Parent(type: live[index].type, id: live[index].id)]
            }
        }
        live = Self.withoutUndeclaredContainedChildren(live, catalog: catalog)
        var dependentsOf: [ResourceAddress: [ResourceAddress]] = [:]
        if let graph {
            for instance in graph.instances {
                for dependency in instance.dependencies { dependentsOf[dependency, default: []].append(instance.address) }
            }
        }
        let addresses = Dictionary(live.map { (Self.deletionAddress($0), $0) }, uniquingKeysWith: { first, _ in first })
        let changes = addresses.map { address, resource in
            let own = rank(resource.type)
            // Graph edges that agree with the ranks (a rank never waits for a higher one, so
            // the two together cannot form a cycle): what the types alone do not order.
            let first = (dependentsOf[address] ?? []).filter { dependent in
                guard let other = addresses[dependent] else { return false }
                return rank(other.type) <= own
            }
            return ResourceChange(
                address: address, type: resource.type, plane: catalog[resource.type]?.plane ?? .control,
                action: .delete, before: resource.attributes, after: nil, live: resource, dependencies: first.sorted(),
                sensitiveAttributes: catalog[resource.type]?.sensitivePaths(in: resource.attributes) ?? [])
        }
        return Plan(
            stack: discovery.context.stack, region: discovery.context.region, stackPath: program?.stackPath ?? "",
            changes: changes, liveFingerprint: fingerprint, program: try program?.jsonText(), isDestroy: true)
    }

    /// Drops children the stack does not declare that their parent holds inside itself
    /// (``ResourceSchema/inlineChildren``: a table's routes, a queue's policy) when the parent
    /// is deleted too: they go with it, and listing them would only name them `untracked`.
    /// Children that block their parent's delete (associations, role attachments, rule targets)
    /// stay, to go first.
    static func withoutUndeclaredContainedChildren(_ live: [LiveResource], catalog: [String: ResourceSchema]) -> [LiveResource] {
        let parents = Set(live.map { LiveResource.Parent(type: $0.type, id: $0.id) })
        return live.filter { resource in
            guard resource.address == nil, let parent = resource.parent, parents.contains(parent) else { return true }
            return catalog[parent.type]?.inlineChildren[resource.type] == nil
        }
    }
}
