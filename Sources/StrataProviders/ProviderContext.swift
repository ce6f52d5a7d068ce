import AWSClient
import Foundation

/// What a provider needs for one plan or apply: the client, whose stack it is, a cache shared by
/// sibling types' discovery, and how long waits may take.
public struct ProviderContext: Sendable {
    public var client: AWSClient
    public var stack: String
    public var region: String
    public var cache: DiscoveryCache
    public var waits: WaitPolicy
    /// `apiVersion/kind` of the stack's manifests (``ManifestKinds``): with the kinds recorded on
    /// its clusters, the only kinds discovery lists from their Kubernetes APIs. Set by whoever
    /// plans from a compiled stack or a saved plan.
    public var manifestKinds: Set<String>
    /// Set by destroy: a cluster whose Kubernetes API refuses to list the stack's manifests (401
    /// or 403) is recorded there and discovery goes on without them. Nil (plan, apply): such a
    /// refusal fails discovery, as a plan must never miss what exists.
    public var unreadableManifests: UnreadableManifests?

    public init(
        client: AWSClient, stack: String, region: String, cache: DiscoveryCache = DiscoveryCache(), waits: WaitPolicy = WaitPolicy(),
        manifestKinds: Set<String> = []
    ) {
        self.client = client
        self.stack = stack
        self.region = region
        self.cache = cache
        self.waits = waits
        self.manifestKinds = manifestKinds
    }

    /// The ownership tags every created resource carries.
    public static let stackTag = "strata:stack"
    public static let addressTag = "strata:address"
    /// IAM roles and policies live under `/strata/<stack>/`.
    public var iamPath: String { "/strata/\(stack)/" }
}

/// How providers poll asynchronous AWS states: every wait has a deadline and says what it waits for.
public struct WaitPolicy: Sendable {
    /// Between two polls; the sandbox at a small time scale wants this short.
    public var interval: Duration
    /// Multiplies each wait's own deadline (cluster 30 min, NAT 10 min, ...).
    public var deadlineScale: Double

    public init(interval: Duration = .seconds(5), deadlineScale: Double = 1) {
        self.interval = interval
        self.deadlineScale = deadlineScale
    }
}

/// Memoises describe calls for one plan or apply, so sibling types that come back in the same
/// description (route tables, routes, associations) cost one paginated read, not three. Writes
/// invalidate by key prefix.
public actor DiscoveryCache {
    private var entries: [String: Task<any Sendable, any Error>] = [:]

    public init() {}

    /// The value for `key`, computing it once; concurrent callers share the one computation.
    public func value<T: Sendable>(_ key: String, compute: @escaping @Sendable () async throws -> T) async throws -> T {
        if let task = entries[key] {
            return try await cast(task.value)
        }
        let task = Task<any Sendable, any Error> { try await compute() }
        entries[key] = task
        return try await cast(task.value)
    }

    /// Forget every entry whose key starts with `prefix` (after a write that changes it).
    public func invalidate(prefix: String) {
        entries = entries.filter { !$0.key.hasPrefix(prefix) }
    }

    private func cast<T>(_ value: any Sendable) throws -> T {
        guard let typed = value as? T else { throw DiscoveryCacheError.typeMismatch(String(describing: T.self)) }
        return typed
    }
}

enum DiscoveryCacheError: Error, CustomStringConvertible {
    case typeMismatch(String)
    var description: String {
        switch self {
        case .typeMismatch(let type): "discovery cache entry is not a \(type)"
        }
    }
}
