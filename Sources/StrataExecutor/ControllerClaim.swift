import AWSClient
import Foundation

/// Which controller made a resource, and for which cluster, as the ownership tags the controller
/// writes on everything it creates say. A tag any resource may carry so that a controller *finds*
/// it (Karpenter's `karpenter.sh/discovery` on subnets and security groups, copied onto instances
/// by many node classes) says nothing of who made it, and never makes a claim.
struct ControllerClaim: Sendable, Hashable {
    var cluster: String
    /// The tags that say so, `key=value, ...`: the owner the destroy plan shows.
    var tags: String

    /// Karpenter's nodes: `karpenter.sh/nodepool` (only Karpenter writes it) with the cluster
    /// named by `eks:eks-cluster-name` or `kubernetes.io/cluster/<name>` = `owned`, both of which
    /// Karpenter writes on every instance it launches.
    static func karpenterInstance(_ tags: [String: String]) -> ControllerClaim? {
        guard let pool = tags["karpenter.sh/nodepool"] else { return nil }
        if let cluster = tags["eks:eks-cluster-name"], !cluster.isEmpty {
            return ControllerClaim(
                cluster: cluster, tags: "karpenter.sh/nodepool=\(pool), eks:eks-cluster-name=\(cluster)")
        }
        guard let cluster = inTreeCluster(tags, owned: true) else { return nil }
        return ControllerClaim(
            cluster: cluster, tags: "karpenter.sh/nodepool=\(pool), kubernetes.io/cluster/\(cluster)=owned")
    }

    /// The Amazon VPC CNI's network interfaces (`aws-K8S-i-…`): `cluster.k8s.amazonaws.com/name`,
    /// written when the CNI knows its cluster (the EKS add-on always does). One without it cannot
    /// be told from a hand-made interface and is not claimed.
    static func cniInterface(_ tags: [String: String]) -> ControllerClaim? {
        guard let cluster = tags["cluster.k8s.amazonaws.com/name"], !cluster.isEmpty else { return nil }
        var said = "cluster.k8s.amazonaws.com/name=\(cluster)"
        if let node = tags["node.k8s.amazonaws.com/instance_id"] {
            said += ", node.k8s.amazonaws.com/instance_id=\(node)"
        }
        return ControllerClaim(cluster: cluster, tags: said)
    }

    /// The AWS Load Balancer Controller's load balancers, target groups and security groups
    /// (`elbv2.k8s.aws/cluster`), and what Kubernetes' in-tree cloud provider makes for a
    /// Service (`kubernetes.io/cluster/<name>`; security groups only when `owned`, as a subnet or
    /// VPC shared with a cluster carries the same key valued `shared`).
    static func loadBalancerController(_ tags: [String: String], inTreeOwnedOnly: Bool) -> ControllerClaim? {
        if let cluster = tags[loadBalancerControllerTag], !cluster.isEmpty {
            return ControllerClaim(cluster: cluster, tags: "\(loadBalancerControllerTag)=\(cluster)")
        }
        guard let cluster = inTreeCluster(tags, owned: inTreeOwnedOnly) else { return nil }
        let key = "kubernetes.io/cluster/\(cluster)"
        return ControllerClaim(cluster: cluster, tags: "\(key)=\(tags[key] ?? "")")
    }

    /// The tag the AWS Load Balancer Controller puts on every load balancer, target group and
    /// security group it creates, valued with the cluster's name.
    static let loadBalancerControllerTag = "elbv2.k8s.aws/cluster"

    /// The cluster a `kubernetes.io/cluster/<name>` tag names (with value `owned`, if asked).
    static func inTreeCluster(_ tags: [String: String], owned: Bool) -> String? {
        let prefix = "kubernetes.io/cluster/"
        return tags.keys.sorted().first { $0.hasPrefix(prefix) && (!owned || tags[$0] == "owned") }
            .map { String($0.dropFirst(prefix.count)) }
    }

    /// Who a resource seems to belong to, for messages: strata's ownership tags, a controller's
    /// claim, or the `Name` tag; `untagged` if none.
    static func owner(_ tags: [String: String]) -> String {
        if let stack = tags["strata:stack"] {
            return "strata stack \(stack)" + (tags["strata:address"].map { " (\($0))" } ?? "")
        }
        if let claim = karpenterInstance(tags) ?? cniInterface(tags)
            ?? loadBalancerController(tags, inTreeOwnedOnly: false)
        {
            return claim.tags
        }
        if let name = tags["Name"] { return "Name=\(name)" }
        return tags.isEmpty
            ? "untagged" : tags.keys.sorted().prefix(3).map { "\($0)=\(tags[$0] ?? "")" }.joined(separator: ", ")
    }
}
