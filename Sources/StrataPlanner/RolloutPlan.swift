import StrataCompiler
import StrataModel

/// Turns a cluster version change into ordered rollout steps and checks Kubernetes' version-skew
/// rules before anything runs: one minor step at a time, every node pool at the current control
/// plane minor before it moves, no node pool above the target.
enum RolloutPlanner {
    static func rollouts(changes: [ResourceChange], graph: CompiledGraph) throws -> [RolloutPlan] {
        try rollouts(changes: changes, members: graph.instances.map { ($0.address, $0.type, $0.attributes) })
    }

    /// `instances` are the stack's resources (address, type, desired attributes); add-ons and
    /// node groups belong to a cluster by `cluster_name`.
    static func rollouts(
        changes: [ResourceChange], members instances: [(address: ResourceAddress, type: String, attributes: [String: Value])]
    ) throws -> [RolloutPlan] {
        var plans: [RolloutPlan] = []
        let byAddress = Dictionary(uniqueKeysWithValues: changes.map { ($0.address, $0) })
        for change in changes where change.type == "aws_eks_cluster" && change.action == .update {
            guard change.changedAttributes.contains("version"),
                let from = change.before?["version"]?.textForm, let to = change.after?["version"]?.textForm,
                let fromMinor = MinorVersion(from), let toMinor = MinorVersion(to)
            else { continue }
            let cluster = change.address
            if toMinor < fromMinor {
                throw PlanError.rollout("\(cluster): EKS cannot downgrade a cluster (\(from) -> \(to))")
            }
            if toMinor.major != fromMinor.major || toMinor.minor - fromMinor.minor > 1 {
                throw PlanError.rollout(
                    "\(cluster): \(from) -> \(to) skips a minor version; EKS upgrades one minor at a time (\(from) -> \(fromMinor.next) first)"
                )
            }
            let name = change.after?["name"]?.stringValue
            var steps = [
                RolloutStep(
                    kind: .controlPlane, hop: to, target: cluster, name: name ?? cluster.canonical, fromVersion: from, toVersion: to,
                    estimateSeconds: 0, summary: "control plane \(from) -> \(to)")
            ]
            let members = instances.filter { $0.attributes["cluster_name"]?.stringValue == name && name != nil }
            for addon in members where addon.type == "aws_eks_addon" {
                let addonName = addon.attributes["addon_name"]?.stringValue ?? addon.address.canonical
                let pinned = addon.attributes["addon_version"]?.stringValue
                let current = byAddress[addon.address]?.before?["addon_version"]?.stringValue
                steps.append(
                    RolloutStep(
                        kind: .addon, hop: to, target: addon.address, name: addonName, fromVersion: current, toVersion: pinned,
                        estimateSeconds: 0,
                        summary: "add-on \(addonName) \(current ?? "?") -> \(pinned ?? "EKS default for \(to)")"))
            }
            for pool in members where pool.type == "aws_eks_node_group" {
                let poolName = pool.attributes["node_group_name"]?.stringValue ?? pool.address.canonical
                let live = byAddress[pool.address]?.before?["version"]?.textForm
                let wanted = pool.attributes["version"]?.textForm
                if let live, let liveMinor = MinorVersion(live), liveMinor < fromMinor {
                    throw PlanError.rollout(
                        "\(pool.address): node pool \(poolName) runs \(live), behind the control plane's \(from); bring it to \(from) before upgrading the cluster to \(to)"
                    )
                }
                if let wanted, let wantedMinor = MinorVersion(wanted), toMinor < wantedMinor {
                    throw PlanError.rollout(
                        "\(pool.address): node pool \(poolName) asks for \(wanted), above the cluster's target \(to); node pools never lead the control plane"
                    )
                }
                if let live, let wanted, live != wanted {
                    steps.append(
                        RolloutStep(
                            kind: .nodePoolBlueGreen, hop: to, target: pool.address, name: poolName, fromVersion: live,
                            toVersion: wanted, estimateSeconds: 0,
                            summary: "node pool \(poolName) \(live) -> \(wanted), blue/green (new group, drain, delete old)"))
                }
            }
            plans.append(
                RolloutPlan(cluster: cluster, clusterName: name ?? cluster.canonical, fromVersion: from, toVersion: to, steps: steps))
        }
        return plans
    }
}

/// `1.31` as numbers, so `1.9 < 1.10`.
struct MinorVersion: Comparable, CustomStringConvertible {
    var major: Int
    var minor: Int

    init?(_ text: String) {
        let parts = text.split(separator: ".")
        guard parts.count >= 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        self.major = major
        self.minor = minor
    }

    var next: MinorVersion {
        var copy = self
        copy.minor += 1
        return copy
    }

    var description: String { "\(major).\(minor)" }

    static func < (lhs: MinorVersion, rhs: MinorVersion) -> Bool { (lhs.major, lhs.minor) < (rhs.major, rhs.minor) }
}
