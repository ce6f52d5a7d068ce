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
