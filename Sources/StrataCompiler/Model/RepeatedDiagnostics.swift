import StrataModel
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

extension Diagnostic.Note {
    /// The end of the note that names the stack line passing a module its value.
    static let passedFromHere = "is passed from here"
}

extension [Diagnostic] {
    /// Errors inside a module that the same passed values cause, reported once: `zones: 100`
    /// breaks every block of the VPC module that indexes the region's six zones or cuts the
    /// address plan (ten errors at ten places). Errors that share a passed value are one group
    /// (errors naming `zones` and `cidr` join those naming `zones` alone); its first stands for
    /// the rest, with a note listing where else they fail, so fixing the value clears them all
    /// and none is hidden. Expects the diagnostics sorted (the first is the earliest).
    func onePerPassedValue() -> [Diagnostic] {
        // Union-find over the errors, joined through each passed value's span.
        var parent = [Int](0..<count)
        func root(_ index: Int) -> Int {
            var index = index
            while parent[index] != index { index = parent[index] }
            return index
        }
        var firstNaming: [SourceSpan: Int] = [:]
        var grouped = Set<Int>()
        for (index, diagnostic) in enumerated() where diagnostic.severity == .error {
            for span in diagnostic.notes.filter({ $0.message.hasSuffix(Diagnostic.Note.passedFromHere) }).compactMap(\.span) {
                grouped.insert(index)
                if let other = firstNaming[span] {
                    let (a, b) = (root(other), root(index))
                    parent[Swift.max(a, b)] = Swift.min(a, b)
                } else {
                    firstNaming[span] = index
                }
            }
        }
        var members: [Int: [Int]] = [:]
        for index in grouped.sorted() { members[root(index), default: []].append(index) }
        return enumerated().compactMap { index, diagnostic in
            guard grouped.contains(index) else { return diagnostic }
            guard let group = members[index] else { return nil }  // not its group's first
            guard group.count > 1 else { return diagnostic }
            let others = group.dropFirst().compactMap { self[$0].span }
            let shown = others.prefix(10).map { span in
                span.file == diagnostic.span?.file
                    ? "\(span.start.line):\(span.start.column)" : "\(span.file):\(span.start.line):\(span.start.column)"
            }
            var copy = diagnostic
            copy.notes.append(
                .init(
                    "the values passed to this module make \(others.count) more error\(others.count == 1 ? "" : "s") in it, at "
                        + shown.joined(separator: ", ") + (others.count > shown.count ? ", ..." : "")))
            return copy
        }
    }
}
