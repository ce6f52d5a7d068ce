import Foundation
import StrataModel
import Testing

@testable import StrataExecutor

/// How the applier orders a plan's rollouts with the rest of it: the rollout stands in for the
/// version updates it performs, waits for what its resources depend on, and what depends on
/// them waits for it; their other changes still apply as updates.
struct ApplierRolloutStepsTests {
    let vpc = ResourceAddress(module: nil, type: "aws_vpc", name: "main")
    let cluster = ResourceAddress(module: nil, type: "aws_eks_cluster", name: "main")
    let pool = ResourceAddress(module: nil, type: "aws_eks_node_group", name: "system")
    let addon = ResourceAddress(module: nil, type: "aws_eks_addon", name: "vpc_cni")
    let manifest = ResourceAddress(module: nil, type: "kubernetes_manifest", name: "nodeclass")

    func change(_ address: ResourceAddress, _ action: ChangeAction, changed: [String] = [], dependencies: [ResourceAddress] = [])
        -> ResourceChange
    {
        ResourceChange(
            address: address, type: address.type, plane: .compute, action: action, before: [:], after: [:], changedAttributes: changed,
            dependencies: dependencies)
    }

    var rollout: RolloutPlan {
        RolloutPlan(
            cluster: cluster, clusterName: "prod", fromVersion: "1.30", toVersion: "1.31",
            steps: [
                RolloutStep(
                    kind: .controlPlane, hop: "1.31", target: cluster, name: "prod", fromVersion: "1.30", toVersion: "1.31",
                    estimateSeconds: 0, summary: ""),
                RolloutStep(
                    kind: .addon, hop: "1.31", target: addon, name: "vpc-cni", fromVersion: nil, toVersion: nil, estimateSeconds: 0,
                    summary: ""),
                RolloutStep(
                    kind: .nodePoolBlueGreen, hop: "1.31", target: pool, name: "system", fromVersion: "1.30", toVersion: "1.31",
                    greenName: "system-1-31", estimateSeconds: 0, summary: ""),
            ])
    }

    func plan() -> Plan {
        Plan(
            stack: "s", region: "us-east-1", stackPath: ".",
            changes: [
                change(vpc, .update, changed: ["tags"]),
                // The cluster also changes its logging: that update still runs, before the rollout.
                change(cluster, .update, changed: ["version", "enabled_cluster_log_types"], dependencies: [vpc]),
                change(pool, .update, changed: ["version", "scaling_config"], dependencies: [cluster]),
                change(addon, .update, changed: ["addon_version"], dependencies: [cluster, pool]),
                change(manifest, .update, changed: ["manifest"], dependencies: [cluster]),
            ],
            liveFingerprint: "", rollouts: [rollout])
    }

    @Test func rolloutReplacesTheVersionUpdatesItPerforms() {
        let (steps, edges) = Applier.steps(of: plan(), rollouts: true)
        let rolloutStep = Step(cluster, .rollout)
        #expect(Set(steps) == [Step(vpc, .update), Step(cluster, .update), rolloutStep, Step(manifest, .update)])
        #expect(
            edges[rolloutStep] == [Step(vpc, .update), Step(cluster, .update)], "waits for its dependencies and the cluster's other update")
        #expect(
            edges[Step(manifest, .update)] == [Step(cluster, .update), rolloutStep], "a dependent of the cluster waits for the rollout")
        let clusterChange = plan().changes[1]
        #expect(Applier.changedByUpdate(clusterChange, plan: plan(), rollouts: true) == ["enabled_cluster_log_types"])
    }

    @Test func withoutAnEngineVersionsMoveInPlaceAsBefore() {
        let (steps, _) = Applier.steps(of: plan(), rollouts: false)
        #expect(steps.contains(Step(pool, .update)) && steps.contains(Step(addon, .update)))
        #expect(!steps.contains(Step(cluster, .rollout)))
    }
}
