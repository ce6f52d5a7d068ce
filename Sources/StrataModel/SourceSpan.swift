/// A point in a source file. Lines and columns start at 1; columns count Unicode scalars, as
/// libyaml does, so a position read from Yams and one computed here agree.
public struct SourcePosition: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var line: Int
    public var column: Int

    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourcePosition, rhs: SourcePosition) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    public var description: String { "\(line):\(column)" }
}

/// The exact range a diagnostic points at: a file and a half-open range of positions
/// (`end` is the position just after the last character).
public struct SourceSpan: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The path as the compiler was given it; renderers may shorten it.
    public var file: String
    public var start: SourcePosition
    public var end: SourcePosition

    public init(file: String, start: SourcePosition, end: SourcePosition) {
        self.file = file
        self.start = start
        self.end = max(start, end)
    }

    /// A one-character span, for positions that name a point (an unexpected end, a missing key).
    public init(file: String, line: Int, column: Int, length: Int = 1) {
        self.init(
            file: file, start: SourcePosition(line: line, column: column),
            end: SourcePosition(line: line, column: column + max(length, 0)))
    }

    /// The smallest span covering both; `other` must be in the same file.
    public func through(_ other: SourceSpan) -> SourceSpan {
        SourceSpan(file: file, start: min(start, other.start), end: max(end, other.end))
    }

    public static func < (lhs: SourceSpan, rhs: SourceSpan) -> Bool {
        if lhs.file != rhs.file { return lhs.file < rhs.file }
        if lhs.start != rhs.start { return lhs.start < rhs.start }
        return lhs.end < rhs.end
    }

    public var description: String { "\(file):\(start.line):\(start.column)" }
}
