import Foundation
import StrataExecutor
import StrataModel
import StrataProviders
import StrataRollouts
import StrataTestSupport
import Testing

/// A rollout killed at seeded moments, then run again: the second run continues from what the
/// account and the cluster hold and always finishes with one group for the pool (green) and no
/// node cordoned outside a recorded rollout, no pod lost, no budget broken.
///
/// The kill is the run's task cancelled at the moment (the engine has no cleanup on
/// cancellation: like kill -9, whatever AWS and the API server were doing carries on without it).
/// Each kill point is one hop of a cluster that climbs 1.28 -> 1.33; the default suite runs three
/// of them, `make rollout-soak` (STRATA_ROLLOUT_SOAK=1) all ten.
@Suite(.serialized) struct RolloutCrashTests {
    /// When the run is killed: after the `count`-th event of `kind`, `delay` later.
    struct KillPoint: Sendable, CustomStringConvertible {
        var name: String
        var kind: EventKind
        var count: Int
        var delay: Duration
        /// What the account shows right after the kill, when the moment is one of AWS's (the
        /// group and its status, `cluster` for the control plane): proof the kill hit it.
        var holds: (group: String, status: String)? = nil
        var description: String { name }
    }

    static let all: [KillPoint] = [
        KillPoint(
            name: "control plane updating", kind: .rolloutStarted, count: 1, delay: .milliseconds(1500), holds: ("cluster", "UPDATING")),
        KillPoint(name: "add-on updating", kind: .clusterUpgraded, count: 1, delay: .milliseconds(30)),
        KillPoint(name: "green creating", kind: .addonUpgraded, count: 1, delay: .milliseconds(150), holds: ("green", "CREATING")),
        KillPoint(name: "cordoning", kind: .nodeCordoned, count: 1, delay: .zero),
        KillPoint(name: "first eviction", kind: .podEvicted, count: 1, delay: .zero),
        KillPoint(name: "mid-drain", kind: .podEvicted, count: 3, delay: .zero),
        KillPoint(name: "blue drained", kind: .nodeDrained, count: 3, delay: .zero),
        KillPoint(name: "blue deleting", kind: .nodeDrained, count: 3, delay: .milliseconds(300), holds: ("blue", "DELETING")),
        KillPoint(name: "blue gone, green still tagged", kind: .nodegroupDeleted, count: 1, delay: .zero),
        KillPoint(name: "green ACTIVE, before cordon", kind: .nodegroupCreated, count: 1, delay: .zero),
    ]

    static var points: [KillPoint] {
        ProcessInfo.processInfo.environment["STRATA_ROLLOUT_SOAK"] == "1" ? all : [all[2], all[5], all[7]]
    }

    @Test(.timeLimit(.minutes(10)))
    func aKilledRolloutAlwaysFinishesOnTheNextRun() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.005) { sandbox in
            let versions = ["1.28", "1.29", "1.30", "1.31", "1.32", "1.33"]
            var fixture = try await RolloutFixture.make(in: sandbox, version: "1.28")
            var (minor, blue) = (0, "system")
            for point in Self.points {
                if minor == versions.count - 1 {
                    fixture = try await RolloutFixture.make(in: sandbox, version: "1.28")
                    (minor, blue) = (0, "system")
                }
                let current = fixture
                let plan = current.hop(from: versions[minor], to: versions[minor + 1], blue: blue)
                let green = try #require(plan.steps.last?.greenName)
                try await killed(fixture, plan, at: point)
                if let holds = point.holds {
                    let status: String?
                    switch holds.group {
                    case "cluster":
                        status = try await EKSRolloutCalls(current.context).cluster(current.cluster)?.status
                    default:
                        status = try await current.nodegroup(holds.group == "green" ? green : blue)?["status"]?.stringValue
                    }
                    #expect(status == holds.status, "\(point): killed while \(holds.group) was \(holds.status), found \(status ?? "none")")
                }
                #expect(try await orphanCordons(fixture).isEmpty, "\(point): no node cordoned outside a recorded rollout")

                try await current.engine(events: CollectingEventSink()).run(plan) { _ in current.desiredPool() }
                #expect(try await fixture.nodegroups() == [green], "\(point): the pool is one group, green")
                #expect(try await fixture.cordoned() == [], "\(point): nothing left cordoned")
                #expect(try await fixture.losses() == [], "\(point): no pod lost")
                let violations = try await fixture.observations()["pdb_violations"]?.arrayValue ?? []
                #expect(violations == [], "\(point): no budget broken")
                try await fixture.waitWorkloadsReady()
                (minor, blue) = (minor + 1, green)
            }
        }
    }

    /// Runs `plan` and cancels it at `point`; records an issue if the run finished first.
    private func killed(_ fixture: RolloutFixture, _ plan: RolloutPlan, at point: KillPoint) async throws {
        let trigger = Trigger(point)
        let engine = RolloutEngine(
            context: fixture.context, events: EventEmitter(runID: "crash", sink: trigger), options: .forTests)
        let run = Task { try await engine.run(plan) { _ in fixture.desiredPool() } }
        trigger.arm(run)
        if case .success = await run.result { Issue.record("\(point): the run finished before it was killed") }
    }

    /// Nodes cordoned whose record names no existing green group, or cordoned with no record.
    private func orphanCordons(_ fixture: RolloutFixture) async throws -> [String] {
        var orphans: [String] = []
        let groups = Set(try await fixture.nodegroups())
        for node in try await fixture.kube.nodes() where node.unschedulable {
            guard let value = node.annotations[CordonRecord.annotation], let record = CordonRecord(annotation: value),
                groups.contains(record.greenGroup)
            else {
                orphans.append(node.name)
                continue
            }
        }
        return orphans
    }
}

/// Cancels the run `delay` after the `count`-th event of `kind`.
final class Trigger: EventSink, @unchecked Sendable {
    private let point: RolloutCrashTests.KillPoint
    private let lock = NSLock()
    private var seen = 0
    private var run: Task<RolloutOutcome, any Error>?
    private var fired = false

    init(_ point: RolloutCrashTests.KillPoint) { self.point = point }

    func emit(_ event: Event) {
        let hit: Bool = lock.withLock {
            guard event.kind == point.kind else { return false }
            seen += 1
            return seen == point.count
        }
        guard hit else { return }
        let delay = point.delay
        Task {
            if delay > .zero { try? await Task.sleep(for: delay) }
            self.fire()
        }
    }

    func arm(_ run: Task<RolloutOutcome, any Error>) {
        let cancelNow: Bool = lock.withLock {
            self.run = run
            return fired
        }
        if cancelNow { run.cancel() }
    }

    private func fire() {
        let run: Task<RolloutOutcome, any Error>? = lock.withLock {
            fired = true
            return self.run
        }
        run?.cancel()
    }
}
