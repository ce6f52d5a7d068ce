/// How a node pool moves to a new Kubernetes version (`aws_eks_node_group`'s `rollout.strategy`).
public enum RolloutStrategy: String, Sendable, Codable, CaseIterable {
    /// A green group at the new version, the blue one cordoned, drained into it and deleted.
    case blueGreen = "blue-green"
    /// EKS's managed in-place update (`UpdateNodegroupVersion`).
    case rolling
}
