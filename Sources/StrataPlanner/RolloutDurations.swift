/// AWS's typical durations of the operations a rollout makes, in seconds: what the plan's
/// estimates are made of. The AWS ones are the sandbox's lifecycle table (`DURATIONS` in
/// sandbox/strata_sandbox/eks.py, served at `GET /_sandbox/eks/durations`), and a test holds the
/// two equal; the Kubernetes ones are strata's own.
public enum RolloutDurations {
    /// `UpdateClusterVersion` until `DescribeUpdate` says Successful.
    public static let controlPlaneUpdate = 1200
    /// `CreateNodegroup` until ACTIVE.
    public static let nodeGroupCreate = 180
    /// `DeleteNodegroup` until gone.
    public static let nodeGroupDelete = 150
    /// `UpdateNodegroupVersion` (EKS's managed rolling update) until Successful: its setup, the
    /// surge nodes' launch, then each old node replaced (cordoned, drained, terminated).
    public static let nodeGroupVersionSetup = 60
    public static let nodeGroupVersionLaunch = 120
    public static let nodeGroupVersionPerNode = 150
    /// `UpdateAddon` until ACTIVE.
    public static let addonUpdate = 60
    /// Draining one node whose budgets allow it: evictions, pods' grace periods and their
    /// replacements turning Ready elsewhere. Drains of a pool's nodes overlap, but budgets
    /// usually let one pod per workload go at a time, so the estimate counts them one by one.
    public static let drainPerNode = 60
    /// Karpenter replacing one drifted node (launch, Ready, drain), paced by its budgets.
    public static let karpenterNodeReplace = 240

    /// The entries shared with the sandbox's table, by its keys.
    public static let awsTable: [String: Int] = [
        "cluster.version": controlPlaneUpdate, "nodegroup.create": nodeGroupCreate, "nodegroup.delete": nodeGroupDelete,
        "nodegroup.version.setup": nodeGroupVersionSetup, "nodegroup.version.launch": nodeGroupVersionLaunch,
        "nodegroup.version.node": nodeGroupVersionPerNode, "addon.update": addonUpdate,
    ]

    /// A pool of `nodes` nodes in `zones` zones updated in place by EKS, `atOnce` at a time (its
    /// `update_config`; EKS's default is one): the setup, the surge's launch (the larger of
    /// `atOnce` and the zones), each batch replaced, and one more launch for every batch that
    /// starts while fewer new nodes run than the pool holds.
    public static func inPlace(nodes: Int, atOnce: Int = 1, zones: Int = 1) -> Int {
        let nodes = max(nodes, 1)
        let atOnce = max(atOnce, 1)
        let batches = (nodes + atOnce - 1) / atOnce
        let surge = max(atOnce, zones)
        let laterLaunches = surge >= nodes ? 0 : (nodes - surge + atOnce - 1) / atOnce
        return nodeGroupVersionSetup + nodeGroupVersionLaunch * (1 + laterLaunches) + nodeGroupVersionPerNode * batches
    }

    /// A blue/green pool of `nodes` nodes: green created, every blue node drained, blue deleted.
    public static func blueGreen(nodes: Int) -> Int { nodeGroupCreate + drainPerNode * max(nodes, 1) + nodeGroupDelete }
}
