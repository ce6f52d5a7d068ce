/// What a type declares about comparing its desired attributes with AWS's answer, beyond its
/// schema's value types; the planner's `Normalisation` applies the rules. Attributes are named
/// at any depth (`cidr_blocks` inside a security group's `ingress` blocks).
public struct NormalisationRules: Sendable {
    /// List attributes AWS stores as sets, so their order never differs: lists of ids, CIDRs and
    /// names AWS returns in its own order, and lists of blocks the Terraform provider declares
    /// as sets (a table's routes come back sorted by destination, a group's rules by protocol
    /// and ports).
    public var sets: Set<String>
    /// Attributes that steer a call rather than describe the resource: AWS accepts them and
    /// never reports them back, so they never differ unless the provider reports them.
    public var writeOnly: Set<String>
    /// String attributes whose symbolic values stand for whatever AWS resolves them to (a
    /// launch template `version` of `$Default` or `$Latest`, reported as a number).
    public var resolvedByAWS: [String: Set<String>]

    public init(sets: Set<String> = [], writeOnly: Set<String> = [], resolvedByAWS: [String: Set<String>] = [:]) {
        self.sets = sets
        self.writeOnly = writeOnly
        self.resolvedByAWS = resolvedByAWS
    }
}
