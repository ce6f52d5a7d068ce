import StrataSyntax

/// The diagnostics of one resource block's instances, each problem reported once. Every instance
/// evaluates the same expressions, so one bad value (`zones: 100` indexing the region's six zones)
/// made the same error once per instance: 560 errors for one cause. The first instance's
/// diagnostic stands for the others at the same place, with a note saying how many more fail.
struct RepeatedDiagnostics {
    private var kept: [Diagnostic] = []
    private var repeats: [Int] = []
    private var positions: [Key: Int] = [:]

    private struct Key: Hashable {
        var span: SourceSpan
        var severity: Diagnostic.Severity
    }

    mutating func add(_ found: [Diagnostic]) {
        for diagnostic in found {
            guard let span = diagnostic.span else {
                kept.append(diagnostic)
                repeats.append(0)
                continue
            }
            let key = Key(span: span, severity: diagnostic.severity)
            if let index = positions[key] {
                repeats[index] += 1
            } else {
                positions[key] = kept.count
                kept.append(diagnostic)
                repeats.append(0)
            }
        }
    }

    /// The kept diagnostics, those that stand for others noting it.
    func collapsed(block: ResourceAddress) -> [Diagnostic] {
        zip(kept, repeats).map { diagnostic, more in
            guard more > 0 else { return diagnostic }
            var copy = diagnostic
            copy.notes.append(
                .init("and \(more) more instance\(more == 1 ? "" : "s") of `\(block)` the same way here"))
            return copy
        }
    }
}
