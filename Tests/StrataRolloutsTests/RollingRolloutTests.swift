import Foundation
import StrataExecutor
import StrataModel
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
            try await sandbox.clearRequests()
            let plan = fixture.plan(strategy: .nodePoolInPlace)
            try await fixture.engine(events: events).run(plan) { _ in fixture.desiredPool() }

            let writes = try await sandbox.requests().filter { $0.service == "eks" && ($0.action ?? "").hasPrefix("Update") }
            #expect(writes.compactMap(\.action) == plan.steps.flatMap(\.eksWrites), "one UpdateNodegroupVersion, no new group")
            #expect(try await fixture.nodegroups() == ["system"])
            #expect(try await fixture.nodegroup("system")?["version"]?.stringValue == "1.31")
            let updated = events.events.first { $0.kind == .resourceUpdated && $0.payload["strategy"] == "rolling" }
            #expect(updated?.payload["updateId"]?.isEmpty == false, "reported with EKS's update id")
            #expect(try await fixture.losses() == [])
        }
    }
}
