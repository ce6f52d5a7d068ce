import StrataGraph
import StrataModel
import StrataSyntax

/// Pass 4: order inputs, resource blocks and outputs so each is evaluated after what it refers
/// to. A cycle is reported whole — every member, and where each refers to the next — and then
/// broken so evaluation can go on and report what else is wrong.
enum OrderItems {
    static func run(_ c: inout Compilation) {
        var graph = c.items
        var reported = false
        for _ in 0..<64 {
            if let order = graph.topologicalOrder() {
                c.order = order
                return
            }
            let cycles = graph.cycles()
            var pruned = Graph<ItemID>()
            for node in graph.nodes { pruned.add(node) }
            var cut = Set<Compilation.ItemEdge>()
            for cycle in cycles {
                if !reported { c.diagnostics.append(cycleDiagnostic(cycle, c)) }
                for (index, member) in cycle.enumerated() {
                    cut.insert(.init(from: member, to: cycle[(index + 1) % cycle.count]))
                }
            }
            reported = true
            for edge in graph.edges where !cut.contains(.init(from: edge.from, to: edge.to)) {
                pruned.addEdge(from: edge.from, to: edge.to)
            }
            graph = pruned
        }
        c.order = graph.nodes
    }

    /// How a cycle names an item: resources by address (`module.net.aws_vpc.vpc`), inputs as
    /// `module.net.inputs.cidr`, outputs as they are referenced (`net.vpc_id`).
    private static func name(_ item: ItemID, _ c: Compilation) -> String {
        guard item.kind == .resource, let type = c.scopes[item.module]?.blocks[item.name]?.type.name else {
            return item.description
        }
        return ResourceAddress(module: item.module, type: type, name: item.name).canonical
    }

    private static func cycleDiagnostic(_ cycle: [ItemID], _ c: Compilation) -> Diagnostic {
        func span(_ from: ItemID, _ to: ItemID) -> SourceSpan? { c.edgeSpans[.init(from: from, to: to)] }
        let path = (cycle + [cycle[0]]).map { "`\(name($0, c))`" }.joined(separator: " → ")
        guard cycle.count > 1 else {
            return .error("dependency cycle: `\(name(cycle[0], c))` refers to itself", at: span(cycle[0], cycle[0]))
        }
        var notes: [Diagnostic.Note] = []
        for index in 1..<cycle.count {
            let from = cycle[index], to = cycle[(index + 1) % cycle.count]
            notes.append(.init("`\(name(from, c))` refers to `\(name(to, c))` here", at: span(from, to)))
        }
        return .error("dependency cycle: \(path)", at: span(cycle[0], cycle[1]), notes: notes)
    }
}
