import StrataExecutor
import StrataKubernetes

/// Drains cordoned nodes through the policy/v1 Eviction API: every pod but DaemonSet and mirror
/// pods is evicted, several nodes and pods at once within ``DrainOptions``' bounds; a refusal
/// (429: a PodDisruptionBudget says wait; 500: several budgets select the pod) is asked again
/// after a jittered backoff. A node is drained when it hosts only DaemonSet and mirror pods and
/// the evicted ones have finished terminating.
///
/// The drain cordons nothing (``NodeCordon`` does, with the rollout's record) and uncordons
/// nothing: stopped, refused or timed out, it leaves the nodes cordoned for the caller to decide.
/// Events: `pod.evicted`, `eviction.blocked` (once per pod per blocking budget, not per retry),
/// `node.drained`, and `pod.deleted` for a forced drain's deletions.
public struct Drainer: Sendable {
    public var kube: KubernetesClient
    public var events: EventEmitter
    public var options: DrainOptions
    /// Checked between evictions: once set, the drain returns promptly (``DrainReport/stopped``).
    public var stop: StopRequest?
    /// Called with the drain's state whenever it changes (a live view's input).
    public var onProgress: (@Sendable (DrainProgress) -> Void)?

    public init(
        kube: KubernetesClient, events: EventEmitter, options: DrainOptions = DrainOptions(), stop: StopRequest? = nil,
        onProgress: (@Sendable (DrainProgress) -> Void)? = nil
    ) {
        self.kube = kube
        self.events = events
        self.options = options
        self.stop = stop
        self.onProgress = onProgress
    }

    /// Drains `nodes` (cordoned already). Throws ``DrainRefused`` before evicting anything when a
    /// pod may not be moved without `force`, ``DrainTimedOut`` when the timeout passes (nothing
    /// deleted unless forced), ``DrainEvictionFailed`` when the API server refuses for good, and
    /// `CancellationError` when its task is cancelled.
    public func drain(nodes: [String]) async throws -> DrainReport {
        var run = DrainRun(drainer: self, nodes: nodes)
        return try await run.execute()
    }
}
