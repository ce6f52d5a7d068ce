import StrataExecutor
import StrataKubernetes
import StrataModel
import StrataTestSupport
import Testing

@testable import StrataRollouts

/// A cordon is never without its record: both land in one patch, and uncordon lifts both.
@Suite("Cordon with a rollout record")
struct DrainCordonTests {
    @Test("cordon sets unschedulable and the record together; recorded nodes are found; uncordon removes both")
    func cordonRecordRoundTrip() async throws {
        let fixture = try await DrainFixture.make(workloads: [], readyPods: 0)
        let blue = try await fixture.cordonBlue()
        let cordon = NodeCordon(kube: fixture.kube, events: fixture.emitter)

        let nodes = try await fixture.kube.nodes(labelSelector: "eks.amazonaws.com/nodegroup=\(fixture.blue)")
        #expect(nodes.allSatisfy { $0.unschedulable && $0.annotations[CordonRecord.annotation] == fixture.record.value })
        #expect(try await fixture.nodes(of: fixture.green).count == 2)
        let recorded = try await cordon.recordedNodes()
        #expect(recorded.map(\.node.name).sorted() == blue)
        #expect(recorded.allSatisfy { $0.record == fixture.record })
        let other = CordonRecord(cluster: fixture.eks.name, blueGroup: fixture.blue, greenGroup: "gone-1-31")
        #expect(try await cordon.recordedNodes(other).isEmpty)
        #expect(try await cordon.recordedNodes(fixture.record).count == 2)
        let cordoned = fixture.events(.nodeCordoned)
        #expect(cordoned.map { $0.payload["node"] ?? "" }.sorted() == blue)
        #expect(cordoned.allSatisfy { $0.payload["rollout"] == fixture.record.value && $0.payload["nodegroup"] == fixture.blue })
        // The sandbox saw one patch per node, each cordoning.
        let cordons = try await fixture.eks.observations()["cordoned"]?.arrayValue ?? []
        #expect(cordons.filter { $0["unschedulable"] == .bool(true) }.count == 2)

        try await cordon.uncordon(nodes: blue + ["ip-10-9-9-9.ec2.internal"])
        let after = try await fixture.kube.nodes(labelSelector: "eks.amazonaws.com/nodegroup=\(fixture.blue)")
        #expect(after.allSatisfy { !$0.unschedulable && $0.annotations[CordonRecord.annotation] == nil })
        #expect(try await cordon.recordedNodes().isEmpty)
        try await fixture.tearDown()
    }

    @Test("the record reads back what it wrote and refuses what strata did not write")
    func recordText() {
        let record = CordonRecord(cluster: "prod", blueGroup: "system", greenGroup: "system-1-31")
        #expect(record.value == "prod/system->system-1-31")
        #expect(CordonRecord(annotation: record.value) == record)
        #expect(CordonRecord(annotation: "prod/system") == nil)
        #expect(CordonRecord(annotation: "/a->b") == nil)
        #expect(CordonRecord(annotation: "prod/a->") == nil)
    }

    @Test("backoff doubles from the first wait to the cap, with jitter in the upper half")
    func backoff() {
        let options = DrainOptions(initialBackoff: .seconds(1), maxBackoff: .seconds(10))
        #expect(options.backoff(attempt: 1, random: 0) == .milliseconds(500))
        #expect(options.backoff(attempt: 1, random: 0.999) < .seconds(1))
        #expect(options.backoff(attempt: 3, random: 0) == .seconds(2))
        #expect(options.backoff(attempt: 30, random: 0) == .seconds(5))
        #expect(options.backoff(attempt: 30, random: 0.5) == .milliseconds(7500))
    }
}
