import StrataModel
import StrataSyntax

/// A resource instance in the compiled graph: what the planner diffs against live state.
public struct ResourceInstance: Sendable {
    public var address: ResourceAddress
    public var type: String
    public var plane: Plane
    /// Every attribute the stack set, after type conversion, plus `tags_all`; computed ones
    /// that nothing set are absent (the schema says they are known after apply).
    public var attributes: [String: Value]
    /// What must exist first, sorted.
    public var dependencies: [ResourceAddress]
    /// Per attribute the stack set, what its expression referred to, as Terraform names
    /// references (`aws_kms_key.key.arn`, `aws_kms_key.key`, `var.subnets`); for the plan JSON.
    public var references: [String: [String]] = [:]
    /// Paths of attributes holding secrets, sorted: a top-level name (`password`) or a dotted
    /// path into one (`manifest.stringData`). From the schema, from the type (a Secret's data)
    /// and from expressions that read a sensitive variable, input, output or attribute.
    public var sensitiveAttributes: [String] = []
    /// The block it was expanded from, for diagnostics in later phases.
    public var span: SourceSpan
    /// Where each attribute the stack set was written (its value), so a failure AWS reports about
    /// an attribute can point at the stack line that set it.
    public var attributeSpans: [String: SourceSpan] = [:]
}
