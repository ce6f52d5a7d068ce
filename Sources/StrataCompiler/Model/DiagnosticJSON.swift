import StrataModel
import StrataSyntax

extension CompileResult {
    /// The outcome for machines (`strata validate --json`): whether the stack compiles, its
    /// size, and every diagnostic with its exact span. Paths are shown relative to `base`.
    public func json(relativeTo base: String? = nil) -> JSONValue {
        var object: [String: JSONValue] = [
            "valid": .bool(!hasErrors),
            "diagnostics": .array(diagnostics.map { $0.json(relativeTo: base) }),
        ]
        if let graph {
            object["resources"] = .int(graph.resources.count)
            object["modules"] = .int(graph.modules.count)
        }
        return .object(object)
    }
}

extension Diagnostic {
    /// `{"severity", "summary", "detail", "file", "line", "column", "end_line", "end_column",
    /// "notes": [{"message", "file", "line", "column"}]}`; absent fields are left out.
    public func json(relativeTo base: String? = nil) -> JSONValue {
        var object: [String: JSONValue] = ["severity": .string(severity.rawValue), "summary": .string(summary)]
        if let detail { object["detail"] = .string(detail) }
        if let span { object.merge(Self.json(span, relativeTo: base)) { _, new in new } }
        object["notes"] = .array(
            notes.map { note in
                var entry: [String: JSONValue] = ["message": .string(note.message)]
                if let span = note.span { entry.merge(Self.json(span, relativeTo: base)) { _, new in new } }
                return .object(entry)
            })
        return .object(object)
    }

    private static func json(_ span: SourceSpan, relativeTo base: String?) -> [String: JSONValue] {
        var file = span.file
        if let base {
            let prefix = base.hasSuffix("/") ? base : base + "/"
            if file.hasPrefix(prefix) { file = String(file.dropFirst(prefix.count)) }
        }
        return [
            "file": .string(file), "line": .int(span.start.line), "column": .int(span.start.column),
            "end_line": .int(span.end.line), "end_column": .int(span.end.column),
        ]
    }
}
