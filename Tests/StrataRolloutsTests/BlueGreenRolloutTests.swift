import Foundation
import StrataExecutor
import StrataModel
import StrataRollouts
import StrataTestSupport
import Testing

/// A pool rolled blue/green from 1.30 to 1.31 on a sandbox cluster with seeded workloads.
@Suite(.serialized) struct BlueGreenRolloutTests {
    @Test(.timeLimit(.minutes(3)))
    func bluegreenMovesEveryPodWithinItsBudgetAndDeletesBlue() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.01) { sandbox in
            let fixture = try await RolloutFixture.make(in: sandbox)
            let events = CollectingEventSink()
            try await sandbox.clearRequests()
            let plan = fixture.plan()
            try await fixture.engine(events: events).run(plan) { _ in fixture.desiredPool() }

            // Plan = apply: the EKS writes in the request log are exactly the plan's steps' writes.
            let verbs = ["Create", "Update", "Delete", "Tag", "Untag", "Associate", "Disassociate"]
            let writes = try await sandbox.requests().filter { $0.service == "eks" }.compactMap(\.action).filter { action in
                verbs.contains { action.hasPrefix($0) }
            }
            #expect(writes == plan.steps.flatMap(\.eksWrites), "apply made exactly the writes its plan shows")

            let observations = try await fixture.observations()
            #expect(observations["pdb_violations"]?.arrayValue ?? [] == [], "no eviction broke a budget")
            #expect(try await fixture.losses() == [], "no pod was lost")
            #expect(try await fixture.nodegroups() == ["system-1-31"], "blue is gone, green remains")
            let green = try #require(try await fixture.nodegroup("system-1-31"))
            #expect(green["version"]?.stringValue == "1.31")
            let tags = green["tags"] ?? [:]
            #expect(tags["strata:rollout-blue"] == nil && tags["strata:rollout-target"] == nil, "green's rollout tags removed")
            #expect(tags["strata:address"]?.stringValue == "aws_eks_node_group.system", "green carries the pool's address")
            #expect(try await fixture.cordoned() == [], "no node left cordoned")
            let web = try await fixture.kube.pods(namespace: "shop", labelSelector: "app=web").filter { !$0.terminating }
            #expect(web.count == 4 && web.allSatisfy { $0.ready })
            let kinds = events.events.map(\.kind.rawValue)
            for kind in [
                "rollout.started", "cluster.upgraded", "addon.upgraded", "nodegroup.created", "node.cordoned", "pod.evicted",
                "node.drained", "nodegroup.deleted", "rollout.finished",
            ] {
                #expect(kinds.contains(kind), "emits \(kind)")
            }
            #expect(kinds.filter { $0 == "node.cordoned" }.count == 3, "each blue node cordoned once")
        }
    }
}
