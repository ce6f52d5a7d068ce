import Foundation
import StrataProviders
import StrataSyntax
import Testing

@testable import StrataCompiler

/// Golden files: the graph of every shipped stack (`golden/stacks/<name>.graph.json`) and the
/// rendered diagnostics of every broken case (`golden/errors/<case>.expected`). A missing golden,
/// or `STRATA_GOLDEN_RECORD=1` (`make golden`), writes the file and fails, so a change is only
/// accepted once someone has read the diff and committed it.
@Suite struct GoldenTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let recording = ProcessInfo.processInfo.environment["STRATA_GOLDEN_RECORD"] == "1"

    static func list(_ folder: String, _ keep: (String) -> Bool) -> [String] {
        let names =
            (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)) ?? []
        return names.filter(keep).sorted()
    }

    static let stacks = list("stacks") {
        FileManager.default.fileExists(atPath: root.appendingPathComponent("stacks/\($0)/stack.yaml").path)
    }
    static let errorCases = list("golden/errors") { $0.hasSuffix(".yaml") }.map { String($0.dropLast(".yaml".count)) }

    // MARK: - Stacks

    /// `--var`s a stack needs, from `golden/stacks/<name>.vars` (`K=V` lines).
    static func vars(for stack: String) -> [String: String] {
        let url = root.appendingPathComponent("golden/stacks/\(stack).vars")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [:] }
        var vars: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            vars[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return vars
    }

    @Test func everyShippedStackHasAGolden() {
        #expect(!Self.stacks.isEmpty, "no stacks under stacks/")
    }

    @Test(arguments: stacks) func stackGraph(_ name: String) throws {
        let result = Compiler(catalog: ResourceCatalog.all).compile(
            stackAt: Self.root.appendingPathComponent("stacks/\(name)"), vars: Self.vars(for: name))
        let rendered = DiagnosticRenderer(sources: result.sources, relativeTo: Self.root.path).render(
            result.diagnostics)
        let graph = try #require(result.graph, "stacks/\(name) does not compile:\n\(rendered)")
        #expect(rendered.isEmpty, "stacks/\(name) has warnings:\n\(rendered)")
        Self.compare(graph.json.pretty, with: "golden/stacks/\(name).graph.json")
    }

    // MARK: - Broken cases

    @Test func thereAreEnoughBrokenCases() {
        #expect(Self.errorCases.count >= 30, "only \(Self.errorCases.count) cases under golden/errors")
    }

    @Test(arguments: errorCases) func brokenCase(_ name: String) throws {
        let url = Self.root.appendingPathComponent("golden/errors/\(name).yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        let result = Self.compileCase(url, text: text)
        let rendered = DiagnosticRenderer(sources: result.sources, relativeTo: Self.root.path).render(
            result.diagnostics)
        #expect(result.hasErrors, "golden/errors/\(name).yaml compiled without errors")
        // The case file, and any helper module under golden/errors/ it pulled in, announce their errors.
        let errorsFolder = Self.root.appendingPathComponent("golden/errors").standardizedFileURL.path + "/"
        for path in result.sources.paths where path.hasPrefix(errorsFolder) {
            guard let source = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            Self.checkAnnotations(
                source, path: path, diagnostics: result.diagnostics, case: String(path.dropFirst(errorsFolder.count)))
        }
        Self.compare(rendered, with: "golden/errors/\(name).expected")
    }

    /// A case is a stack when it says `stack:`, otherwise a module compiled on its own.
    static func compileCase(_ url: URL, text: String) -> CompileResult {
        let isStack = text.split(separator: "\n").contains { $0.hasPrefix("stack:") }
        return isStack
            ? Compiler(catalog: ResourceCatalog.all).compile(stackAt: url) : Compiler(catalog: ResourceCatalog.all).compile(moduleAt: url)
    }

    /// Every `# ERROR: <text>` comment names an error reported on its line, and every error
    /// reported in the case file is announced by one.
    static func checkAnnotations(_ text: String, path: String, diagnostics: [Diagnostic], case name: String) {
        var expected: [Int: [String]] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let parts = line.components(separatedBy: "# ERROR: ").dropFirst()
            if !parts.isEmpty { expected[index + 1] = parts.map { $0.trimmingCharacters(in: .whitespaces) } }
        }
        let errors = diagnostics.filter { $0.severity == .error && $0.span?.file == path }
        for (line, texts) in expected.sorted(by: { $0.key < $1.key }) {
            let onLine = errors.filter { $0.span?.start.line == line }
            for text in texts {
                #expect(
                    onLine.contains { $0.summary.contains(text) },
                    "\(name):\(line): no error containing `\(text)`; got \(onLine.map(\.summary))")
            }
        }
        for error in errors where expected[error.span?.start.line ?? 0] == nil {
            Issue.record(
                "\(name):\(error.span?.start.line ?? 0): unannounced error `\(error.summary)` (add `# ERROR:` on that line)"
            )
        }
    }

    // MARK: - Record, then compare

    static func compare(_ actual: String, with relativePath: String) {
        let url = root.appendingPathComponent(relativePath)
        let existing = try? String(contentsOf: url, encoding: .utf8)
        if recording || existing == nil {
            do {
                try FileManager.default.createDirectory(
                    at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try actual.write(to: url, atomically: true, encoding: .utf8)
                if existing != actual {
                    Issue.record("recorded \(relativePath); read the diff, commit it, and run the tests again")
                }
            } catch {
                Issue.record("cannot write \(relativePath): \(error)")
            }
            return
        }
        guard let existing, existing != actual else { return }
        Issue.record("\(relativePath) differs (run `make golden` to accept):\n\(diff(existing, actual))")
    }

    /// A short line diff: the first differing region with a little context.
    static func diff(_ old: String, _ new: String) -> String {
        let a = old.components(separatedBy: "\n"), b = new.components(separatedBy: "\n")
        var start = 0
        while start < a.count, start < b.count, a[start] == b[start] { start += 1 }
        var endA = a.count, endB = b.count
        while endA > start, endB > start, a[endA - 1] == b[endB - 1] {
            endA -= 1
            endB -= 1
        }
        var out: [String] = ["@@ line \(start + 1) @@"]
        for line in a[max(0, start - 2)..<start] { out.append("  \(line)") }
        for line in a[start..<min(endA, start + 20)] { out.append("- \(line)") }
        for line in b[start..<min(endB, start + 20)] { out.append("+ \(line)") }
        return out.joined(separator: "\n")
    }
}
