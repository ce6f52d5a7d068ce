import StrataModel

extension RolloutStep {
    /// The EKS writes this step makes when it runs from the start, in order: what the plan
    /// promises and the request log of an apply shows (a re-run after a crash makes fewer: what
    /// is done already is read, not written again).
    public var eksWrites: [String] {
        switch kind {
        case .controlPlane: ["UpdateClusterVersion"]
        case .addon: ["UpdateAddon"]
        // Green created, blue deleted, green's rollout tags removed.
        case .nodePoolBlueGreen: ["CreateNodegroup", "DeleteNodegroup", "UntagResource"]
        case .nodePoolInPlace: ["UpdateNodegroupVersion"]
        case .karpenterDrift: []
        }
    }
}
