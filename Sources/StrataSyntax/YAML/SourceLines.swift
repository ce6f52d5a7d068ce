import StrataModel

/// A file's lines as Unicode scalars (libyaml's column unit): where spans are computed, since
/// libyaml only reports where a node starts.
struct SourceLines {
    let lines: [[Unicode.Scalar]]

    init(_ text: String) {
        var lines: [[Unicode.Scalar]] = [[]]
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                if lines[lines.count - 1].last == "\r" { lines[lines.count - 1].removeLast() }
                lines.append([])
            } else {
                lines[lines.count - 1].append(scalar)
            }
        }
        self.lines = lines
    }

    /// The character at a position, a newline past the end of a line, nil past the file.
    private func character(_ p: SourcePosition) -> Unicode.Scalar? {
        guard p.line >= 1, p.line <= lines.count else { return nil }
        let line = lines[p.line - 1]
        if p.column - 1 < line.count { return p.column >= 1 ? line[p.column - 1] : nil }
        return p.line < lines.count ? "\n" : nil
    }

    private func next(_ p: SourcePosition) -> SourcePosition {
        guard p.line >= 1, p.line <= lines.count else { return p }
        if p.column - 1 < lines[p.line - 1].count { return SourcePosition(line: p.line, column: p.column + 1) }
        return SourcePosition(line: p.line + 1, column: 1)
    }

    private func matches(_ value: [Unicode.Scalar], at p: SourcePosition) -> Bool {
        guard p.line >= 1, p.line <= lines.count, p.column >= 1 else { return false }
        let line = lines[p.line - 1]
        guard p.column - 1 + value.count <= line.count else { return false }
        for (offset, scalar) in value.enumerated() where line[p.column - 1 + offset] != scalar { return false }
        return true
    }

    /// Walks the raw text from `start`, pairing each value character with the next raw character
    /// equal to it; raw characters with no counterpart (quotes, escapes, folded newlines,
    /// indentation) are skipped. Exact for the common cases, close for the rest.
    private func align(_ value: [Unicode.Scalar], from start: SourcePosition) -> ([SourcePosition], SourcePosition) {
        var positions: [SourcePosition] = []
        positions.reserveCapacity(value.count)
        var cursor = start
        for scalar in value {
            var probe = cursor
            var found = false
            for _ in 0..<256 {
                guard let raw = character(probe) else { break }
                if raw == scalar {
                    found = true
                    break
                }
                probe = next(probe)
            }
            if found {
                positions.append(probe)
                cursor = next(probe)
            } else {
                positions.append(cursor)
            }
        }
        return (positions, cursor)
    }

    func scalarNode(_ text: String, _ style: YAMLNode.Scalar.Style, at start: SourcePosition, file: String) -> YAMLNode {
        let value = Array(text.unicodeScalars)
        let positions: ScalarPositions
        var end: SourcePosition
        switch style {
        case .plain:
            if matches(value, at: start) {
                positions = .contiguous(file: file, start: start)
                end = SourcePosition(line: start.line, column: start.column + value.count)
            } else {
                let (table, cursor) = align(value, from: start)
                positions = table.isEmpty ? .contiguous(file: file, start: start) : .table(file: file, positions: table)
                end = cursor
            }
        case .singleQuoted, .doubleQuoted:
            let quote: Unicode.Scalar = style == .singleQuoted ? "'" : "\""
            let contentStart = SourcePosition(line: start.line, column: start.column + 1)
            if matches(value, at: contentStart),
                character(SourcePosition(line: start.line, column: contentStart.column + value.count)) == quote
            {
                positions = .contiguous(file: file, start: contentStart)
                end = SourcePosition(line: start.line, column: contentStart.column + value.count + 1)
            } else {
                let (table, cursor) = align(value, from: contentStart)
                positions =
                    table.isEmpty ? .contiguous(file: file, start: contentStart) : .table(file: file, positions: table)
                end = closing(quote, after: cursor)
            }
        case .literal, .folded:
            let (table, cursor) = align(value, from: SourcePosition(line: start.line + 1, column: 1))
            positions = table.isEmpty ? .contiguous(file: file, start: start) : .table(file: file, positions: table)
            end = table.last.map { SourcePosition(line: $0.line, column: $0.column + 1) } ?? cursor
            if end < start { end = SourcePosition(line: start.line, column: start.column + 1) }
        }
        if end <= start { end = SourcePosition(line: start.line, column: start.column + 1) }
        return YAMLNode(
            kind: .scalar(.init(text: text, style: style, positions: positions)),
            span: SourceSpan(file: file, start: start, end: end))
    }

    /// The position just after the next `character` at or after `from` (a closing bracket or
    /// quote); `from` itself when there is none nearby.
    func closing(_ target: Unicode.Scalar, after from: SourcePosition) -> SourcePosition {
        var probe = from
        for _ in 0..<4096 {
            guard let raw = character(probe) else { return from }
            if raw == target { return SourcePosition(line: probe.line, column: probe.column + 1) }
            probe = next(probe)
        }
        return from
    }

    /// The span of the alias (`*name`) written at or after `from`: the node the composer handed back in
    /// its place starts at its anchor, so the alias itself is found in the text. `from` itself
    /// when there is none (it is the end of the node before the alias).
    func alias(after from: SourcePosition, file: String) -> SourceSpan {
        var probe = from
        while let raw = character(probe) {
            if raw == "*" {
                var end = next(probe)
                while end.line == probe.line, let c = character(end), !" \t\n,[]{}".unicodeScalars.contains(c) {
                    end = next(end)
                }
                return SourceSpan(file: file, start: probe, end: end)
            }
            probe = next(probe)
        }
        return SourceSpan(file: file, line: from.line, column: from.column)
    }
}
