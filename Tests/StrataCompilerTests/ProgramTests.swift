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

    /// The forms a Terraform user writes (inline routes, inline security-group rules, block
    /// lists): the stack PlanJSONTerraformTests compares with Terraform.
    @Test func theTerraformFormsStackEvaluatesFromItsCarriedProgramAsCompiled() throws {
        let compiled = Compiler(catalog: ResourceCatalog.all).compile(
            stackAt: GoldenTests.root.appendingPathComponent("Tests/terraform-inline/stack.yaml"))
        let graph = try #require(compiled.graph, "\(compiled.diagnostics.map(\.summary))")
        let evaluated = try Self.carried(try #require(compiled.program)).evaluate(vars: [:], catalog: ResourceCatalog.all)
        #expect(try #require(evaluated.graph).json == graph.json)
    }

    /// Every broken case (stacks and modules alike) reports exactly the same problems, at the same
    /// places with the same lines quoted, from its carried program as from the program compiled.
    @Test(arguments: GoldenTests.errorCases) func everyBrokenCaseReportsTheSameFromItsCarriedProgram(_ name: String) throws {
        let url = GoldenTests.root.appendingPathComponent("golden/errors/\(name).yaml")
        let compiled = GoldenTests.compileCase(url, text: try String(contentsOf: url, encoding: .utf8))
        guard let program = compiled.program else { return }  // the file did not parse: nothing to carry
        func rendered(_ program: Program) -> String {
            let result = program.evaluate(vars: [:], catalog: ResourceCatalog.all)
            return DiagnosticRenderer(sources: result.sources, relativeTo: GoldenTests.root.path).render(result.diagnostics)
        }
        #expect(rendered(try Self.carried(program)) == rendered(program), "golden/errors/\(name).yaml")
    }

    /// A program text that is not one strata wrote (truncated, nested past what JSON readers accept, not JSON,
    /// a wrong shape) is refused with an error, never a crash.
    @Test func aHostileProgramTextIsRefused() throws {
        let compiled = Compiler(catalog: ResourceCatalog.all).compile(stackAt: GoldenTests.root.appendingPathComponent("stacks/demo"))
        let text = try #require(compiled.program).jsonText()
        let hostile = [
            String(text.prefix(text.count / 2)), String(repeating: "[", count: 2_000), "\u{0}\u{1}not json",
            "{\"stack\": 1}", "[]", "",
        ]
        for candidate in hostile {
            #expect(throws: (any Error).self, "accepted: \(candidate.prefix(40))") { try Program(jsonText: candidate) }
        }
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
