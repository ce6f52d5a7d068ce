import Yams

/// Reads one YAML document into `YAMLNode`s with exact spans. Malformed YAML becomes a diagnostic
/// at the position libyaml reports; duplicate keys (which Yams rejects one at a time, naming only
/// the first occurrence) are each reported at the repeated key, and loading goes on.
public enum YAMLLoader {
    /// Parses `text`, the contents of `file`. Returns no node only when the YAML is malformed
    /// (with a diagnostic saying why); an empty document is an empty plain scalar.
    public static func load(_ text: String, file: String) -> (YAMLNode?, [Diagnostic]) {
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
                let lines = SourceLines(source)
                let node = convert(root, file: file, lines: lines, masked: masked)
                return (node, diagnostics)
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

    private static func convert(_ node: Node, file: String, lines: SourceLines, masked: Set<SourcePosition>) -> YAMLNode
    {
        let start =
            node.mark.map { SourcePosition(line: $0.line, column: $0.column) } ?? SourcePosition(line: 1, column: 1)
        switch node {
        case .scalar(let scalar):
            return lines.scalarNode(scalar, at: start, file: file)
        case .alias(let alias):
            // Yams resolves aliases while composing; an unresolved one reads as an empty scalar.
            _ = alias
            return YAMLNode(
                kind: .scalar(.init(text: "", style: .plain, positions: .contiguous(file: file, start: start))),
                span: SourceSpan(file: file, start: start, end: start))
        case .mapping(let mapping):
            var pairs: [YAMLNode.Pair] = []
            var end = SourcePosition(line: start.line, column: start.column + 1)
            for (key, value) in mapping {
                let k = convert(key, file: file, lines: lines, masked: masked)
                let v = convert(value, file: file, lines: lines, masked: masked)
                end = max(end, k.span.end, v.span.end)
                if masked.contains(k.span.start) { continue }
                pairs.append(YAMLNode.Pair(key: k, value: v))
            }
            if mapping.style == .flow { end = max(end, lines.closing("}", after: end)) }
            return YAMLNode(kind: .mapping(mergeKeys(pairs)), span: SourceSpan(file: file, start: start, end: end))
        case .sequence(let sequence):
            var items: [YAMLNode] = []
            var end = SourcePosition(line: start.line, column: start.column + 1)
            for item in sequence {
                let converted = convert(item, file: file, lines: lines, masked: masked)
                end = max(end, converted.span.end)
                items.append(converted)
            }
            if sequence.style == .flow { end = max(end, lines.closing("]", after: end)) }
            return YAMLNode(kind: .sequence(items), span: SourceSpan(file: file, start: start, end: end))
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
    static func duplicateKey(_ name: String, at span: SourceSpan, first: SourceSpan?) -> Diagnostic {
        .error(
            "duplicate key `\(name)`", at: span,
            notes: first.map { [Note("first defined here", at: $0)] } ?? [])
    }
}
