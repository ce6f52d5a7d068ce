import AWSClient
import StrataModel

/// Everything strata knows of one resource type: its schema, how the planner compares it with
/// what AWS reports, where its deletes go, and what it does in AWS (one batched read of the
/// stack's live instances, create, update in place, delete, each waiting until AWS finished).
/// One conforming type per resource type, in the type's folder under `Types/` next to its schema.
///
/// Providers never decide *what* to do: the planner diffs, the executor orders and retries.
/// They talk to AWS through the narrow per-service surfaces and report AWS errors unchanged
/// (``AWSError`` carries the code and request id the user needs).
public protocol ResourceProvider: Sendable {
    /// The type this provider serves (`aws_vpc`): by default, as its schema names it.
    var type: String { get }

    /// The type's attributes, plane and limits: what the compiler checks a stack against.
    var schema: ResourceSchema { get }

    /// Where deletes of this type go among the others' when the graph cannot say (orphans, a
    /// destroy): its rank, and which lower-ranked types it waits for.
    var deletion: DeletionRule { get }

    /// The type's comparison rules beyond its schema's value types: attributes AWS stores as
    /// sets, settings it never reports, values AWS resolves.
    var normalisation: NormalisationRules { get }

    /// Every live instance of this type that the stack owns, from one paginated, tag- or
    /// path-filtered read (shared through `context.cache` with sibling types that read the same
    /// description: routes and associations come back inside their route table). Never one read
    /// per resource.
    func discover(_ context: ProviderContext) async throws -> [LiveResource]

    /// Creates the resource with its ownership tags in the create call itself and an idempotency
    /// token derived from `desired.idempotencyToken` where the API takes one, then waits until it
    /// is usable (NAT available, cluster ACTIVE). A create that finds its own earlier creation (a
    /// crashed run) adopts it instead of failing.
    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource

    /// Changes `changed` attributes in place and waits until AWS applied them.
    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext)
        async throws -> LiveResource

    /// Deletes the resource and waits until it is gone. Deleting what is already gone succeeds.
    func delete(_ live: LiveResource, _ context: ProviderContext) async throws

    /// For types without tags (routes, associations, attachments, rules, targets): the key that
    /// identifies an instance from its attributes (`rtb-1|0.0.0.0/0`), used to match desired and
    /// live. Nil when any identifying attribute is unknown. Taggable types match by address tag
    /// and return nil.
    func identity(of attributes: [String: Value]) -> String?

    /// Finishes what a create cut short left undone that a plan's diff cannot see: a resource
    /// AWS is still bringing up (a cluster `CREATING`, a NAT gateway `pending`: waited until
    /// usable, as `create` would have) or a multi-call create stopped after its first call (a
    /// security group still holding AWS's default egress). Called on what a killed run left (a
    /// dependency the plan leaves unchanged) and on what a retried create adopts. Returns the
    /// resource as it is then, or nil at once when there was nothing to finish. A failed state
    /// throws.
    func settle(_ live: LiveResource, _ context: ProviderContext) async throws -> LiveResource?

    /// The attributes in the one form AWS stores them, where a stack may write the same thing
    /// several ways (inline security-group rules split across blocks or merged into one, `6`
    /// for `tcp`): the planner passes both the desired and the live attributes through this
    /// before it diffs them. Values not yet known are left as they are.
    func comparable(_ attributes: [String: Value]) -> [String: Value]
}

extension ResourceProvider {
    public var type: String { schema.type }
    public var normalisation: NormalisationRules { NormalisationRules() }
    public func identity(of attributes: [String: Value]) -> String? { nil }
    public func settle(_ live: LiveResource, _ context: ProviderContext) async throws -> LiveResource? { nil }
    public func comparable(_ attributes: [String: Value]) -> [String: Value] { attributes }

    /// An update for types whose create is a put (an inline role policy, a policy attachment, a
    /// queue policy): writes the desired resource again, then deletes the old one when the write
    /// made a different one (a new name or pair), so a replacement asked of `update` is done too.
    public func updateByWritingAgain(_ live: LiveResource, to desired: DesiredResource, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let written = try await create(desired, context)
        if written.id != live.id { try await delete(live, context) }
        return written
    }
}
