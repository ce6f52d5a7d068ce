import StrataGraph
import StrataModel

/// The compiler's product: every resource instance of the stack, the dependencies between them
/// and the stack's outputs. What `strata graph` prints and the planner diffs.
public struct CompiledGraph: Sendable {
    public var stack: String
    public var region: String
    /// The module instances, by name.
    public var modules: [String]
    public var resources: [ResourceAddress: ResourceInstance]
    public var graph: Graph<ResourceAddress>
    public var outputs: [String: Value]
    /// Outputs declared `sensitive: true`, and variables.
    public var sensitiveOutputs: Set<String> = []
    public var sensitiveVars: Set<String> = []

    /// Creation order: dependencies first, ties broken by address.
    public var order: [ResourceAddress] { graph.topologicalOrder() ?? graph.nodes }

    /// Deletion order: dependents first.
    public var deletionOrder: [ResourceAddress] { order.reversed() }

    /// Every instance, sorted by address.
    public var instances: [ResourceInstance] { resources.keys.sorted().compactMap { resources[$0] } }

    /// The graph as JSON: the stack, every instance (address, type, name, module, key, plane,
    /// attributes with unknowns as `{"$unknown": true, "type": ...}`, dependencies) sorted by
    /// address, the creation `order` (dependencies first, ties by address), and the outputs.
    public var json: JSONValue {
        let items: [JSONValue] = instances.map { instance in
            var object: [String: JSONValue] = [
                "address": .string(instance.address.canonical),
                "type": .string(instance.type),
                "name": .string(instance.address.name),
                "module": instance.address.module.map(JSONValue.string) ?? .null,
                "plane": .string(instance.plane.rawValue),
                "attributes": .object(instance.attributes.redacting(instance.sensitiveAttributes).mapValues(\.json)),
                "dependencies": .array(instance.dependencies.map { .string($0.canonical) }),
            ]
            switch instance.address.key {
            case .index(let index)?: object["key"] = .int(index)
            case .name(let name)?: object["key"] = .string(name)
            case nil: object["key"] = .null
            }
            return .object(object)
        }
        return .object([
            "format_version": .string("1"),
            "stack": .string(stack),
            "region": .string(region),
            "modules": .array(modules.map(JSONValue.string)),
            "resources": .array(items),
            "order": .array(order.map { .string($0.canonical) }),
            "outputs": .object(
                outputs.mapValues(\.json).merging(sensitiveOutputs.map { ($0, Value.sensitivePlaceholder.json) }) { _, mark in mark }),
        ])
    }

    /// Graphviz DOT: one cluster per module, nodes filled by plane.
    public var dot: String {
        graph.dot(
            name: stack,
            id: { $0.canonical },
            // Inside its module's cluster a node is labelled without the module prefix.
            label: { ResourceAddress(module: nil, type: $0.type, name: $0.name, key: $0.key).canonical },
            cluster: { $0.module.map { "module.\($0)" } },
            colour: { address in resources[address].map { Self.planeColours[$0.plane] ?? "#ffffff" } },
            footer: legend)
    }

    /// A key to the colours, one box per plane.
    private var legend: String {
        var out = "  subgraph \"cluster_legend\" {\n    label=\"planes\";\n"
        for plane in Plane.allCases {
            out +=
                "    \"plane:\(plane.rawValue)\" [label=\"\(plane.rawValue)\", fillcolor=\"\(Self.planeColours[plane] ?? "#ffffff")\"];\n"
        }
        return out + "  }\n"
    }

    /// One colour per plane, light enough for black text.
    public static let planeColours: [Plane: String] = [
        .network: "#cfe2ff", .compute: "#d1e7dd", .storage: "#fff3cd", .security: "#f8d7da",
        .observability: "#e2d9f3", .control: "#e2e3e5",
    ]
}
