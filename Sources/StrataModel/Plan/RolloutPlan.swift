/// One cluster's rollout as the plan shows and records it, and as apply performs it step by
/// step: for each minor hop the control plane, then the add-ons one at a time, then each node
/// pool (blue/green or in place). Kubernetes' and EKS's version rules are checked while planning
/// and the live checks (``RolloutFinding``) before anything changes, so a bad upgrade fails
/// before the first write. The plan holds exactly the operations apply performs.
public struct RolloutPlan: Sendable, Codable, Equatable {
    /// The `aws_eks_cluster` the rollout belongs to.
    public var cluster: ResourceAddress
    /// Its EKS name.
    public var clusterName: String
    /// The control plane's minor now, and after the rollout (equal when only node pools move).
    public var fromVersion: String
    public var toVersion: String
    /// In the order apply performs them.
    public var steps: [RolloutStep]
    /// What the preflight found; any blocking finding stops apply before the first change.
    public var findings: [RolloutFinding]

    public init(
        cluster: ResourceAddress, clusterName: String, fromVersion: String, toVersion: String, steps: [RolloutStep],
        findings: [RolloutFinding] = []
    ) {
        self.cluster = cluster
        self.clusterName = clusterName
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.steps = steps
        self.findings = findings
    }

    /// The minors the control plane passes through: `1.29 -> 1.32` hops 1.30, 1.31, 1.32.
    public var hops: [String] {
        var seen: [String] = []
        for step in steps where !seen.contains(step.hop) { seen.append(step.hop) }
        return seen
    }

    /// Whether a blocking finding refuses the rollout.
    public var isBlocked: Bool { findings.contains { $0.severity == .blocking } }

    /// The sum of the steps' estimates, in seconds at AWS's typical durations.
    public var estimateSeconds: Int { steps.reduce(0) { $0 + $1.estimateSeconds } }
}

/// One operation of a rollout.
public struct RolloutStep: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// `UpdateClusterVersion` to `toVersion`, waited on `DescribeUpdate`.
        case controlPlane = "control-plane"
        /// `UpdateAddon` to `toVersion` (the version EKS publishes for the hop's minor, or the
        /// stack's pin), waited ACTIVE.
        case addon
        /// A node pool rolled blue/green: the green group `greenName` created at `toVersion`,
        /// the blue group `name` cordoned, drained and deleted.
        case nodePoolBlueGreen = "node-pool-blue-green"
        /// A node pool moved in place by EKS (`UpdateNodegroupVersion`): the `rolling` strategy.
        case nodePoolInPlace = "node-pool-in-place"
        /// Karpenter's nodes drift to the new AMI through the EC2NodeClass the stack owns;
        /// reported, paced by Karpenter's disruption budgets.
        case karpenterDrift = "karpenter-drift"
    }

    public var kind: Kind
    /// The control-plane minor this step belongs to ("1.31").
    public var hop: String
    /// The stack resource the step acts for.
    public var target: ResourceAddress
    /// The cluster, add-on or (blue) node group name in AWS.
    public var name: String
    public var fromVersion: String?
    public var toVersion: String?
    /// Blue/green: the green group's name, derived so a re-run finds it.
    public var greenName: String?
    /// Node pools: how many nodes the step replaces.
    public var nodes: Int?
    /// Blue/green: how long one drain may wait on PodDisruptionBudgets.
    public var drainTimeoutSeconds: Int?
    /// How long the step takes at AWS's typical durations.
    public var estimateSeconds: Int
    /// The account already holds part of this step (a killed rollout's green group, an update
    /// under way): apply carries it on instead of starting again.
    public var resuming: Bool
    /// One line for the plan: "control plane 1.30 -> 1.31".
    public var summary: String

    public init(
        kind: Kind, hop: String, target: ResourceAddress, name: String, fromVersion: String?, toVersion: String?,
        greenName: String? = nil, nodes: Int? = nil, drainTimeoutSeconds: Int? = nil, estimateSeconds: Int, resuming: Bool = false,
        summary: String
    ) {
        self.kind = kind
        self.hop = hop
        self.target = target
        self.name = name
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.greenName = greenName
        self.nodes = nodes
        self.drainTimeoutSeconds = drainTimeoutSeconds
        self.estimateSeconds = estimateSeconds
        self.resuming = resuming
        self.summary = summary
    }
}

/// What a rollout's preflight found: a reason it cannot go ahead (blocking) or a risk the user
/// should know (warning), with what to do about it.
public struct RolloutFinding: Sendable, Codable, Equatable {
    public enum Severity: String, Sendable, Codable { case blocking, warning }

    public var severity: Severity
    /// A short stable code: `version-skew`, `addon-version`, `subnet-ips`, `pdb-never-allows`,
    /// `pod-unmovable`, `pdb-blocks-now`, ...
    public var code: String
    public var message: String
    /// What the user can do about it.
    public var fix: String
    /// The stack resource it concerns, and where the stack set the value at fault, when known.
    public var target: ResourceAddress?
    public var span: SourceSpan?

    public init(
        severity: Severity, code: String, message: String, fix: String, target: ResourceAddress? = nil, span: SourceSpan? = nil
    ) {
        self.severity = severity
        self.code = code
        self.message = message
        self.fix = fix
        self.target = target
        self.span = span
    }
}
