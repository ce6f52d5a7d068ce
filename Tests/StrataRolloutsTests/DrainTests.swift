import AWSClient
import Foundation
import StrataExecutor
import StrataKubernetes
import StrataModel
import StrataTestSupport
import Testing

@testable import StrataRollouts

/// Drains of a blue group's cordoned nodes on a sandbox cluster, judged by what the cluster
/// observed (evictions, budget violations, lost pods), not by what the drain says of itself.
@Suite("Drain against a sandbox cluster", .timeLimit(.minutes(2)))
struct DrainTests {
    @Test("a drain moves every pod within its budgets: 0 violations, blue hosts only DaemonSet and mirror pods, 0 pods lost")
    func drainsWithinBudgets() async throws {
        let fixture = try await DrainFixture.make(
            workloads: [
                DrainFixture.deployment("web", replicas: 4), DrainFixture.budget("web", app: "web", maxUnavailable: 1),
                DrainFixture.deployment("api", replicas: 2), DrainFixture.budget("api", app: "api", minAvailable: 1),
                DrainFixture.daemonSet("node-agent"),
            ],
            mirrorPods: ["kube-proxy"], readyPods: 4 + 2 + 2 + 2)
        let blue = try await fixture.cordonBlue()
        let moving = try await fixture.movablePods(on: blue)
        #expect(moving.count == 6)

        let progress = ProgressLog()
        var drainer = fixture.drainer()
        drainer.onProgress = { progress.append($0) }
        let report = try await drainer.drain(nodes: blue)

        #expect(report.drained.sorted() == blue)
        #expect(!report.stopped && report.forced.isEmpty)
        #expect(Set(report.evicted.map(\.pod)) == Set(moving.map(PodName.init)))
        for node in blue {
            let left = try await fixture.kube.pods(onNode: node)
            let movable = left.filter { !$0.isDaemonOrMirror }.map(\.name)
            #expect(movable.isEmpty, "\(node) still hosts \(movable)")
            #expect(left.count == 2)
        }
        let observed = try await fixture.eks.observations()
        #expect(observed["pdb_violations"]?.arrayValue?.isEmpty == true, "\(observed["pdb_violations"] ?? .null)")
        #expect(observed["evictions"]?.arrayValue?.count == 6)
        // Green was Ready first and every eviction waited on its budget: no Deployment ever fell
        // below its budget or went without a Ready pod.
        let availability = try #require(observed["availability"])
        #expect(availability["below_budget_seconds"]?.intValue == 0, "\(availability["stretches"] ?? .null)")
        #expect(availability["zero_ready_seconds"]?.intValue == 0, "\(availability["stretches"] ?? .null)")
        #expect(availability["deployments"]?.arrayValue?.count == 2)
        // Every pod is back, Ready, on green.
        let green = Set(try await fixture.nodes(of: fixture.green))
        _ = try await SandboxEKSCluster.poll("6 Ready pods on green") {
            let pods = try await fixture.kube.pods(namespace: "shop")
            return pods.filter { $0.ready && green.contains($0.nodeName ?? "") }.count == 6 ? true : nil
        }
        // Deleting blue now loses nothing a drain should have moved.
        try await fixture.eks.deleteNodegroup(fixture.blue)
        let lost = try await fixture.eks.observations()["lost_pods"]?.arrayValue ?? []
        #expect(lost.filter { $0["counts_as_loss"] == .bool(true) }.isEmpty, "\(lost)")
        #expect(!lost.isEmpty, "blue's DaemonSet and mirror pods went with it")

        // Events: one pod.evicted per eviction, one node.drained per node, and a blocked
        // eviction reported once per pod and budget however often it was retried.
        #expect(fixture.events(.podEvicted).count == 6)
        #expect(fixture.events(.nodeDrained).map { $0.payload["node"] ?? "" }.sorted() == blue)
        #expect(fixture.events(.nodeCordoned).count == 2)
        let blocked = fixture.events(.evictionBlocked)
        let perPod = Dictionary(grouping: blocked) { $0.payload["pod"] ?? "" }
        #expect(perPod.values.allSatisfy { $0.count == 1 }, "\(perPod.mapValues(\.count))")
        for event in blocked {
            #expect(["web", "api"].contains(event.payload["pdb"] ?? ""))
            #expect(event.payload["disruptionsAllowed"] == "0")
            #expect(event.payload["currentHealthy"] != nil && event.payload["desiredHealthy"] != nil)
        }
        let last = try #require(progress.snapshots.last)
        #expect(last.nodes.allSatisfy { $0.drained && $0.podsLeft == 0 })
        #expect(last.evicted == 6)
        #expect(last.lines == blue.map { "\($0): drained" })
        #expect(progress.snapshots.contains { $0.nodes.contains { !$0.drained && ($0.podsLeft ?? 0) > 0 } })
        try await fixture.eks.tearDown(nodegroups: [fixture.green])
    }

    @Test("a budget that never allows stops the drain at its timeout naming the pods and the budget with counts; nothing deleted")
    func timesOutNamingTheBudget() async throws {
        let fixture = try await DrainFixture.make(
            workloads: [
                DrainFixture.replicaSet("db", replicas: 2), DrainFixture.budget("db", app: "db", minAvailable: 2),
                DrainFixture.deployment("web", replicas: 2), DrainFixture.budget("web", app: "web", maxUnavailable: 1),
                // Two budgets over one Deployment: the Eviction API refuses its pods (500).
                DrainFixture.deployment("api", replicas: 1), DrainFixture.budget("api-a", app: "api", maxUnavailable: 1),
                DrainFixture.budget("api-b", app: "api", minAvailable: 0),
            ],
            readyPods: 5)
        let blue = try await fixture.cordonBlue()
        let db = try await fixture.movablePods(on: blue).filter { $0.labels["app"] == "db" }
        let api = try #require(try await fixture.movablePods(on: blue).first { $0.labels["app"] == "api" })
        #expect(db.count == 2)

        let started = ContinuousClock.now
        // Long enough for web to move on a loaded machine (CI ran out of 2 s before it had).
        let error = try await #require(throws: DrainTimedOut.self) { try await fixture.drainer(timeout: .seconds(8)).drain(nodes: blue) }
        let waited = ContinuousClock.now - started
        #expect(waited >= .seconds(8) && waited < .seconds(20), "gave up after \(waited)")

        #expect(Set(error.stuck.map(\.pod)) == Set((db + [api]).map(PodName.init)))
        #expect(error.stuck.first { $0.pod.name == api.name }?.cause == .overlappingBudgets(["api-a", "api-b"]))
        for stuck in error.stuck where stuck.pod.name != api.name {
            guard case .budget(let budget) = stuck.cause else {
                Issue.record("\(stuck.pod) is held by \(stuck.cause), not the budget")
                continue
            }
            #expect(budget.name == "db" && budget.namespace == "shop")
            #expect(budget.currentHealthy == 2 && budget.desiredHealthy == 2 && budget.disruptionsAllowed == 0)
        }
        let text = error.description
        for pod in db + [api] { #expect(text.contains(pod.name), "\(text)") }
        #expect(
            text.contains("selected by several PodDisruptionBudgets (api-a, api-b)") && text.contains("one PodDisruptionBudget per pod"))
        #expect(text.contains("shop/db (minAvailable 2): 2 healthy, 2 desired, 0 disruptions allowed"), "\(text)")
        #expect(text.contains("nothing was deleted") && text.contains("--force-drain") && text.contains("scale the workload"))

        // Nothing deleted: db still serves from blue, web moved, no violation, blue still cordoned.
        let pods = try await fixture.kube.pods(namespace: "shop")
        #expect(Set(pods.filter { $0.labels["app"] == "db" && $0.ready }.map(\.name)) == Set(db.map(\.name)))
        let observed = try await fixture.eks.observations()
        #expect(observed["pdb_violations"]?.arrayValue?.isEmpty == true)
        let refusals = observed["blocked_evictions"]?.arrayValue?.filter { $0["pdb"] == "db" }.count ?? 0
        #expect(refusals > 2, "the drain retried (\(refusals) refusals)")
        #expect(try await fixture.kube.nodes(labelSelector: "eks.amazonaws.com/nodegroup=\(fixture.blue)").allSatisfy(\.unschedulable))
        // Retried many times, reported once per pod.
        let blocked = fixture.events(.evictionBlocked).filter { $0.payload["pdb"] == "db" }
        #expect(blocked.map { $0.payload["pod"] ?? "" }.sorted() == db.map(\.name).sorted())
        #expect(fixture.events(.evictionBlocked).filter { $0.payload["pod"] == api.name }.map { $0.payload["pdb"] } == ["api-a,api-b"])
        try await fixture.tearDown()
    }

    @Test("forced, the pods a budget still blocks at the timeout are deleted, counted and reported; bare and emptyDir pods are evicted")
    func forceDeletesAtTheTimeout() async throws {
        let fixture = try await DrainFixture.make(
            workloads: [
                DrainFixture.replicaSet("db", replicas: 2), DrainFixture.budget("db", app: "db", minAvailable: 2),
                DrainFixture.deployment("cache", replicas: 1, emptyDir: true), DrainFixture.barePod("debug"),
                DrainFixture.daemonSet("node-agent"),
            ],
            readyPods: 2 + 1 + 1 + 2)
        let blue = try await fixture.cordonBlue()
        let db = try await fixture.movablePods(on: blue).filter { $0.labels["app"] == "db" }

        let report = try await fixture.drainer(timeout: .seconds(6), force: true).drain(nodes: blue)

        #expect(report.drained.sorted() == blue)
        #expect(report.forced.map(\.pod).sorted() == db.map(PodName.init).sorted())
        #expect(report.forced.allSatisfy { if case .budget(let budget) = $0.cause { budget.name == "db" } else { false } })
        #expect(Set(report.evicted.map(\.pod.name)).isSuperset(of: ["debug"]))
        #expect(report.evicted.contains { $0.pod.name.hasPrefix("cache-") })
        for node in blue { #expect(try await fixture.kube.pods(onNode: node).allSatisfy(\.isDaemonOrMirror)) }
        let deleted = fixture.events(.podDeleted)
        #expect(deleted.map { $0.payload["pod"] ?? "" }.sorted() == db.map(\.name).sorted())
        #expect(deleted.allSatisfy { $0.payload["pdb"] == "db" && $0.payload["disruptionsAllowed"] == "0" })
        // The sandbox saw the deletions for what they are: the budget was overridden.
        let violations = try await fixture.eks.observations()["pdb_violations"]?.arrayValue ?? []
        #expect(violations.count >= 1 && violations.allSatisfy { $0["pdb"] == "db" })
        try await fixture.tearDown()
    }

    @Test("a pod no controller recreates or with emptyDir data refuses the drain before any eviction, naming it")
    func refusesUnmovablePods() async throws {
        let fixture = try await DrainFixture.make(
            workloads: [
                DrainFixture.deployment("web", replicas: 2), DrainFixture.deployment("cache", replicas: 1, emptyDir: true),
                DrainFixture.barePod("debug"),
            ],
            readyPods: 4)
        let blue = try await fixture.cordonBlue()
        let error = try await #require(throws: DrainRefused.self) { try await fixture.drainer().drain(nodes: blue) }
        #expect(error.pods.map(\.pod.name).contains("debug"))
        #expect(error.pods.first { $0.pod.name == "debug" }?.reasons == [.noController])
        #expect(error.pods.contains { $0.pod.name.hasPrefix("cache-") && $0.reasons == [.emptyDirData(["scratch"])] })
        #expect(error.description.contains("shop/debug") && error.description.contains("--force-drain"))
        #expect(try await fixture.eks.observations()["evictions"]?.arrayValue?.isEmpty == true)
        try await fixture.tearDown()
    }

    @Test("a stop request ends the drain promptly, leaving the nodes cordoned")
    func stopsPromptly() async throws {
        let fixture = try await DrainFixture.make(
            workloads: [DrainFixture.replicaSet("db", replicas: 2), DrainFixture.budget("db", app: "db", minAvailable: 2)], readyPods: 2)
        let blue = try await fixture.cordonBlue()
        let stop = StopRequest()
        let drain = Task { try await fixture.drainer(timeout: .seconds(60), stop: stop).drain(nodes: blue) }
        _ = try await SandboxEKSCluster.poll("a refused eviction") { fixture.events(.evictionBlocked).isEmpty ? nil : true }
        let asked = ContinuousClock.now
        stop.stop()
        let report = try await drain.value
        #expect(ContinuousClock.now - asked < .seconds(1))
        #expect(report.stopped && report.drained.isEmpty)
        #expect(try await fixture.kube.nodes(labelSelector: "eks.amazonaws.com/nodegroup=\(fixture.blue)").allSatisfy(\.unschedulable))
        try await fixture.tearDown()
    }
}

/// Collects progress snapshots from the drain's callback.
final class ProgressLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [DrainProgress] = []
    func append(_ progress: DrainProgress) { lock.withLock { stored.append(progress) } }
    var snapshots: [DrainProgress] { lock.withLock { stored } }
}
