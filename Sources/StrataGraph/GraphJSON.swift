import StrataModel

extension Graph {
    /// The graph as JSON: `{"nodes": [{"id": ..., "dependencies": [...], ...}]}` in node order,
    /// each node's object extended with what `properties` gives (its type, plane, attributes...).
    /// Deterministic: nodes and dependencies sorted, object keys sorted when printed.
    public func json(id: (Node) -> String, properties: (Node) -> [String: JSONValue] = { _ in [:] }) -> JSONValue {
        .object([
            "nodes": .array(
                nodes.map { node in
                    var object = properties(node)
                    object["id"] = .string(id(node))
                    object["dependencies"] = .array(dependencies(of: node).map { .string(id($0)) })
                    return .object(object)
                })
        ])
    }
}
