import StrataExecutor

extension EventKind {
    /// A pod deleted (gracefully) because it still blocked a forced drain at its timeout
    /// (payload: namespace, pod, node, cause, and the budget's pdb and counts when one blocked).
    /// Kept beside the drain, which alone emits it; the other rollout kinds are in RolloutEvents.
    public static let podDeleted = EventKind(rawValue: "pod.deleted")
}
