import Foundation
import StrataModel
import StrataSyntax

/// The compiler's output: a stack loaded, parsed and checked for shape, ready to evaluate —
/// what a plan is computed from and what a saved plan carries, so it applies with no stack file
/// present.
///
/// It holds the stack's declarations and every module's (inputs, resource blocks and outputs,
/// each attribute's expression with the span it was written at), the variable declarations
/// (never a `--var` value: those are given to ``evaluate(vars:live:catalog:)``) and the text of
/// every file, so a problem found while evaluating a saved plan renders `file:line:column` with
/// its line and caret where those files are not.
///
/// Evaluation runs the passes after loading: binding references, ordering, expansion against
/// live values, the rules and the graph. It reads no file and calls nothing, so the planner can
/// evaluate as often as live values become known (matching children, replacements) for the cost
/// of one expansion, and never parses again. Binding and ordering run with it since they are a
/// small part of its time and depend on nothing but the declarations.
public struct Program: Sendable, Codable {
    /// The stack file with every module it instantiates loaded into its calls.
    public var stack: StackFile
    /// Every file read, for rendering diagnostics.
    public var sources: SourceFiles
    /// A module checked on its own (``Compiler/compile(moduleAt:)``).
    var standalone = false

    init(stack: StackFile, sources: SourceFiles, standalone: Bool = false) {
        self.stack = stack
        self.sources = sources
        self.standalone = standalone
    }

    /// Evaluates the program with `vars` (`--var` values) and `live` (the current attributes of
    /// resources that already exist: a reference to a computed attribute of one of them sees its
    /// live value instead of unknown; attributes the stack sets are never taken from `live`).
    /// Pure: no file is read and nothing is called.
    public func evaluate(
        vars: [String: String], live: [ResourceAddress: [String: Value]] = [:], catalog: [String: ResourceSchema]
    ) -> CompileResult {
        evaluate(vars: vars, live: live, catalog: catalog, loading: [])
    }

    /// `loading`: what loading the files found, which the passes see as found before them (a
    /// pass may skip work after errors) and which secrets are hidden from as from the rest.
    func evaluate(
        vars: [String: String], live: [ResourceAddress: [String: Value]], catalog: [String: ResourceSchema],
        loading: [Diagnostic]
    ) -> CompileResult {
        CompileCounter.shared.evaluating {
            var compilation = Compilation(stack: stack, catalog: catalog, overrides: vars)
            compilation.live = live
            compilation.standalone = standalone
            compilation.diagnostics = loading
            for pass in Compiler.passes { pass.run(&compilation) }
            let graph = BuildGraph.run(&compilation)
            let diagnostics = compilation.diagnostics.hidingSecrets(of: compilation).normalized().onePerPassedValue()
            return CompileResult(
                graph: diagnostics.hasErrors ? nil : graph, diagnostics: diagnostics, sources: sources, program: self)
        }
    }

    /// Where the stack file was when the program was compiled (for messages only: nothing reads it).
    public var stackPath: String { stack.path }

    /// The program as JSON text, for a plan to carry (``Plan/program``).
    public func jsonText() throws -> String {
        String(decoding: try JSONEncoder().encode(self), as: UTF8.self)
    }

    /// The program a plan carries.
    public init(jsonText: String) throws {
        self = try JSONDecoder().decode(Program.self, from: Data(jsonText.utf8))
    }
}
