import StrataModel

/// The one diagnostic type every phase of strata's compiler reports with: what went wrong,
/// where exactly, and what else may help (a suggestion, the declaration a use refers to).
public struct Diagnostic: Sendable, Hashable, Comparable {
    public enum Severity: String, Sendable, Hashable, Comparable {
        case error, warning

        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            lhs == .error && rhs == .warning
        }
    }

    /// A secondary message, optionally pointing at another place ("declared here").
    public struct Note: Sendable, Hashable {
        public var message: String
        public var span: SourceSpan?

        public init(_ message: String, at span: SourceSpan? = nil) {
            self.message = message
            self.span = span
        }
    }

    public var severity: Severity
    /// One line, lower case, no trailing period: what is wrong.
    public var summary: String
    /// Optional longer explanation, printed after the source excerpt.
    public var detail: String?
    /// Where it is wrong; `nil` only for problems with no place (a `--var` on the command line).
    public var span: SourceSpan?
    public var notes: [Note]

    public init(
        _ severity: Severity, _ summary: String, at span: SourceSpan?, detail: String? = nil, notes: [Note] = []
    ) {
        self.severity = severity
        self.summary = summary
        self.span = span
        self.detail = detail
        self.notes = notes
    }

    public static func error(_ summary: String, at span: SourceSpan?, detail: String? = nil, notes: [Note] = [])
        -> Diagnostic
    {
        Diagnostic(.error, summary, at: span, detail: detail, notes: notes)
    }

    public static func warning(_ summary: String, at span: SourceSpan?, detail: String? = nil, notes: [Note] = [])
        -> Diagnostic
    {
        Diagnostic(.warning, summary, at: span, detail: detail, notes: notes)
    }

    /// Adds a "did you mean" note when there is a close candidate.
    public func suggesting(_ candidate: String?) -> Diagnostic {
        guard let candidate else { return self }
        var copy = self
        copy.notes.append(Note("did you mean `\(candidate)`?"))
        return copy
    }

    /// Deterministic order: by file, position, then severity and text. Diagnostics without a
    /// place come first.
    public static func < (lhs: Diagnostic, rhs: Diagnostic) -> Bool {
        switch (lhs.span, rhs.span) {
        case (nil, .some): return true
        case (.some, nil): return false
        case (.some(let a), .some(let b)) where a != b: return a < b
        default: break
        }
        if lhs.severity != rhs.severity { return lhs.severity < rhs.severity }
        return lhs.summary < rhs.summary
    }
}

extension Array where Element == Diagnostic {
    /// Whether any diagnostic is an error (warnings do not fail a command).
    public var hasErrors: Bool { contains { $0.severity == .error } }

    /// Sorted deterministically, with exact repeats removed (a block expanded three times
    /// reports its typo once).
    public func normalized() -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        return sorted().filter { seen.insert($0).inserted }
    }
}
