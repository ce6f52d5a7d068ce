import Foundation
import StrataExecutor
import StrataModel
import StrataRollouts
import StrataTestSupport
import Testing

/// One cluster's life through the ways a blue/green pool stops: green that never comes up is
/// rolled back, as is one the user stops while green comes up; a drain a budget blocks stops at its timeout naming the pod and the budget, with
/// blue still serving; a re-run with --force-drain finishes the same rollout.
@Suite(.serialized) struct RollbackRolloutTests {
    @Test(.timeLimit(.minutes(3)))
    func greenFailingRollsBackAndABlockedDrainStopsNamingPodAndBudget() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.01) { sandbox in
            let fixture = try await RolloutFixture.make(in: sandbox)
            // db: a ReplicaSet whose budget never allows a disruption.
            let labels: JSONValue = ["app": "db"]
            try await fixture.control(
                "POST", "workloads",
                body: [
                    "objects": [
                        [
                            "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": ["name": "db", "namespace": "shop"],
                            "spec": [
                                "replicas": 2, "selector": ["matchLabels": labels],
                                "template": ["metadata": ["labels": labels], "spec": ["containers": [["name": "db", "image": "pg"]]]],
                            ],
                        ],
                        [
                            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ["name": "db", "namespace": "shop"],
                            "spec": ["minAvailable": 2, "selector": ["matchLabels": labels]],
                        ],
                    ]
                ])

            // 1. Green's instances never launch: blue uncordoned, green deleted, the cause named.
            try await fixture.control(
                "POST", "faults", body: ["nodegroup_prefix": "system-1-31", "create_fails": "InsufficientInstanceCapacity in us-east-1a"])
            let events = CollectingEventSink()
            let rolledBack = await #expect(throws: RolloutError.self) {
                try await fixture.engine(events: events).run(fixture.plan()) { _ in fixture.desiredPool() }
            }
            #expect("\(rolledBack.map { "\($0)" } ?? "")".contains("InsufficientInstanceCapacity"), "names the cause")
            #expect(try await fixture.nodegroups() == ["system"], "no green group left")
            #expect(try await fixture.cordoned() == [], "blue uncordoned")
            #expect(events.events.contains { $0.kind == .rolloutRolledBack })

            // 2. Stopped (Ctrl-C) while green is still coming up: rolled back the same way.
            try await fixture.control("POST", "faults", body: ["clear": true])
            try await fixture.control("POST", "faults", body: ["nodegroup_prefix": "system-1-31", "never_ready": true])
            let stop = StopRequestHolder()
            let stopper = Task {
                _ = try await RolloutFixture.poll("green system-1-31 created") { try await fixture.nodegroup("system-1-31") }
                stop.request.stop()
            }
            let stopped = await #expect(throws: RolloutError.self) {
                try await fixture.engine(events: CollectingEventSink(), stop: stop).run(fixture.plan()) { _ in fixture.desiredPool() }
            }
            try await stopper.value
            #expect("\(stopped.map { "\($0)" } ?? "")".contains("stopped before any pod moved"))
            #expect(try await fixture.nodegroups() == ["system"], "no green group left")
            #expect(try await fixture.cordoned() == [], "blue uncordoned")

            // 3. Green comes up; db's budget blocks its drain: stopped within the timeout, naming pod and budget.
            try await fixture.control("POST", "faults", body: ["clear": true])
            let started = ContinuousClock.now
            let blocked = await #expect(throws: RolloutError.self) {
                try await fixture.engine(events: CollectingEventSink()).run(fixture.plan(drainTimeout: 3)) { _ in fixture.desiredPool() }
            }
            #expect(ContinuousClock.now - started < .seconds(30), "stops within its drain timeout (plus green's create)")
            let message = blocked.map { "\($0)" } ?? ""
            #expect(message.contains("shop/db-") && message.contains("PodDisruptionBudget shop/db"), "names pod and budget: \(message)")
            #expect(try await fixture.nodegroups() == ["system", "system-1-31"], "blue keeps serving; green is up")
            let db = try await fixture.kube.pods(namespace: "shop", labelSelector: "app=db")
            #expect(db.count == 2 && db.allSatisfy { $0.ready && !$0.terminating }, "db's pods are untouched")
            #expect(try await fixture.losses() == [])

            // 4. The re-run with --force-drain continues the recorded rollout and finishes it.
            var forcing = RolloutOptions.forTests
            forcing.forceDrain = true
            let outcome = try await fixture.engine(events: CollectingEventSink(), options: forcing).run(fixture.plan(drainTimeout: 3)) {
                _ in
                fixture.desiredPool()
            }
            #expect(outcome.forceDeleted.count >= 1, "the pods the budget protected were deleted and counted")
            #expect(try await fixture.nodegroups() == ["system-1-31"])
            #expect(try await fixture.cordoned() == [])
        }
    }
}
