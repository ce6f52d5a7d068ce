import Foundation
import StrataModel
import StrataSyntax

/// The result of compiling a stack: the graph when there are no errors, and every diagnostic
/// found (errors and warnings, all files, sorted) with the sources to render them.
public struct CompileResult: Sendable {
    public var graph: CompiledGraph?
    public var diagnostics: [Diagnostic]
    public var sources: SourceFiles
    /// What to evaluate again with live values or other `--var`s: nil only when the stack file
    /// did not parse.
    public var program: Program?

    public init(graph: CompiledGraph?, diagnostics: [Diagnostic], sources: SourceFiles, program: Program? = nil) {
        self.graph = graph
        self.diagnostics = diagnostics
        self.sources = sources
        self.program = program
    }

    public var hasErrors: Bool { diagnostics.hasErrors }

    /// Each error rendered as the compiler renders it (`file:line:column`, the line and a caret,
    /// from ``sources``): what a failed evaluation reports where no stack file is.
    public var renderedErrors: [String] {
        let renderer = DiagnosticRenderer(sources: sources)
        return diagnostics.filter { $0.severity == .error }.map {
            renderer.render($0).trimmingCharacters(in: .newlines)
        }
    }
}

/// The compiler half of strata: stack files in, a ``Program`` and the resource graph it
/// evaluates to with nothing live out, no AWS call. Loading is the only step that reads files;
/// the rest is the program's evaluation, a named list of small passes, each reading and
/// extending one shared `Compilation`, all of them running even after errors (so every problem
/// is reported), except that nothing runs without a parsed stack file.
public struct Compiler: Sendable {
    /// The resource types the checker knows: the compiler declares none itself (strata's are
    /// `StrataProviders`' `ResourceCatalog.all`).
    public var catalog: [String: ResourceSchema]

    public init(catalog: [String: ResourceSchema]) {
        self.catalog = catalog
    }

    /// The passes after loading, in order, by name: a program's evaluation.
    static let passes: [(name: String, run: @Sendable (inout Compilation) -> Void)] = [
        ("bind-variables", BindVariables.run),
        ("bind-references", BindReferences.run),
        ("order-items", OrderItems.run),
        ("expand-resources", ExpandResources.run),
        ("check-rules", CheckRules.run),
        ("check-limits", CheckLimits.run),
    ]

    /// Compiles the stack at `url`: a stack file, or a folder holding `stack.yaml`. `vars`
    /// override the stack's `vars:` (`--var K=V`).
    public func compile(stackAt url: URL, vars: [String: String] = [:]) -> CompileResult {
        compile(stackAt: url, vars: vars, live: [:])
    }

    /// Compiles against live state: ``Program/evaluate(vars:live:catalog:)`` of the stack's
    /// program. For tests that start from files; the planner evaluates the program it was given.
    public func compile(stackAt url: URL, vars: [String: String] = [:], live: [ResourceAddress: [String: Value]]) -> CompileResult {
        CompileCounter.shared.compiling {
            var loader = LoadFiles()
            let file = Self.stackFile(url)
            guard let stack = loader.loadStack(at: file) else {
                return CompileResult(graph: nil, diagnostics: loader.diagnostics.normalized(), sources: loader.sources)
            }
            return run(Program(stack: stack, sources: loader.sources), loader: loader, vars: vars, live: live)
        }
    }

    /// Compiles one module on its own, as if a stack instantiated it with no arguments: inputs
    /// without defaults are unknown values of their declared types. For checking modules (and
    /// the module error cases of the golden tests).
    public func compile(moduleAt url: URL) -> CompileResult {
        var loader = LoadFiles()
        var file = url.standardizedFileURL
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory), isDirectory.boolValue {
            file = file.appendingPathComponent("module.yaml")
        }
        let module = loader.loadModule(at: file, from: nil)
        guard let module else {
            return CompileResult(graph: nil, diagnostics: loader.diagnostics.normalized(), sources: loader.sources)
        }
        let origin = SourceSpan(file: file.path, line: 1, column: 1)
        let name = file.deletingLastPathComponent().lastPathComponent
        let moduleName =
            name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) && !name.isEmpty ? name : "module"
        let call = ModuleCall(
            name: Named(name: moduleName, span: origin), source: Named(name: file.path, span: origin), arguments: [],
            argumentsSpan: origin, module: module)
        let stack = StackFile(
            path: file.path, name: Named(name: moduleName, span: origin),
            region: Named(name: "us-east-1", span: origin),
            tags: nil, vars: [], modules: [call], resources: [], outputs: [])
        return CompileCounter.shared.compiling {
            run(Program(stack: stack, sources: loader.sources, standalone: true), loader: loader, vars: [:])
        }
    }

    /// The program evaluated with nothing live, with what loading found (warnings, or errors
    /// in module files) among its diagnostics.
    private func run(_ program: Program, loader: LoadFiles, vars: [String: String], live: [ResourceAddress: [String: Value]] = [:])
        -> CompileResult
    {
        program.evaluate(vars: vars, live: live, catalog: catalog, loading: loader.diagnostics)
    }

    /// A folder means its `stack.yaml`.
    static func stackFile(_ url: URL) -> URL {
        var isDirectory: ObjCBool = false
        let standardized = url.standardizedFileURL
        if FileManager.default.fileExists(atPath: standardized.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return standardized.appendingPathComponent("stack.yaml")
        }
        return standardized
    }
}
