import StrataGraph
import StrataModel
import StrataSyntax

/// Pass 7: the graph of resource instances, keyed by address, with an edge for every reference
/// between instances. Cycles were reported between blocks already; one found here (it cannot
/// normally happen) is reported too rather than producing a graph that cannot be ordered.
enum BuildGraph {
    static func run(_ c: inout Compilation) -> CompiledGraph {
        var graph = Graph<ResourceAddress>()
        for (address, instance) in c.instances {
            graph.add(address)
            for dependency in instance.dependencies where c.instances[dependency] != nil {
                graph.addEdge(from: address, to: dependency)
            }
        }
        if !c.diagnostics.hasErrors {
            for cycle in graph.cycles() {
                let path = (cycle + [cycle[0]]).map(\.canonical).joined(separator: " → ")
                c.diagnostics.append(
                    .error("dependency cycle between instances: \(path)", at: c.instances[cycle[0]]?.span))
            }
        }
        var modules: [String] = []
        for call in c.stack.modules where c.scopes[call.name.name] != nil { modules.append(call.name.name) }
        return CompiledGraph(
            stack: c.stackName, region: c.region, modules: modules.sorted(),
            resources: c.instances, graph: graph, outputs: c.outputs, sensitiveOutputs: c.sensitiveOutputs,
            sensitiveVars: c.sensitiveVars)
    }
}
