/// A drain's timeout passed with pods still on its nodes. Nothing was deleted: the nodes stay
/// cordoned with their pods serving, and the message names each pod, what blocks it and what to
/// do. (With `force` it is thrown only for pods that did not finish terminating in time.)
public struct DrainTimedOut: Error, Sendable, Equatable, CustomStringConvertible {
    public var timeout: Duration
    public var stuck: [StuckPod]
    /// Nodes drained before the timeout.
    public var drained: [String]
    /// Pods moved before the timeout.
    public var evicted: Int
    /// Whether the drain was forced (the stuck pods were deleted and did not go in time).
    public var forced: Bool

    public var description: String {
        var lines = [
            "drain timed out after \(Int(timeout.components.seconds)) s with \(stuck.count) pod\(stuck.count == 1 ? "" : "s") "
                + "still in place (\(evicted) evicted, \(drained.count) node\(drained.count == 1 ? "" : "s") drained)"
                + (forced ? "" : "; nothing was deleted") + ":"
        ]
        lines += stuck.map { "  \($0)" }
        lines.append("what you can do: " + fixes.joined(separator: "; "))
        return lines.joined(separator: "\n")
    }

    /// What the user can do, for the causes present.
    public var fixes: [String] {
        var fixes: [String] = []
        let causes = stuck.map(\.cause)
        if causes.contains(where: { if case .budget = $0 { true } else { false } }) {
            fixes.append("raise the budget (maxUnavailable: 1, or a lower minAvailable) or scale the workload up so it allows a disruption")
        }
        if causes.contains(where: { if case .overlappingBudgets = $0 { true } else { false } }) {
            fixes.append("leave one PodDisruptionBudget per pod")
        }
        if causes.contains(where: { if case .unmovable = $0 { true } else { false } }) {
            fixes.append("run bare pods under a controller, or annotate scratch emptyDir pods \(PodDisposition.safeToEvictAnnotation)=true")
        }
        if causes.contains(where: { if case .terminating = $0 { true } else { false } }) {
            fixes.append("check why the pods do not stop (finalizers, preStop hooks, long grace periods)")
        }
        fixes.append("raise drain_timeout, or pass --force-drain to delete blocked pods at the timeout")
        return fixes
    }
}

/// A drain refused to start: pods on the nodes it may not move without `force`. Nothing was
/// evicted.
public struct DrainRefused: Error, Sendable, Equatable, CustomStringConvertible {
    public var pods: [UnmovablePod]

    public var description: String {
        (["drain refused: \(pods.count) pod\(pods.count == 1 ? "" : "s") cannot be moved safely; nothing was evicted:"]
            + pods.map { "  \($0.message); fix: \($0.fix)" }).joined(separator: "\n")
    }
}

/// The API server refused an eviction for a reason waiting cannot fix (403, 422, ...).
public struct DrainEvictionFailed: Error, Sendable, CustomStringConvertible {
    public var pod: PodName
    public var node: String
    public var underlying: any Error

    public var description: String { "evicting pod \(pod) on \(node) failed: \(underlying)" }
}
