import StrataModel
import StrataSyntax

/// What the files declare, after parsing and before evaluation: the stack, the modules it
/// instantiates, and in each the inputs, resource blocks and outputs, every part with its span.

/// A name as written, with where it was written.
public struct Named: Sendable, Codable {
    public var name: String
    public var span: SourceSpan
}

/// `inputs.<name>` of a module.
public struct InputDeclaration: Sendable {
    public var name: Named
    public var type: ValueType
    /// The `type:` value's span, for "declared here" notes.
    public var typeSpan: SourceSpan
    public var defaultValue: Expression?
    public var description: String?
    /// `sensitive: true`: the value, and anything derived from it, is kept out of plans, plan
    /// files, events and output.
    public var sensitive = false
}

/// `vars.<name>` of a stack: a plain default value, or `{ type, default, description, sensitive }`.
/// Without a default, `--var name=…` must give one.
public struct VariableDeclaration: Sendable {
    public var name: Named
    public var type: ValueType?
    public var typeSpan: SourceSpan?
    public var defaultValue: Expression?
    public var description: String?
    /// `sensitive: true`: see ``InputDeclaration/sensitive``.
    public var sensitive = false
}

/// `outputs.<name>`: a value the module (or stack) exports.
public struct OutputDeclaration: Sendable, Codable {
    public var name: Named
    public var value: Expression
    /// `sensitive: true`: `strata output` prints it only when asked for it by name. An output
    /// whose value derives from a sensitive one must say so (as in Terraform).
    public var sensitive = false
}

/// One attribute written in a resource block.
public struct AttributeEntry: Sendable, Codable {
    public var name: Named
    public var value: Expression
}

/// `resources.<name>`: one block, expanded into instances by `count` or `for_each`.
public struct ResourceBlock: Sendable, Codable {
    public var name: Named
    public var type: Named
    public var forEach: Expression?
    public var count: Expression?
    /// `depends_on`: extra ordering edges to blocks of the same file.
    public var dependsOn: [Expression]
    public var attributes: [AttributeEntry]
    /// The whole block, for "declared here".
    public var span: SourceSpan
}

/// A module file (`module.yaml`).
public struct ModuleFile: Sendable, Codable {
    public var path: String
    public var inputs: [InputDeclaration]
    public var resources: [ResourceBlock]
    public var outputs: [OutputDeclaration]
    public var description: String?
}

/// `modules.<name>` in a stack: one instance of a module, with its arguments.
public struct ModuleCall: Sendable, Codable {
    public var name: Named
    public var source: Named
    /// `with:` entries, in order.
    public var arguments: [AttributeEntry]
    /// Where missing inputs are reported: the `with:` key, or the module's name without one.
    public var argumentsSpan: SourceSpan
    public var module: ModuleFile?
}

/// A stack file (`stack.yaml`).
public struct StackFile: Sendable, Codable {
    public var path: String
    /// The stack's name and region as written; they may use `${vars.…}`.
    public var name: Named
    public var region: Named
    public var nameExpression: Expression?
    public var regionExpression: Expression?
    public var tags: Expression?
    public var vars: [VariableDeclaration]
    public var modules: [ModuleCall]
    public var resources: [ResourceBlock]
    public var outputs: [OutputDeclaration]
}
