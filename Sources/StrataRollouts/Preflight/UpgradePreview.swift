import Foundation
import StrataModel
import StrataPlanner

/// What `strata upgrade --dry-run` shows: the cluster's rollout (steps per hop, estimates,
/// findings), what each pool's drain will do read live from the cluster, and whatever else the
/// plan changes. A view: it renders, it does not run anything.
public struct UpgradePreview: Sendable {
    public var cluster: String
    public var rollout: RolloutPlan?
    public var pools: [RolloutPreflight.PoolSurvey]
    /// The plan's other changes (the stack files and the account disagreeing on more than the version).
    public var otherChanges: [ResourceChange]

    public init(cluster: String, rollout: RolloutPlan?, pools: [RolloutPreflight.PoolSurvey], otherChanges: [ResourceChange]) {
        self.cluster = cluster
        self.rollout = rollout
        self.pools = pools
        self.otherChanges = otherChanges
    }

    public func text(_ renderer: PlanRenderer) -> String {
        guard let rollout else { return "Cluster \(cluster) is already there: nothing to roll out.\n" }
        var out = renderer.rollout(rollout)
        if !pools.isEmpty { out += "\nDrains (read live from cluster \(cluster) now):\n" }
        for pool in pools {
            let survey = pool.survey
            out += "  node pool \(pool.group): \(survey.nodes.count) node\(survey.nodes.count == 1 ? "" : "s"), "
            out += "\(survey.evictionCount) pod\(survey.evictionCount == 1 ? "" : "s") to evict\n"
            for node in survey.nodes {
                let evicts = node.evicts.isEmpty ? "nothing" : node.evicts.map(\.description).joined(separator: ", ")
                out += "    \(node.name) evicts \(evicts)"
                out += node.leavesBehind.isEmpty ? "\n" : " (leaves \(node.leavesBehind.count) DaemonSet/mirror pods)\n"
            }
            for block in survey.blockingNow {
                out += "    blocks now: PodDisruptionBudget \(block.budget) (\(block.reason)), covering \(Self.list(block.pods))\n"
            }
            for block in survey.neverAllowing {
                out += "    never allows: PodDisruptionBudget \(block.budget) (\(block.reason)), covering \(Self.list(block.pods))\n"
            }
            for pod in survey.unmovable { out += "    cannot move: \(pod.message)\n" }
        }
        if !otherChanges.isEmpty {
            out += "\nThe plan also changes (as `strata plan` shows them):\n"
            for change in otherChanges { out += "  \(change.action.rawValue) \(change.address)\n" }
        }
        out += "\nEstimated duration: about \(PlanRenderer.duration(rollout.estimateSeconds)) at AWS's typical durations.\n"
        return out
    }

    public var json: JSONValue {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        func encoded<T: Encodable>(_ value: T) -> JSONValue { (try? encoder.encode(value)).flatMap { try? JSONValue.parse($0) } ?? .null }
        return .object([
            "cluster": .string(cluster),
            "rollout": rollout.map { TerraformPlanJSON.rollouts([$0]).arrayValue?.first ?? .null } ?? .null,
            "drains": .array(pools.map(encoded)),
            "other_changes": .array(
                otherChanges.map { .object(["address": .string($0.address.canonical), "action": .string($0.action.rawValue)]) }),
            "estimate_seconds": .int(rollout?.estimateSeconds ?? 0),
            "blocked": .bool(rollout?.isBlocked ?? false),
        ])
    }

    static func list(_ pods: [PodName]) -> String { pods.map(\.description).joined(separator: ", ") }
}
