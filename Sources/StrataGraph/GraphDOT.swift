extension Graph {
    /// Graphviz DOT text: nodes (named by `id`, shown as `label`, which defaults to the id)
    /// grouped into one cluster per `cluster` name (nil: top level), filled with the caller's
    /// `colour`, edges drawn from dependent to dependency, then the caller's `footer` statements.
    /// Sorted, so the same graph always prints the same text.
    public func dot(
        name: String = "strata",
        id: (Node) -> String,
        label: ((Node) -> String)? = nil,
        cluster: (Node) -> String?,
        colour: (Node) -> String?,
        footer: String = ""
    ) -> String {
        var out = "digraph \(quoted(name)) {\n"
        out += "  rankdir=LR;\n"
        out += "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fillcolor=\"#ffffff\"];\n"
        var groups: [String: [Node]] = [:]
        var topLevel: [Node] = []
        for node in nodes {
            if let group = cluster(node) { groups[group, default: []].append(node) } else { topLevel.append(node) }
        }
        func line(_ node: Node, indent: String) -> String {
            var attributes = "label=\(quoted(label?(node) ?? id(node)))"
            if let fill = colour(node) { attributes += ", fillcolor=\(quoted(fill))" }
            return "\(indent)\(quoted(id(node))) [\(attributes)];\n"
        }
        for node in topLevel { out += line(node, indent: "  ") }
        for group in groups.keys.sorted() {
            out += "  subgraph \(quoted("cluster_" + group)) {\n"
            out += "    label=\(quoted(group));\n"
            for node in groups[group] ?? [] { out += line(node, indent: "    ") }
            out += "  }\n"
        }
        for edge in edges {
            out += "  \(quoted(id(edge.from))) -> \(quoted(id(edge.to)));\n"
        }
        // Caller-supplied statements (a legend, say), already in DOT syntax.
        out += footer
        out += "}\n"
        return out
    }

    private func quoted(_ text: String) -> String {
        var out = "\""
        for character in text {
            if character == "\"" || character == "\\" { out += "\\" }
            out.append(character)
        }
        return out + "\""
    }
}
