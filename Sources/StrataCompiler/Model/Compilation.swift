import StrataGraph
import StrataModel
import StrataSyntax

/// One thing the evaluator orders before evaluating: a module input, a resource block or an
/// output, in the stack root (`module == nil`) or a module instance.
struct ItemID: Hashable, Comparable, Sendable, CustomStringConvertible {
    enum Kind: String, Sendable { case input, resource, output }

    var module: String?
    var kind: Kind
    var name: String
    let key: String

    init(module: String?, kind: Kind, name: String) {
        self.module = module
        self.kind = kind
        self.name = name
        key = (module ?? "") + "\u{1}" + kind.rawValue + "\u{1}" + name
    }

    static func < (lhs: ItemID, rhs: ItemID) -> Bool { lhs.key < rhs.key }
    static func == (lhs: ItemID, rhs: ItemID) -> Bool { lhs.key == rhs.key }
    func hash(into hasher: inout Hasher) { hasher.combine(key) }

    /// How a cycle report names it.
    var description: String {
        let prefix = module.map { "module.\($0)." } ?? ""
        switch kind {
        case .input: return "\(prefix)inputs.\(name)"
        case .resource: return prefix + name
        case .output: return module.map { "\($0).\(name)" } ?? "outputs.\(name)"
        }
    }
}

/// A value with the resource instances it was computed from (its graph edges).
struct Evaluated: Sendable {
    var value: Value
    var dependencies: Set<ResourceAddress> = []
    /// Declared sensitive, or computed from something sensitive.
    var sensitive = false
}

/// How a block expands.
enum Expansion: Sendable {
    case single
    case count
    case forEach(isMap: Bool)
}

/// One expanded, evaluated instance of a resource block.
struct InstanceResult: Sendable {
    struct Attribute: Sendable {
        var entry: AttributeEntry
        var value: Value
        var dependencies: Set<ResourceAddress>
        /// The module inputs the value was computed from (see ``Evaluator/inputsUsed``).
        var inputs: Set<String> = []
    }

    var address: ResourceAddress
    var attributes: [Attribute]
    /// Edges from `for_each`, `count` and `depends_on`.
    var blockDependencies: Set<ResourceAddress>
    /// What references to this instance see: every attribute of the type, known or not.
    var object: Value
    /// Paths of ``object`` holding secrets (``ResourceInstance/sensitiveAttributes``).
    var sensitiveAttributes: Set<String> = []
}

/// A resource block after expansion.
struct BlockResult: Sendable {
    var block: ResourceBlock
    var address: ResourceAddress
    var schema: ResourceSchema?
    var expansion: Expansion
    var instances: [InstanceResult]
    /// Position of each instance by key, for `name[key]` lookups in large expansions.
    var positions: [ResourceAddress.Key: Int]

    init(
        block: ResourceBlock, address: ResourceAddress, schema: ResourceSchema?, expansion: Expansion,
        instances: [InstanceResult]
    ) {
        self.block = block
        self.address = address
        self.schema = schema
        self.expansion = expansion
        self.instances = instances
        var positions: [ResourceAddress.Key: Int] = [:]
        for (index, instance) in instances.enumerated() {
            if let key = instance.address.key { positions[key] = index }
        }
        self.positions = positions
    }
}

/// A module instance or the stack root while compiling: its declarations and what has been
/// evaluated so far.
struct Scope: Sendable {
    var module: String?
    var file: String
    var blocks: [String: ResourceBlock] = [:]
    var inputs: [String: InputDeclaration] = [:]
    var outputs: [String: OutputDeclaration] = [:]
    var inputValues: [String: Evaluated] = [:]
    var blockResults: [String: BlockResult] = [:]
    var outputValues: [String: Evaluated] = [:]
}

/// Everything the passes share: the parsed files, the catalog, the scopes and what each pass
/// has produced. Each pass reads and extends it; diagnostics accumulate.
struct Compilation {
    var stack: StackFile
    var catalog: [String: ResourceSchema]
    var overrides: [String: String]
    var diagnostics: [Diagnostic] = []
    /// Current attributes of resources that already exist (the planner's second compile): a
    /// reference to a computed attribute of one of them sees its live value, not unknown.
    var live: [ResourceAddress: [String: Value]] = [:]
    /// A module checked on its own: its required inputs are unknown on purpose, so neither their
    /// absence nor expansions that depend on them are errors.
    var standalone = false

    /// Scopes by module name; the stack root under "". A reference type, so evaluators can read
    /// it while the expander adds results without copying every scope.
    let scopes = ScopeTable()
    var vars: [String: Value] = [:]
    /// Variables declared `sensitive: true`.
    var sensitiveVars: Set<String> = []
    /// The stack's `tags` used a sensitive variable: every `tags_all` holds it.
    var stackTagsSensitive = false
    /// The stack's name and region after evaluating `${vars.…}` in them.
    var stackName: String
    var region: String {
        didSet { zones = Self.zones(of: region) }
    }
    var stackTags: [String: Value] = [:]
    /// Items and their dependencies, with where each dependency was written.
    var items = Graph<ItemID>()
    var edgeSpans: [ItemEdge: SourceSpan] = [:]
    /// Evaluation order (items of cycles at the end, evaluated with what is known).
    var order: [ItemID] = []
    /// Module calls whose module failed to load: references to them resolve silently to unknown.
    var brokenModules: Set<String> = []
    /// Where each module instance is declared, for instances of a module the stack uses more than
    /// once: a problem inside such a module names the instance it came from.
    var sharedModuleCalls: [String: SourceSpan] = [:]

    /// After expansion and checking.
    var instances: [ResourceAddress: ResourceInstance] = [:]
    var outputs: [String: Value] = [:]
    var sensitiveOutputs: Set<String> = []

    struct ItemEdge: Hashable, Sendable {
        var from: ItemID
        var to: ItemID
    }

    static let rootKey = ""

    init(stack: StackFile, catalog: [String: ResourceSchema], overrides: [String: String]) {
        self.stack = stack
        self.catalog = catalog
        self.overrides = overrides
        stackName = stack.name.name
        region = stack.region.name
        zones = Self.zones(of: stack.region.name)
    }

    /// The region's availability zones, derived statically (region + a…f) so compiling never
    /// asks AWS; the planner checks them against the account. Stored, since every evaluator
    /// reads it.
    private(set) var zones: [String]

    /// Adds diagnostics found while evaluating inside `module`, noting which instance they came
    /// from when the module file is instantiated more than once.
    mutating func report(_ found: [Diagnostic], in module: String?) {
        guard let module, let call = sharedModuleCalls[module] else {
            diagnostics += found
            return
        }
        diagnostics += found.map {
            var diagnostic = $0
            diagnostic.notes.append(.init("in module `\(module)`, instantiated here", at: call))
            return diagnostic
        }
    }

    /// Where the stack passes each of `inputs` to `module`, as notes: a problem inside a module
    /// caused by a value the stack passed names the stack's line too, as rustc notes a caller.
    func inputNotes(_ inputs: Set<String>, module: String?) -> [Diagnostic.Note] {
        guard let module, !inputs.isEmpty, let call = stack.modules.first(where: { $0.name.name == module }) else {
            return []
        }
        return inputs.sorted().compactMap { input in
            call.arguments.first { $0.name.name == input }.map {
                Diagnostic.Note("`inputs.\(input)` " + Diagnostic.Note.passedFromHere, at: $0.value.span)
            }
        }
    }

    static func zones(of region: String) -> [String] {
        ["a", "b", "c", "d", "e", "f"].map { region + $0 }
    }
}

extension [Diagnostic] {
    /// These diagnostics without the texts of the compilation's secrets (sensitive variables'
    /// values, instances' secrets, sensitive outputs): a message quoting a value it refused
    /// (`"…" is not a CIDR`) must not print a secret to a CI log.
    func hidingSecrets(of c: Compilation) -> [Diagnostic] {
        var secrets = Set(c.sensitiveVars.compactMap { c.vars[$0]?.stringValue })
        for instance in c.instances.values {
            secrets.formUnion(instance.attributes.secretTexts(at: instance.sensitiveAttributes))
        }
        secrets.formUnion(c.outputs.filter { c.sensitiveOutputs.contains($0.key) }.secretTexts(at: c.sensitiveOutputs.sorted()))
        guard !secrets.isEmpty else { return self }
        return map { diagnostic in
            var diagnostic = diagnostic
            diagnostic.summary = diagnostic.summary.hiding(secrets)
            diagnostic.detail = diagnostic.detail?.hiding(secrets)
            diagnostic.notes = diagnostic.notes.map { note in
                var note = note
                note.message = note.message.hiding(secrets)
                return note
            }
            return diagnostic
        }
    }
}

/// The scopes of a compilation, shared by reference.
final class ScopeTable {
    var byModule: [String: Scope] = [:]

    subscript(module: String?) -> Scope? {
        get { byModule[module ?? Compilation.rootKey] }
        set { byModule[module ?? Compilation.rootKey] = newValue }
    }

    /// Changes one scope in place, without copying its tables.
    func update(_ module: String?, _ change: (inout Scope) -> Void) {
        guard byModule[module ?? Compilation.rootKey] != nil else { return }
        change(&byModule[module ?? Compilation.rootKey, default: Scope(module: module, file: "")])
    }
}
