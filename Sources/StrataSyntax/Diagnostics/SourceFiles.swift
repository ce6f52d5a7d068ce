/// The text of every file a compilation read, by path, so diagnostics can quote their lines.
public struct SourceFiles: Sendable {
    private var lines: [String: [Substring]] = [:]

    public init() {}

    public mutating func add(path: String, text: String) {
        lines[path] = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
    }

    public mutating func merge(_ other: SourceFiles) {
        lines.merge(other.lines) { _, new in new }
    }

    /// Line `number` (1-based) of `path`, without its newline.
    public func line(_ number: Int, of path: String) -> Substring? {
        guard let all = lines[path], number >= 1, number <= all.count else { return nil }
        return all[number - 1]
    }

    public var paths: [String] { lines.keys.sorted() }
}

extension SourceFiles: Codable {
    // Path → the file's text, so diagnostics found where no file is (a saved plan's program
    // evaluated in another directory) still show their line and caret.
    public init(from decoder: any Decoder) throws {
        self.init()
        for (path, text) in try decoder.singleValueContainer().decode([String: String].self) { add(path: path, text: text) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(lines.mapValues { $0.joined(separator: "\n") })
    }
}
