import ArgumentParser
import Foundation
import StrataCompiler
import StrataModel
import StrataPlanner
import StrataProviders
import StrataSyntax

/// The arguments every command that compiles a stack takes.
struct StackOptions: ParsableArguments {
    @Argument(
        help: "A stack file, or a folder holding stack.yaml (a folder holding only module.yaml checks that module).")
    var stack: String

    @Option(name: .customLong("var"), help: ArgumentHelp("Override a stack variable.", valueName: "K=V"))
    var vars: [String] = []

    /// `--var` values as a map; a malformed one is a usage error.
    func overrides() throws -> [String: String] {
        var result: [String: String] = [:]
        for assignment in vars {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw ValidationError("--var expects K=V, got `\(assignment)`")
            }
            result[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...])
        }
        return result
    }

    /// Compiles the stack (or a module folder on its own), printing nothing.
    func result() throws -> CompileResult {
        let url = URL(fileURLWithPath: stack)
        let manager = FileManager.default
        // A module folder is checked on its own, its required inputs standing for any value.
        let isModule =
            !manager.fileExists(atPath: url.appendingPathComponent("stack.yaml").path)
            && manager.fileExists(atPath: url.appendingPathComponent("module.yaml").path)
        return isModule
            ? Compiler(catalog: ResourceCatalog.all).compile(moduleAt: url)
            : Compiler(catalog: ResourceCatalog.all).compile(stackAt: url, vars: try overrides())
    }

    /// Compiles the stack and prints its diagnostics to standard error; exits 1 on errors.
    func compile() throws -> CompiledGraph { try compileProgram().graph }

    /// The stack's program and its evaluation with nothing live: what `plan`, `apply` and
    /// `destroy` compile once and evaluate from then on. Diagnostics as ``compile()``.
    func compileProgram() throws -> (graph: CompiledGraph, program: Program) {
        let result = try result()
        let text = ErrorReport.renderer(result.sources).render(result.diagnostics)
        if !text.isEmpty { FileHandle.standardError.write(Data(text.utf8)) }
        guard let graph = result.graph, let program = result.program, !result.hasErrors else {
            let errors = result.diagnostics.filter { $0.severity == .error }.count
            FileHandle.standardError.write(Data("error: \(errors) error\(errors == 1 ? "" : "s") in \(stack)\n".utf8))
            throw ExitCode.failure
        }
        return (graph, program)
    }
}

extension StackOptions {
    /// Plans the compiled stack against the live account (`plan` and `output` share it); an
    /// error is printed and exits 1.
    func livePlan(_ graph: CompiledGraph, program: Program) async throws -> Plan {
        try await Failing.report { try await planner(graph).plan(graph, program: program, vars: try overrides()) }
    }

    /// The plan `strata destroy` would carry out (`plan --destroy`); errors as ``livePlan(_:program:)``.
    func destroyPlan(_ graph: CompiledGraph, program: Program) async throws -> Plan {
        try await Failing.report {
            try await planner(graph).planDestroy(graph: graph, program: program, vars: try overrides())
        }
    }

    private func planner(_ graph: CompiledGraph) throws -> Planner {
        let client = try ClientFactory.client(stackRegion: graph.region)
        return Planner(context: ProviderContext(client: client, stack: graph.stack, region: graph.region))
    }
}

/// What the terminal can show.
enum Terminal {
    /// Colour only on a terminal, and never when `NO_COLOR` is set (https://no-color.org).
    static var colourOnStandardError: Bool {
        let environment = ProcessInfo.processInfo.environment
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        if environment["TERM"] == "dumb" { return false }
        return isatty(STDERR_FILENO) == 1
    }
}
