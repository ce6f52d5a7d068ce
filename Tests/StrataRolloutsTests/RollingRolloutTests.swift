import Foundation
import StrataExecutor
import StrataModel
import StrataProviders
import StrataRollouts
import StrataTestSupport
import Testing

/// `strategy: rolling`: the pool moves in place through EKS's managed update.
@Suite(.serialized) struct RollingRolloutTests {
    @Test(.timeLimit(.minutes(3)))
    func rollingUpdatesThePoolInPlaceThroughEKS() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.005) { sandbox in
            let fixture = try await RolloutFixture.make(in: sandbox)
            let events = CollectingEventSink()
            // Nodes Karpenter launched, on the old kubelet (stood in for by a group carrying
            // Karpenter's label), and their NodePool's disruption budget.
            try await fixture.kube.apply([
                "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": ["name": "default"],
                "spec": ["disruption": ["budgets": [["nodes": "20%"]]]],
            ])
            var karpenter = fixture.desiredPool(nodes: 1)
            karpenter.attributes["node_group_name"] = .string("karpenter")
            karpenter.attributes["labels"] = .map(["karpenter.sh/nodepool": .string("default")])
            karpenter.tags = [:]
            karpenter.idempotencyToken = "\(fixture.cluster)-karpenter"
            _ = try await ProviderRegistry.all["aws_eks_node_group"]?.create(karpenter, fixture.context)
            let launched = try await fixture.kube.nodes(labelSelector: "karpenter.sh/nodepool=default").map(\.name)
            try await sandbox.clearRequests()
            var plan = fixture.plan(strategy: .nodePoolInPlace)
            plan.steps.append(
                RolloutStep(
                    kind: .karpenterDrift, hop: "1.31", target: RolloutFixture.clusterAddress, name: "default", fromVersion: "1.30",
                    toVersion: "1.31", estimateSeconds: 0, summary: "Karpenter nodes drift"))
            let outcome = try await fixture.engine(events: events).run(plan) { _ in fixture.desiredPool() }
            let drift = try #require(outcome.karpenter)
            #expect(drift.nodesBehind.map(\.name) == launched && launched.count == 1, "the Karpenter node still on 1.30 is reported")
            #expect(drift.budgets["default"] == ["nodes: 20%"], "with the budget that paces it")

            let writes = try await sandbox.requests().filter { $0.service == "eks" && ($0.action ?? "").hasPrefix("Update") }
            #expect(writes.compactMap(\.action) == plan.steps.flatMap(\.eksWrites), "one UpdateNodegroupVersion, no new group")
            #expect(try await fixture.nodegroups() == ["karpenter", "system"])
            #expect(try await fixture.nodegroup("system")?["version"]?.stringValue == "1.31")
            let updated = events.events.first { $0.kind == .resourceUpdated && $0.payload["strategy"] == "rolling" }
            #expect(updated?.payload["updateId"]?.isEmpty == false, "reported with EKS's update id")
            #expect(try await fixture.losses() == [])
        }
    }
}
