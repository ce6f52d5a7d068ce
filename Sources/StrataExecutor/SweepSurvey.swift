import Foundation

/// One resource the controller sweep found in a stack's network: shown in the destroy plan before
/// anything is deleted.
public struct SweepTarget: Sendable, Hashable, CustomStringConvertible {
    /// `instance`, `launch template`, `load balancer`, `classic load balancer`, `target group`,
    /// `security group` or `network interface`.
    public var kind: String
    /// An id, or a load balancer's or target group's name.
    public var id: String
    /// Whose it is by its tags: a controller's ownership tags
    /// (`karpenter.sh/nodepool=default, eks:eks-cluster-name=prod`), or for a foreign one what its
    /// tags say (`untagged`, `Name=bastion`).
    public var owner: String
    /// Where it is: `subnet-… (vpc-…)`, `vpc-…`, empty for a launch template.
    public var location: String

    public var description: String {
        "\(kind) \(id)" + (location.isEmpty ? "" : " in \(location)") + " [\(owner)]"
    }
}

/// What the controller sweep would take and what it leaves, found before destroy asks.
public struct SweepSurvey: Sendable {
    /// Made by a controller for one of the stack's clusters (or a former one EKS no longer has),
    /// as its ownership tags say: deleted before the subnets and VPCs.
    public var targets: [SweepTarget] = []
    /// In the stack's subnets or VPCs but neither the stack's nor made by its clusters'
    /// controllers: never deleted. They hold the subnet or VPC, so its deletion will fail on them.
    public var foreign: [SweepTarget] = []

    public init(targets: [SweepTarget] = [], foreign: [SweepTarget] = []) {
        self.targets = targets
        self.foreign = foreign
    }
}
