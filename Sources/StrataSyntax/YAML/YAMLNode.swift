import StrataModel

/// A YAML node with its exact place in the file: what the rest of strata reads instead of Yams'
/// `Node`, which only knows where a node starts.
public struct YAMLNode: Sendable {
    public enum Kind: Sendable {
        case scalar(Scalar)
        case mapping([Pair])
        case sequence([YAMLNode])
    }

    /// A key and its value, both with positions.
    public struct Pair: Sendable {
        public var key: YAMLNode
        public var value: YAMLNode

        /// The key's text (keys are scalars in strata's files; others read as empty).
        public var name: String { key.scalar?.text ?? "" }
    }

    public struct Scalar: Sendable {
        public enum Style: Sendable { case plain, singleQuoted, doubleQuoted, literal, folded }
        /// The scalar's value after YAML unquoting and folding.
        public var text: String
        public var style: Style
        /// Where each Unicode scalar of `text` sits in the file, for expressions inside it.
        public var positions: ScalarPositions
    }

    public var kind: Kind
    public var span: SourceSpan

    public var scalar: Scalar? {
        if case .scalar(let scalar) = kind { return scalar }
        return nil
    }

    public var pairs: [Pair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    public var items: [YAMLNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    /// The value under `key` in a mapping.
    public subscript(key: String) -> YAMLNode? {
        pairs?.first { $0.name == key }?.value
    }

    /// The pair under `key` in a mapping, for the key's own span.
    public func pair(_ key: String) -> Pair? {
        pairs?.first { $0.name == key }
    }

    /// What kind of node this is, for messages ("expected a mapping, found a list").
    public var kindName: String {
        switch kind {
        case .scalar: "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }
}

/// Maps an offset in a scalar's value (counted in Unicode scalars) to its place in the file.
/// Most scalars are one plain run on one line, so that case stores only where it starts.
public enum ScalarPositions: Sendable {
    case contiguous(file: String, start: SourcePosition)
    case table(file: String, positions: [SourcePosition])

    public func position(at offset: Int) -> SourcePosition {
        switch self {
        case .contiguous(_, let start):
            return SourcePosition(line: start.line, column: start.column + max(0, offset))
        case .table(_, let positions):
            guard let last = positions.last else { return SourcePosition(line: 1, column: 1) }
            if offset < 0 { return positions[0] }
            if offset < positions.count { return positions[offset] }
            return SourcePosition(line: last.line, column: last.column + (offset - positions.count + 1))
        }
    }

    public var file: String {
        switch self {
        case .contiguous(let file, _), .table(let file, _): file
        }
    }

    /// The span of the value characters `[from, to)`.
    public func span(from: Int, to: Int) -> SourceSpan {
        let start = position(at: from)
        var end = to > from ? position(at: to - 1) : start
        end.column += 1
        return SourceSpan(file: file, start: start, end: end)
    }
}
