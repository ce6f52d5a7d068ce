/// What a finished (or stopped) drain did.
public struct DrainReport: Sendable, Equatable {
    /// A pod the drain moved.
    public struct Eviction: Sendable, Equatable {
        public var pod: PodName
        public var node: String
    }

    /// A pod deleted under `force` because it was still blocked at the timeout.
    public struct ForcedDeletion: Sendable, Equatable {
        public var pod: PodName
        public var node: String
        /// What blocked its eviction at the timeout.
        public var cause: StuckPod.Cause
    }

    /// Nodes that host nothing but DaemonSet and mirror pods.
    public var drained: [String]
    public var evicted: [Eviction]
    public var forced: [ForcedDeletion]
    /// A ``StopRequest`` ended the drain first; the nodes stay cordoned.
    public var stopped: Bool
    public var elapsed: Duration
}

/// A pod still on a node when a drain gave up, and why.
public struct StuckPod: Sendable, Equatable, CustomStringConvertible {
    public enum Cause: Sendable, Equatable, CustomStringConvertible {
        /// The last eviction was refused (429) by this budget, counts read at the timeout.
        case budget(BudgetState)
        /// Several budgets select the pod: the Eviction API refuses it (500).
        case overlappingBudgets([String])
        /// A pod the drain does not move without `force`.
        case unmovable([UnmovablePod.Reason])
        /// Evicted or deleted, still shutting down within its grace period.
        case terminating(graceSeconds: Int)
        /// Not asked yet (its node's turn had not come, or a transient error).
        case notYetEvicted

        public var description: String {
            switch self {
            case .budget(let budget): "PodDisruptionBudget \(budget)"
            case .overlappingBudgets(let names): "selected by several PodDisruptionBudgets (\(names.joined(separator: ", ")))"
            case .unmovable(let reasons): reasons.map(\.description).joined(separator: "; ")
            case .terminating(let grace): "still terminating (grace period \(grace) s)"
            case .notYetEvicted: "not evicted yet"
            }
        }
    }

    public var pod: PodName
    public var node: String
    public var cause: Cause

    public var description: String { "\(pod) on \(node): \(cause)" }
}
