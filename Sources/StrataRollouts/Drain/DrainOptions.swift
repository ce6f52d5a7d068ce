/// How a ``Drainer`` paces itself.
///
/// The defaults follow from what sets a drain's pace: PodDisruptionBudgets and how fast
/// replacements turn Ready, not request rate. Eight evictions in flight keep a node's pods
/// moving together (as `kubectl drain` evicts a node's pods at once) while staying under what
/// one client gets from API priority and fairness; four nodes at once bounds how many pods are
/// Pending on the new capacity at a time. A refused eviction is asked again after 1 s, doubling
/// to at most 10 s with jitter, so a budget waiting on a replacement is not hammered and many
/// blocked pods do not retry in lockstep.
public struct DrainOptions: Sendable {
    /// How long the whole drain may take; when it passes the drain stops evicting and fails
    /// naming what blocks (or, with `force`, deletes what blocks).
    public var timeout: Duration
    /// `--force-drain`: pods no controller recreates and pods with `emptyDir` data are evicted
    /// anyway, and pods still blocked at the timeout are deleted (gracefully), counted and reported.
    public var force: Bool
    /// Eviction requests in flight at once, over all nodes.
    public var maxEvictionsInFlight: Int
    /// Nodes drained at once; the others wait their turn.
    public var maxNodesInParallel: Int
    /// First wait after a refused eviction; doubles per refusal up to `maxBackoff`.
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    /// How often the nodes' pods are read again while evicted pods terminate.
    public var pollInterval: Duration
    /// After forced deletions, how long past the pods' own grace periods the drain waits for them.
    public var forcedDeletionMargin: Duration

    public init(
        timeout: Duration = .seconds(15 * 60), force: Bool = false, maxEvictionsInFlight: Int = 8, maxNodesInParallel: Int = 4,
        initialBackoff: Duration = .seconds(1), maxBackoff: Duration = .seconds(10), pollInterval: Duration = .seconds(1),
        forcedDeletionMargin: Duration = .seconds(30)
    ) {
        self.timeout = timeout
        self.force = force
        self.maxEvictionsInFlight = max(1, maxEvictionsInFlight)
        self.maxNodesInParallel = max(1, maxNodesInParallel)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.pollInterval = pollInterval
        self.forcedDeletionMargin = forcedDeletionMargin
    }

    /// The wait before the `attempt`-th retry (1-based): exponential, capped, with equal jitter
    /// (a uniform draw in its upper half), `random` in [0, 1).
    func backoff(attempt: Int, random: Double = Double.random(in: 0..<1)) -> Duration {
        let doubled = initialBackoff * (1 << min(max(attempt - 1, 0), 20))
        let capped = min(doubled, maxBackoff)
        return capped / 2 + capped / 2 * random
    }
}
