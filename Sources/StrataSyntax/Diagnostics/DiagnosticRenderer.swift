import StrataModel

/// Renders diagnostics the way swiftc and rustc do: `file:line:col: error: message`, the source
/// line, a caret and tildes under the exact span, then notes. Pure: returns text.
public struct DiagnosticRenderer: Sendable {
    public var sources: SourceFiles
    /// ANSI colours, for terminals only (the command line decides, honouring `NO_COLOR`).
    public var colour: Bool
    /// Paths are printed relative to this directory when they lie under it.
    public var relativeTo: String?

    public init(sources: SourceFiles, colour: Bool = false, relativeTo: String? = nil) {
        self.sources = sources
        self.colour = colour
        self.relativeTo = relativeTo
    }

    /// Every diagnostic, sorted and without repeats. The count line ("1 error in ...") is the
    /// command line's to print, since only it knows what was compiled.
    public func render(_ diagnostics: [Diagnostic]) -> String {
        var out = ""
        for diagnostic in diagnostics.normalized() {
            out += render(diagnostic)
        }
        return out
    }

    public func render(_ diagnostic: Diagnostic) -> String {
        var out = ""
        let label = diagnostic.severity == .error ? paint("error", "1;31") : paint("warning", "1;33")
        out += header(diagnostic.span) + label + ": " + paint(diagnostic.summary, "1") + "\n"
        if let span = diagnostic.span { out += excerpt(span) }
        if let detail = diagnostic.detail {
            for line in detail.split(separator: "\n", omittingEmptySubsequences: false) {
                out += "   | " + line + "\n"
            }
        }
        for note in diagnostic.notes {
            if let span = note.span {
                out += header(span) + paint("note", "1;36") + ": " + note.message + "\n"
                out += excerpt(span)
            } else {
                out += "   = " + paint("note", "1;36") + ": " + note.message + "\n"
            }
        }
        return out
    }

    /// `path:line:col: `, or nothing when the diagnostic has no place.
    private func header(_ span: SourceSpan?) -> String {
        guard let span else { return "strata: " }
        return paint("\(display(span.file)):\(span.start.line):\(span.start.column): ", "1")
    }

    public func display(_ path: String) -> String {
        guard let base = relativeTo else { return path }
        let prefix = base.hasSuffix("/") ? base : base + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    /// The quoted line with its gutter and the underline: `^` under the first character and `~`
    /// under the rest of the span (to the end of the line for spans that continue below).
    private func excerpt(_ span: SourceSpan) -> String {
        guard let line = sources.line(span.start.line, of: span.file) else { return "" }
        let number = String(span.start.line)
        let gutter = String(repeating: " ", count: number.count)
        var scalars = Array(line.unicodeScalars)
        var startColumn = max(1, min(span.start.column, scalars.count + 1))
        var endColumn: Int
        if span.end.line == span.start.line {
            endColumn = max(startColumn + 1, min(span.end.column, scalars.count + 1))
        } else {
            endColumn = max(startColumn + 1, scalars.count + 1)
        }
        // A very long line (minified JSON, a fuzzed file) is shown as a window around the span.
        let window = 160
        if scalars.count > window {
            let from = max(0, min(startColumn - 1 - 40, scalars.count - window))
            let to = min(scalars.count, from + window)
            scalars =
                (from > 0 ? Array("…".unicodeScalars) : []) + Array(scalars[from..<to])
                + (to < line.unicodeScalars.count ? Array("…".unicodeScalars) : [])
            let shift = from - (from > 0 ? 1 : 0)
            startColumn -= shift
            endColumn = min(endColumn - shift, scalars.count + 1)
            endColumn = max(endColumn, startColumn + 1)
        }
        let shown = String(String.UnicodeScalarView(scalars))
        // Tabs stay tabs in the padding so the caret lines up under tab-indented text.
        var padding = ""
        for index in 0..<(startColumn - 1) {
            padding += index < scalars.count && scalars[index] == "\t" ? "\t" : " "
        }
        let underline = "^" + String(repeating: "~", count: max(0, endColumn - startColumn - 1))
        var out = ""
        out += paint(gutter + " |", "1;34") + "\n"
        out += paint(number + " |", "1;34") + " " + shown + "\n"
        out += paint(gutter + " |", "1;34") + " " + padding + paint(underline, "1;32") + "\n"
        return out
    }

    private func paint(_ text: String, _ code: String) -> String {
        colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }
}
