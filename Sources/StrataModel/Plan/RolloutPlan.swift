/// The ordered steps of one cluster's version change, as the plan shows and records them:
/// control plane first, then add-ons, then each node pool blue/green. Kubernetes' version-skew
/// rules are checked while planning, so a bad upgrade fails before anything runs.
public struct RolloutPlan: Sendable, Codable, Equatable {
    public var cluster: ResourceAddress
    public var fromVersion: String
    public var toVersion: String
    public var steps: [RolloutStep]

    public init(cluster: ResourceAddress, fromVersion: String, toVersion: String, steps: [RolloutStep]) {
        self.cluster = cluster
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.steps = steps
    }
}

/// One step of a rollout.
public struct RolloutStep: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// `UpdateClusterVersion` to the target minor.
        case controlPlane = "control-plane"
        /// An add-on moved to the version EKS publishes for the new minor.
        case addon
        /// A node pool rolled blue/green: a green group at the target, drain blue, delete blue.
        case nodePool = "node-pool"
    }

    public var kind: Kind
    public var target: ResourceAddress
    public var fromVersion: String?
    public var toVersion: String?
    /// One line for the plan: "control plane 1.30 -> 1.31".
    public var summary: String

    public init(kind: Kind, target: ResourceAddress, fromVersion: String?, toVersion: String?, summary: String) {
        self.kind = kind
        self.target = target
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.summary = summary
    }
}
