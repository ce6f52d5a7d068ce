import Foundation
import StrataModel
import Testing

@testable import StrataSyntax

@Suite struct DiagnosticRendererTests {
    @Test func rendersLikeACompiler() {
        var sources = SourceFiles()
        sources.add(path: "/repo/stacks/a.yaml", text: "vpc:\n  cidr_blok: 10.0.0.0/16\n")
        let diagnostic = Diagnostic.error(
            "unknown attribute `cidr_blok` on aws_vpc",
            at: SourceSpan(file: "/repo/stacks/a.yaml", line: 2, column: 3, length: 9)
        ).suggesting("cidr_block")
        let text = DiagnosticRenderer(sources: sources, relativeTo: "/repo").render([diagnostic])
        #expect(
            text == """
                stacks/a.yaml:2:3: error: unknown attribute `cidr_blok` on aws_vpc
                  |
                2 |   cidr_blok: 10.0.0.0/16
                  |   ^~~~~~~~~
                   = note: did you mean `cidr_block`?

                """)
    }
}

@Suite struct LongLineRenderingTests {
    @Test func aVeryLongLineIsShownAsAWindowAroundTheSpan() {
        var sources = SourceFiles()
        let line = String(repeating: "x", count: 1000) + "BAD" + String(repeating: "y", count: 1000)
        sources.add(path: "l.yaml", text: line)
        let text = DiagnosticRenderer(sources: sources).render(
            [.error("bad", at: SourceSpan(file: "l.yaml", line: 1, column: 1001, length: 3))])
        let lines = text.split(separator: "\n")
        #expect(lines.allSatisfy { $0.count < 200 })
        let quoted = lines[2], underline = lines[3]
        let caret = underline.firstIndex(of: "^").map { underline.distance(from: underline.startIndex, to: $0) }
        let bad = quoted.range(of: "BAD").map { quoted.distance(from: quoted.startIndex, to: $0.lowerBound) }
        #expect(caret != nil && caret == bad)
        #expect(underline.hasSuffix("^~~"))
    }
}
