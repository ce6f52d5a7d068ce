import AWSClient
import Foundation
import StrataExecutor
import StrataKubernetes
import StrataModel
import StrataTestSupport
import Testing

@testable import StrataRollouts

/// A sandbox cluster as a blue/green rollout finds it: workloads seeded on the blue group's
/// nodes and Ready, then a green group whose Ready nodes can take them.
struct DrainFixture {
    let eks: SandboxEKSCluster
    let kube: KubernetesClient
    let blue: String
    let green: String
    let events = CollectingEventSink()

    /// `workloads` land on blue (the only group when they are seeded); `mirrorPods` names static
    /// pods put on every blue node. Returns once `readyPods` pods (DaemonSet and mirror pods
    /// included) are Ready and green is ACTIVE.
    static func make(
        blueNodes: Int = 2, greenNodes: Int = 2, workloads: [JSONValue], mirrorPods: [String] = [], readyPods: Int
    ) async throws -> DrainFixture {
        let eks = try await SandboxEKSCluster.make(prefix: "drain")
        let blue = "blue-\(eks.name)"
        let green = "green-\(eks.name)"
        try await eks.addNodegroup(blue, nodes: blueNodes, labels: ["pool": "system"])
        let kube = try KubernetesClient.eks(cluster: eks.name, endpoint: eks.endpoint, caData: eks.caData, aws: eks.aws)
        try await eks.seed(
            workloads,
            staticPods: mirrorPods.map { name in
                [
                    "nodegroup": .string(blue),
                    "pod": ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "kube-system"]],
                ]
            })
        _ = try await SandboxEKSCluster.poll("\(readyPods) Ready pods") {
            let pods = try await kube.pods(namespace: nil)
            return pods.filter(\.ready).count >= readyPods ? true : nil
        }
        try await eks.addNodegroup(green, nodes: greenNodes, labels: ["pool": "system"])
        try await eks.clearObservations()
        return DrainFixture(eks: eks, kube: kube, blue: blue, green: green)
    }

    var record: CordonRecord { CordonRecord(cluster: eks.name, blueGroup: blue, greenGroup: green) }
    var emitter: EventEmitter { EventEmitter(runID: "drain-test", sink: events) }

    func nodes(of group: String) async throws -> [String] {
        try await kube.nodes(labelSelector: "eks.amazonaws.com/nodegroup=\(group)").map(\.name).sorted()
    }

    /// Blue's nodes, cordoned with the rollout's record.
    func cordonBlue() async throws -> [String] {
        let nodes = try await nodes(of: blue)
        try await NodeCordon(kube: kube, events: emitter).cordon(nodes: nodes, record: record)
        return nodes
    }

    func drainer(timeout: Duration = .seconds(20), force: Bool = false, stop: StopRequest? = nil) -> Drainer {
        Drainer(
            kube: kube, events: emitter,
            options: DrainOptions(
                timeout: timeout, force: force, initialBackoff: .milliseconds(20), maxBackoff: .milliseconds(200),
                pollInterval: .milliseconds(50), forcedDeletionMargin: .seconds(5)),
            stop: stop)
    }

    /// Pods on `nodes` a drain must move (not DaemonSet or mirror pods).
    func movablePods(on nodes: [String]) async throws -> [KubernetesPod] {
        var pods: [KubernetesPod] = []
        for node in nodes { pods += try await kube.pods(onNode: node).filter { !$0.isDaemonOrMirror } }
        return pods
    }

    func events(_ kind: EventKind) -> [Event] { events.events.filter { $0.kind == kind } }

    func tearDown() async throws { try await eks.tearDown(nodegroups: [blue, green]) }

    // MARK: - Workloads

    /// A Deployment whose pods carry `app` (its name unless given) for budgets to select;
    /// `nodeSelector` can keep its pods Pending.
    static func deployment(
        _ name: String, replicas: Int, app: String? = nil, nodeSelector: [String: String] = [:], emptyDir: Bool = false
    ) -> JSONValue {
        var spec: [String: JSONValue] = ["containers": [["name": "app", "image": "nginx"]]]
        if emptyDir { spec["volumes"] = [["name": "scratch", "emptyDir": [:]]] }
        if !nodeSelector.isEmpty { spec["nodeSelector"] = .object(nodeSelector.mapValues { .string($0) }) }
        let labels: JSONValue = ["app": .string(app ?? name), "deployment": .string(name)]
        return [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name), "namespace": "shop"],
            "spec": [
                "replicas": .int(replicas), "selector": ["matchLabels": labels],
                "template": ["metadata": ["labels": labels], "spec": .object(spec)],
            ],
        ]
    }

    /// A ReplicaSet with no Deployment above it: what a StatefulSet looks like to a drain.
    static func replicaSet(_ name: String, replicas: Int) -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": ["name": .string(name), "namespace": "shop"],
            "spec": [
                "replicas": .int(replicas), "selector": ["matchLabels": ["app": .string(name)]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [["name": "db", "image": "postgres"]]],
                ],
            ],
        ]
    }

    static func daemonSet(_ name: String) -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": ["name": .string(name), "namespace": "kube-system"],
            "spec": [
                "selector": ["matchLabels": ["app": .string(name)]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [["name": "agent", "image": "agent"]]],
                ],
            ],
        ]
    }

    static func budget(_ name: String, app: String, minAvailable: JSONValue? = nil, maxUnavailable: JSONValue? = nil) -> JSONValue {
        var spec: [String: JSONValue] = ["selector": ["matchLabels": ["app": .string(app)]]]
        spec["minAvailable"] = minAvailable
        spec["maxUnavailable"] = maxUnavailable
        return [
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ["name": .string(name), "namespace": "shop"],
            "spec": .object(spec),
        ]
    }

    /// A pod no controller owns.
    static func barePod(_ name: String) -> JSONValue {
        ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": "shop", "labels": ["app": .string(name)]]]
    }
}
