import StrataModel

/// Reads one YAML document into `YAMLNode`s with exact spans. Malformed YAML becomes a diagnostic
/// at the position libyaml reports; every duplicate key is reported at the repeated key (the
/// first one stays), and loading goes on. One parse, one walk: linear in the size of the file.
public enum YAMLLoader {
    /// Parses `text`, the contents of `file`. Returns no node only when the YAML is malformed
    /// (with a diagnostic saying why); an empty document is an empty plain scalar.
    public static func load(_ text: String, file: String) -> (YAMLNode?, [Diagnostic]) {
        let root: YAMLComposer.Node?
        do {
            root = try YAMLComposer.compose(text)
        } catch {
            return (nil, [malformed(error, file: file)])
        }
        guard let root else {
            let start = SourcePosition(line: 1, column: 1)
            let empty = YAMLNode(
                kind: .scalar(.init(text: "", style: .plain, positions: .contiguous(file: file, start: start))),
                span: SourceSpan(file: file, start: start, end: SourcePosition(line: 1, column: 2)))
            return (empty, [])
        }
        var converter = Converter(file: file, lines: SourceLines(text))
        do {
            let node = try converter.convert(root, depth: 1)
            return (node, converter.diagnostics)
        } catch {
            return (nil, converter.diagnostics + [error.diagnostic])
        }
    }

    static let aliasToCollectionAsKey = "an alias to a mapping or list cannot be a key"

    static let nestedTooDeeply = "YAML nested too deeply (more than \(maximumDepth) levels)"

    private static func malformed(_ failure: YAMLComposer.Failure, file: String) -> Diagnostic {
        let at = SourceSpan(file: file, line: failure.position.line, column: failure.position.column)
        if failure.problem == nestedTooDeeply { return .yamlNestedTooDeeply(at: at) }
        if failure.problem == aliasToCollectionAsKey, let end = failure.end {
            return .aliasToCollectionAsKey(at: SourceSpan(file: file, start: failure.position, end: end))
        }
        if failure.isReaderError { return .error("not YAML text: \(failure.problem)", at: at) }
        var notes: [Diagnostic.Note] = []
        if let context = failure.context, context.position != failure.position {
            notes.append(.init(context.text, at: SourceSpan(file: file, line: context.position.line, column: context.position.column)))
        }
        return .error("malformed YAML: \(failure.problem)", at: at, notes: notes)
    }

    // MARK: - Conversion with spans

    /// At most this many nodes may come from alias expansion in one file. The composer hands
    /// back an alias as the node it names, so nine anchors of nine aliases each (a "billion laughs",
    /// under 500 bytes) expand to 9⁹ nodes and exhaust memory. Shared defaults in real stacks
    /// expand to hundreds; go-yaml and SnakeYAML bound aliases the same way.
    public static let maximumAliasExpansion = 100_000

    /// At most this many levels of nested mappings and lists, aliases expanded: the passes
    /// that read the tree recurse on it. Real stacks nest under a dozen.
    public static let maximumDepth = 256

    private struct TooLarge: Error { var diagnostic: Diagnostic }

    /// Walks the composed tree in document order. Every node written out in the file starts at or after
    /// the end of the node before it; one that starts earlier is an alias's copy of the anchored
    /// node, and everything under it counts against ``maximumAliasExpansion``.
    private struct Converter {
        let file: String
        let lines: SourceLines
        var diagnostics: [Diagnostic] = []
        /// The end of the last node read from the file, aliases aside.
        var cursor = SourcePosition(line: 1, column: 1)
        /// Where the alias being expanded is written, while expanding one.
        var alias: SourceSpan?
        var expanded = 0

        init(file: String, lines: SourceLines) {
            self.file = file
            self.lines = lines
        }

        mutating func convert(_ node: YAMLComposer.Node, depth: Int) throws(TooLarge) -> YAMLNode {
            let start = node.start
            if alias == nil, start < cursor {
                alias = lines.alias(after: cursor, file: file)
                defer { alias = nil }
                return try convert(node, depth: depth)
            }
            if let alias {
                expanded += 1
                guard expanded <= YAMLLoader.maximumAliasExpansion else {
                    throw TooLarge(diagnostic: .aliasExpansionTooLarge(at: alias))
                }
            }
            guard depth <= YAMLLoader.maximumDepth else {
                throw TooLarge(
                    diagnostic: .yamlNestedTooDeeply(at: alias ?? SourceSpan(file: file, start: start, end: start)))
            }
            switch node {
            case .scalar(let text, let style, _):
                let converted = lines.scalarNode(text, style, at: start, file: file)
                if alias == nil { cursor = max(cursor, converted.span.end) }
                return converted
            case .mapping(let mapping, let flow, _):
                var pairs: [YAMLNode.Pair] = []
                var seen: [String: SourceSpan] = [:]
                var end = SourcePosition(line: start.line, column: start.column + 1)
                for (key, value) in mapping {
                    let k = try convert(key, depth: depth + 1)
                    let v = try convert(value, depth: depth + 1)
                    end = max(end, k.span.end, v.span.end)
                    if let name = k.scalar?.text {
                        if let first = seen[name] {
                            // A copy made by an alias repeats what was reported where it is written.
                            if alias == nil { diagnostics.append(.duplicateKey(name, at: k.span, first: first)) }
                            continue
                        }
                        seen[name] = k.span
                    }
                    pairs.append(YAMLNode.Pair(key: k, value: v))
                }
                if flow { end = max(end, lines.closing("}", after: end)) }
                if alias == nil { cursor = max(cursor, end) }
                return YAMLNode(
                    kind: .mapping(YAMLLoader.mergeKeys(pairs)), span: SourceSpan(file: file, start: start, end: end))
            case .sequence(let sequence, let flow, _):
                var items: [YAMLNode] = []
                var end = SourcePosition(line: start.line, column: start.column + 1)
                for item in sequence {
                    let converted = try convert(item, depth: depth + 1)
                    end = max(end, converted.span.end)
                    items.append(converted)
                }
                if flow { end = max(end, lines.closing("]", after: end)) }
                if alias == nil { cursor = max(cursor, end) }
                return YAMLNode(kind: .sequence(items), span: SourceSpan(file: file, start: start, end: end))
            }
        }
    }
}

extension YAMLLoader {
    /// YAML's merge key: `<<: *defaults` (or a list of aliases) adds the keys of those mappings
    /// that the mapping does not set itself, earlier sources first. The merged pairs keep their
    /// own spans, so a problem in a shared default is reported where the default is written.
    static func mergeKeys(_ pairs: [YAMLNode.Pair]) -> [YAMLNode.Pair] {
        func sources(_ pair: YAMLNode.Pair) -> [YAMLNode]? {
            guard pair.name == "<<", pair.key.scalar?.style == .plain else { return nil }
            if pair.value.pairs != nil { return [pair.value] }
            if let items = pair.value.items, items.allSatisfy({ $0.pairs != nil }) { return items }
            return nil
        }
        guard pairs.contains(where: { sources($0) != nil }) else { return pairs }
        var result = pairs.filter { sources($0) == nil }
        var present = Set(result.map(\.name))
        for pair in pairs {
            for source in sources(pair) ?? [] {
                for inherited in source.pairs ?? [] where present.insert(inherited.name).inserted {
                    result.append(inherited)
                }
            }
        }
        return result
    }
}

extension Diagnostic {
    static func aliasExpansionTooLarge(at span: SourceSpan) -> Diagnostic {
        .error(
            "aliases expand to more than \(YAMLLoader.maximumAliasExpansion) nodes", at: span,
            notes: [.init("a YAML alias copies the node its anchor names; nested aliases multiply", at: nil)])
    }

    static func aliasToCollectionAsKey(at span: SourceSpan) -> Diagnostic {
        .error(YAMLLoader.aliasToCollectionAsKey, at: span)
    }

    static func yamlNestedTooDeeply(at span: SourceSpan) -> Diagnostic {
        .error(YAMLLoader.nestedTooDeeply, at: span)
    }

    static func duplicateKey(_ name: String, at span: SourceSpan, first: SourceSpan?) -> Diagnostic {
        .error(
            "duplicate key `\(name)`", at: span,
            notes: first.map { [Note("first defined here", at: $0)] } ?? [])
    }
}
