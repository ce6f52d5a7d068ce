import Foundation
import StrataModel
import StrataSyntax

/// The result of compiling a stack: the graph when there are no errors, and every diagnostic
/// found (errors and warnings, all files, sorted) with the sources to render them.
public struct CompileResult: Sendable {
    public var graph: CompiledGraph?
    public var diagnostics: [Diagnostic]
    public var sources: SourceFiles

    public var hasErrors: Bool { diagnostics.hasErrors }
}

/// The compiler half of strata: stack files in, a checked and expanded resource graph out, no
/// AWS call. Compilation is a named list of small passes; each reads and extends one shared
/// `Compilation`, and all of them run even after errors (so every problem is reported), except
/// that nothing runs without a parsed stack file.
public struct Compiler: Sendable {
    /// The resource types the checker knows: the compiler declares none itself (strata's are
    /// `StrataProviders`' `ResourceCatalog.all`).
    public var catalog: [String: ResourceSchema]

    public init(catalog: [String: ResourceSchema]) {
        self.catalog = catalog
    }

    /// The passes after loading, in order, by name.
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

    /// Compiles against live state: `live` holds the current attributes of resources that
    /// already exist, and a reference to a computed attribute of one of them (`vpc.id`,
    /// `role.arn`, `cluster.endpoint`) evaluates to its live value instead of unknown. The
    /// planner's second pass; attributes the stack sets are never taken from `live`.
    public func compile(stackAt url: URL, vars: [String: String] = [:], live: [ResourceAddress: [String: Value]]) -> CompileResult {
        var loader = LoadFiles()
        let file = Self.stackFile(url)
        guard let stack = loader.loadStack(at: file) else {
            return CompileResult(graph: nil, diagnostics: loader.diagnostics.normalized(), sources: loader.sources)
        }
        return run(stack, loader: loader, vars: vars, live: live)
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
        return run(stack, loader: loader, vars: [:], standalone: true)
    }

    private func run(
        _ stack: StackFile, loader: LoadFiles, vars: [String: String], live: [ResourceAddress: [String: Value]] = [:],
        standalone: Bool = false
    ) -> CompileResult {
        var compilation = Compilation(stack: stack, catalog: catalog, overrides: vars)
        compilation.live = live
        compilation.standalone = standalone
        compilation.diagnostics = loader.diagnostics
        for pass in Self.passes { pass.run(&compilation) }
        let graph = BuildGraph.run(&compilation)
        let diagnostics = compilation.diagnostics.hidingSecrets(of: compilation).normalized().onePerPassedValue()
        return CompileResult(
            graph: diagnostics.hasErrors ? nil : graph, diagnostics: diagnostics, sources: loader.sources)
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
