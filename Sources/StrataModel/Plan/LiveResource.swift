/// One resource as AWS describes it now, in the catalog's terms (Terraform attribute names).
public struct LiveResource: Sendable, Equatable {
    public var type: String
    /// From the `strata:address` tag; nil for untagged children, which match by ``identity``.
    public var address: ResourceAddress?
    /// The physical id: `vpc-0abc`, a role name, a cluster name, an association id.
    public var id: String
    /// For untagged children: the provider's ``ResourceProvider/identity(of:)`` of these attributes.
    public var identity: String?
    /// Every attribute AWS reports, computed ones (`id`, `arn`) included, normalised the way the
    /// schema describes (server defaults filled, policy JSON canonical) so equal means equal.
    public var attributes: [String: Value]
    /// AWS's state when discovery found the resource moving by itself towards usable (a cluster
    /// or add-on `CREATING`, a NAT gateway `pending`): what a run killed during its create's
    /// wait leaves. Nil when settled. Apply waits for every such resource of the stack
    /// (``ResourceProvider/settle(_:_:)``), not only for those this run's steps depend on.
    public var transitional: String?
    /// For untagged children: the resource AWS keeps them in (a route's table, a policy
    /// attachment's role). Whether the stack owns a child is decided there: a parent that
    /// declares the children inline owns the whole set, and a parent that does not leaves the
    /// children it does not declare alone (``ResourceSchema/inlineChildren``).
    public var parent: Parent?

    /// A child's parent, as discovery found it: its type and physical id.
    public struct Parent: Sendable, Equatable, Hashable, Codable {
        public var type: String
        public var id: String

        public init(type: String, id: String) {
            self.type = type
            self.id = id
        }
    }

    public init(
        type: String, address: ResourceAddress?, id: String, identity: String? = nil, attributes: [String: Value],
        transitional: String? = nil, parent: Parent? = nil
    ) {
        self.type = type
        self.address = address
        self.id = id
        self.identity = identity
        self.attributes = attributes
        self.transitional = transitional
        self.parent = parent
    }
}
