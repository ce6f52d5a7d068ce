import AWSClient
import StrataCompiler
import StrataModel

/// Everything strata does to one resource type in AWS: one batched read of the stack's live
/// instances, create, update in place, delete, each waiting until AWS finished. One conforming
/// type per resource type of the catalog, in a file named after it.
///
/// Providers never decide *what* to do: the planner diffs, the executor orders and retries.
/// They talk to AWS through the narrow per-service surfaces and report AWS errors unchanged
/// (``AWSError`` carries the code and request id the user needs).
public protocol ResourceProvider: Sendable {
    /// The catalog type this provider serves (`aws_vpc`).
    var type: String { get }

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
    public func identity(of attributes: [String: Value]) -> String? { nil }
    public func settle(_ live: LiveResource, _ context: ProviderContext) async throws -> LiveResource? { nil }
    public func comparable(_ attributes: [String: Value]) -> [String: Value] { attributes }
}
