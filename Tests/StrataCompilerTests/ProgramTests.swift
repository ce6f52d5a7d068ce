import Foundation
import StrataModel
import StrataProviders
import StrataSyntax
import Testing

@testable import StrataCompiler

/// The compiler's output as a saved plan carries it: encoded, decoded where no stack file is,
/// and evaluated to exactly what the files compile to — and an error found while evaluating it
/// still points at the file, line and column, with the line and a caret.
@Suite struct ProgramTests {
    /// Through the plan's JSON form and back.
    static func carried(_ program: Program) throws -> Program { try Program(jsonText: try program.jsonText()) }

    @Test(arguments: GoldenTests.stacks) func everyShippedStackEvaluatesFromItsCarriedProgramAsCompiled(_ name: String) throws {
        let vars = GoldenTests.vars(for: name)
        let compiled = Compiler(catalog: ResourceCatalog.all).compile(
            stackAt: GoldenTests.root.appendingPathComponent("stacks/\(name)"), vars: vars)
        let graph = try #require(compiled.graph)
        let evaluated = try Self.carried(try #require(compiled.program)).evaluate(vars: vars, catalog: ResourceCatalog.all)
        #expect(evaluated.diagnostics.isEmpty)
        #expect(try #require(evaluated.graph).json == graph.json, "stacks/\(name) evaluates otherwise from its carried program")
    }

    @Test func anErrorFoundEvaluatingACarriedProgramShowsItsLineWhereNoFileIs() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strata-program-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("stack.yaml")
        try """
        stack: carried
        region: us-east-1
        vars:
          cidr: { type: string, default: 10.0.0.0/16 }
        resources:
          vpc:
            type: aws_vpc
            cidr_block: ${vars.cidr}
        """.write(to: file, atomically: true, encoding: .utf8)
        let compiled = Compiler(catalog: ResourceCatalog.all).compile(stackAt: folder)
        try #require(compiled.graph != nil, "\(compiled.diagnostics.map(\.summary))")
        let program = try Self.carried(try #require(compiled.program))
        try FileManager.default.removeItem(at: folder)

        let result = program.evaluate(vars: ["cidr": "10.0.0.0/99"], catalog: ResourceCatalog.all)
        #expect(result.graph == nil)
        let rendered = result.renderedErrors.joined(separator: "\n")
        #expect(rendered.contains("\(file.path):8:"), "no file:line:column in:\n\(rendered)")
        #expect(rendered.contains("cidr_block: ${vars.cidr}"), "no source line in:\n\(rendered)")
        #expect(rendered.contains("^"), "no caret in:\n\(rendered)")
    }
}
