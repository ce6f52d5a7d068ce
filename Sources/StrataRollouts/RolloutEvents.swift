import StrataExecutor

/// The events of a rollout (DESIGN.md "Events"), in the order a rollout emits them. Payloads
/// name the cluster, node group, node, pod and budget, never an attribute value.
extension EventKind {
    public static let rolloutStarted = EventKind(rawValue: "rollout.started")
    public static let clusterUpgraded = EventKind(rawValue: "cluster.upgraded")
    public static let addonUpgraded = EventKind(rawValue: "addon.upgraded")
    public static let nodegroupCreated = EventKind(rawValue: "nodegroup.created")
    public static let nodeCordoned = EventKind(rawValue: "node.cordoned")
    public static let podEvicted = EventKind(rawValue: "pod.evicted")
    /// An eviction a PodDisruptionBudget refused for now (payload: pod, pdb, currentHealthy,
    /// desiredHealthy); the drain backs off and tries again.
    public static let evictionBlocked = EventKind(rawValue: "eviction.blocked")
    public static let nodeDrained = EventKind(rawValue: "node.drained")
    public static let nodegroupDeleted = EventKind(rawValue: "nodegroup.deleted")
    public static let rolloutRolledBack = EventKind(rawValue: "rollout.rolledBack")
    public static let rolloutFinished = EventKind(rawValue: "rollout.finished")
}
