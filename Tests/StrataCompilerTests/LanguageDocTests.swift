import Foundation
import StrataSyntax
import Testing

@testable import StrataCompiler

/// docs/language.md stays true: every ```yaml block starting with `# file: <path>` is written to
/// a scratch folder; every `stack.yaml` among them is compiled and must compile cleanly, unless
/// it carries `# ERROR: <text>` comments, in which case exactly those errors are expected, on
/// those lines.
@Suite struct LanguageDocTests {
    static let document = GoldenTests.root.appendingPathComponent("docs/language.md")

    static func blocks(_ text: String) -> [(path: String, body: String)] {
        var result: [(String, String)] = []
        var current: [String]?
        for line in text.components(separatedBy: "\n") {
            if current == nil, line == "```yaml" {
                current = []
            } else if current != nil, line == "```" {
                if let lines = current, let first = lines.first, first.hasPrefix("# file: ") {
                    result.append((String(first.dropFirst("# file: ".count)), lines.joined(separator: "\n") + "\n"))
                }
                current = nil
            } else {
                current?.append(line)
            }
        }
        return result
    }

    @Test func everyExampleCompilesAsDocumented() throws {
        let text = try String(contentsOf: Self.document, encoding: .utf8)
        let blocks = Self.blocks(text)
        #expect(blocks.count >= 5, "docs/language.md lost its examples")
        let scratch = try Scratch(Dictionary(blocks.map { ($0.path, $0.body) }, uniquingKeysWith: { _, new in new }))
        defer { scratch.remove() }
        for block in blocks where block.path.hasSuffix("stack.yaml") {
            let result = scratch.compile(block.path)
            let rendered = DiagnosticRenderer(sources: result.sources).render(result.diagnostics)
            let path = scratch.root.appendingPathComponent(block.path).standardizedFileURL.path
            if block.body.contains("# ERROR: ") {
                #expect(result.hasErrors, "\(block.path) should fail")
                GoldenTests.checkAnnotations(block.body, path: path, diagnostics: result.diagnostics, case: block.path)
            } else {
                #expect(result.diagnostics.isEmpty, "\(block.path):\n\(rendered)")
            }
        }
    }
}
