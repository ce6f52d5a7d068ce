import Yams

/// Reads one YAML document into `YAMLNode`s with exact spans. Malformed YAML becomes a diagnostic
/// at the position libyaml reports; duplicate keys (which Yams rejects one at a time, naming only
/// the first occurrence) are each reported at the repeated key, and loading goes on.
public enum YAMLLoader {
    /// Parses `text`, the contents of `file`. Returns no node only when the YAML is malformed
    /// (with a diagnostic saying why); an empty document is an empty plain scalar.
    public static func load(_ text: String, file: String) -> (YAMLNode?, [Diagnostic]) {
        if let key = collectionAliasKey(in: text, file: file) { return (nil, [.aliasToCollectionAsKey(at: key)]) }
        var diagnostics: [Diagnostic] = []
        var source = text
        var masked = Set<SourcePosition>()
        // Each round masks one repeated key (same length, so positions stay put) and tries again.
        for round in 0..<64 {
            do {
                guard let root = try Yams.compose(yaml: source) else {
                    let start = SourcePosition(line: 1, column: 1)
                    let empty = YAMLNode(
                        kind: .scalar(.init(text: "", style: .plain, positions: .contiguous(file: file, start: start))),
                        span: SourceSpan(file: file, start: start, end: SourcePosition(line: 1, column: 2)))
                    return (diagnostics.isEmpty ? empty : nil, diagnostics)
                }
                let (node, problems) = convert(root, file: file, lines: SourceLines(source), masked: masked)
                return (node, diagnostics + problems)
            } catch let YamlError.duplicatedKeysInMapping(duplicates, context) {
                let first = SourcePosition(line: context.mark.line, column: context.mark.column)
                let lines = SourceLines(source)
                guard let name = duplicates.first,
                    let repeated = lines.findRepeatedKey(name, after: first)
                else {
                    diagnostics.append(.duplicateKey(duplicates.first ?? "?", at: span(file, first, 1), first: nil))
                    return (nil, diagnostics)
                }
                let keySpan = SourceSpan(
                    file: file, start: repeated.start,
                    end: SourcePosition(line: repeated.start.line, column: repeated.start.column + repeated.length))
                diagnostics.append(
                    .duplicateKey(name, at: keySpan, first: span(file, first, name.unicodeScalars.count)))
                masked.insert(repeated.start)
                source = lines.replacing(
                    at: repeated.textStart, count: name.unicodeScalars.count,
                    with: placeholder(round, name.unicodeScalars.count))
            } catch let error as YamlError {
                diagnostics.append(malformed(error, file: file))
                return (nil, diagnostics)
            } catch {
                diagnostics.append(
                    .error("cannot read YAML: \(error)", at: span(file, SourcePosition(line: 1, column: 1), 1)))
                return (nil, diagnostics)
            }
        }
        return (nil, diagnostics)
    }

    /// An alias used as a key (`*name:` or `? *name`) whose anchor names a mapping or list. Yams
    /// hashes every key of a mapping, deeply, to find duplicates before anything here sees the
    /// tree, so a key that is a billion laughs hangs in Yams; strata's keys are scalars, so it is
    /// refused from the text first. A heuristic on lines, erring towards letting files through.
    static func collectionAliasKey(in text: String, file: String) -> SourceSpan? {
        guard text.contains("*"), text.contains("&") else { return nil }
        let stops: Set<Unicode.Scalar> = [" ", "\t", ",", "[", "]", "{", "}", ":"]
        var collections: Set<String> = []
        var keys: [(name: String, span: SourceSpan)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let scalars = Array(line.unicodeScalars)
            var i = 0
            while i < scalars.count {
                let c = scalars[i]
                guard c == "&" || c == "*", i == 0 || [" ", "\t", ",", "[", "{", "?", "-"].contains(scalars[i - 1])
                else {
                    i += 1
                    continue
                }
                var end = i + 1
                while end < scalars.count, !stops.contains(scalars[end]) { end += 1 }
                let name = String(String.UnicodeScalarView(scalars[(i + 1)..<end]))
                var next = end
                while next < scalars.count, scalars[next] == " " || scalars[next] == "\t" { next += 1 }
                if c == "&" {
                    if next == scalars.count || ["[", "{", "#"].contains(scalars[next]) { collections.insert(name) }
                } else {
                    var before = i - 1
                    while before >= 0, scalars[before] == " " { before -= 1 }
                    let isKey =
                        (next < scalars.count && scalars[next] == ":"
                            && (next + 1 == scalars.count || scalars[next + 1] == " "))
                        || (before >= 0 && scalars[before] == "?")
                    if isKey {
                        keys.append((name, SourceSpan(file: file, line: index + 1, column: i + 1, length: end - i)))
                    }
                }
                i = end
            }
        }
        return keys.first { collections.contains($0.name) }?.span
    }

    private static func placeholder(_ round: Int, _ length: Int) -> String {
        let digits = Array("0123456789abcdefghijklmnopqrstuvwxyz")
        var text = ""
        var value = round
        repeat {
            text.append(digits[value % digits.count])
            value /= digits.count
        } while value > 0 && text.count < length
        let padded =
            String(repeating: "z", count: max(0, length - text.count - 1)) + (length > text.count ? "_" : "") + text
        return String(padded.suffix(length))
    }

    private static func span(_ file: String, _ start: SourcePosition, _ length: Int) -> SourceSpan {
        SourceSpan(file: file, line: start.line, column: start.column, length: length)
    }

    private static func malformed(_ error: YamlError, file: String) -> Diagnostic {
        func at(_ mark: Mark) -> SourceSpan { SourceSpan(file: file, line: mark.line, column: mark.column) }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            var notes: [Diagnostic.Note] = []
            if let context, context.mark.line != mark.line || context.mark.column != mark.column {
                notes.append(.init(context.text, at: at(context.mark)))
            }
            return .error("malformed YAML: \(problem)", at: at(mark), notes: notes)
        case .reader(let problem, _, _, _):
            return .error("malformed YAML: \(problem)", at: SourceSpan(file: file, line: 1, column: 1))
        default:
            return .error("malformed YAML: \(error)", at: SourceSpan(file: file, line: 1, column: 1))
        }
    }

    // MARK: - Conversion with spans

    /// At most this many nodes may come from alias expansion in one file. Yams hands back an
    /// alias as the node it names, so nine anchors of nine aliases each (a "billion laughs",
    /// under 500 bytes) expand to 9⁹ nodes and exhaust memory. Shared defaults in real stacks
    /// expand to hundreds; go-yaml and SnakeYAML bound aliases the same way.
    public static let maximumAliasExpansion = 100_000

    /// At most this many levels of nested mappings and lists, aliases expanded: the passes
    /// that read the tree recurse on it. Real stacks nest under a dozen.
    public static let maximumDepth = 256

    private struct TooLarge: Error { var diagnostic: Diagnostic }

    private static func convert(_ root: Node, file: String, lines: SourceLines, masked: Set<SourcePosition>) -> (
        YAMLNode?, [Diagnostic]
    ) {
        var converter = Converter(file: file, lines: lines, masked: masked)
        do {
            return (try converter.convert(root, depth: 1), [])
        } catch {
            return (nil, [error.diagnostic])
        }
    }

    /// Walks Yams' tree in document order. Every node written out in the file starts at or after
    /// the end of the node before it; one that starts earlier is an alias's copy of the anchored
    /// node, and everything under it counts against ``maximumAliasExpansion``.
    private struct Converter {
        let file: String
        let lines: SourceLines
        let masked: Set<SourcePosition>
        /// The end of the last node read from the file, aliases aside.
        var cursor = SourcePosition(line: 1, column: 1)
        /// Where the alias being expanded is written, while expanding one.
        var alias: SourceSpan?
        var expanded = 0

        init(file: String, lines: SourceLines, masked: Set<SourcePosition>) {
            self.file = file
            self.lines = lines
            self.masked = masked
        }

        mutating func convert(_ node: Node, depth: Int) throws(TooLarge) -> YAMLNode {
            let start =
                node.mark.map { SourcePosition(line: $0.line, column: $0.column) } ?? SourcePosition(line: 1, column: 1)
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
            case .scalar(let scalar):
                let converted = lines.scalarNode(scalar, at: start, file: file)
                if alias == nil { cursor = max(cursor, converted.span.end) }
                return converted
            case .alias:
                // Yams resolves aliases while composing; an unresolved one reads as an empty scalar.
                return YAMLNode(
                    kind: .scalar(.init(text: "", style: .plain, positions: .contiguous(file: file, start: start))),
                    span: SourceSpan(file: file, start: start, end: start))
            case .mapping(let mapping):
                var pairs: [YAMLNode.Pair] = []
                var end = SourcePosition(line: start.line, column: start.column + 1)
                for (key, value) in mapping {
                    let k = try convert(key, depth: depth + 1)
                    let v = try convert(value, depth: depth + 1)
                    end = max(end, k.span.end, v.span.end)
                    if masked.contains(k.span.start) { continue }
                    pairs.append(YAMLNode.Pair(key: k, value: v))
                }
                if mapping.style == .flow { end = max(end, lines.closing("}", after: end)) }
                if alias == nil { cursor = max(cursor, end) }
                return YAMLNode(
                    kind: .mapping(YAMLLoader.mergeKeys(pairs)), span: SourceSpan(file: file, start: start, end: end))
            case .sequence(let sequence):
                var items: [YAMLNode] = []
                var end = SourcePosition(line: start.line, column: start.column + 1)
                for item in sequence {
                    let converted = try convert(item, depth: depth + 1)
                    end = max(end, converted.span.end)
                    items.append(converted)
                }
                if sequence.style == .flow { end = max(end, lines.closing("]", after: end)) }
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
        .error("an alias to a mapping or list cannot be a key", at: span)
    }

    static func yamlNestedTooDeeply(at span: SourceSpan) -> Diagnostic {
        .error("YAML nested too deeply (more than \(YAMLLoader.maximumDepth) levels)", at: span)
    }

    static func duplicateKey(_ name: String, at span: SourceSpan, first: SourceSpan?) -> Diagnostic {
        .error(
            "duplicate key `\(name)`", at: span,
            notes: first.map { [Note("first defined here", at: $0)] } ?? [])
    }
}
