import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

@testable import StrataKubernetes

/// The client against a sandbox EKS cluster: real TLS with the cluster CA, real EKS tokens.
@Suite("Kubernetes client against a sandbox cluster")
struct KubernetesClientTests {
    @Test("apply, get, list and delete a ConfigMap and a Karpenter NodePool")
    func applyGetDelete() async throws {
        let cluster = try await SandboxCluster.make(nodes: 1)
        let kube = cluster.kube
        let configMap: JSONValue = [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": ["name": "settings", "namespace": "default", "labels": ["strata.dev/stack": "t1"]],
            "data": ["mode": "fast"],
        ]
        let applied = try await kube.apply(configMap)
        #expect(applied["data"]?["mode"] == "fast")
        let fetched = try #require(try await kube.get(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "settings"))
        #expect(fetched["data"]?["mode"] == "fast")
        // A second apply with a change updates in place.
        var changed = configMap
        if case .object(var members) = changed { members["data"] = ["mode": "slow"]; changed = .object(members) }
        try await kube.apply(changed)
        #expect(try await kube.get(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "settings")?["data"]?["mode"] == "slow")
        let listed = try await kube.list(apiVersion: "v1", kind: "ConfigMap", namespace: "default", labelSelector: "strata.dev/stack=t1")
        #expect(listed.compactMap { $0["metadata"]?["name"]?.stringValue } == ["settings"])
        #expect(listed.first?["kind"] == "ConfigMap")
        #expect(try await kube.delete(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "settings"))
        #expect(try await kube.get(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "settings") == nil)
        #expect(try await kube.delete(apiVersion: "v1", kind: "ConfigMap", namespace: "default", name: "settings") == false)

        let nodePool: JSONValue = [
            "apiVersion": "karpenter.sh/v1", "kind": "NodePool",
            "metadata": ["name": "general"],
            "spec": [
                "template": ["spec": ["nodeClassRef": ["group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"]]],
                "limits": ["cpu": "100"],
            ],
        ]
        try await kube.apply(nodePool)
        let pool = try #require(try await kube.get(apiVersion: "karpenter.sh/v1", kind: "NodePool", name: "general"))
        #expect(pool["spec"]?["limits"]?["cpu"] == "100")
        #expect(try await kube.list(apiVersion: "karpenter.sh/v1", kind: "NodePool").count == 1)
        #expect(try await kube.delete(apiVersion: "karpenter.sh/v1", kind: "NodePool", name: "general"))
        #expect(try await kube.get(apiVersion: "karpenter.sh/v1", kind: "NodePool", name: "general") == nil)
        try await cluster.tearDown()
    }

    @Test("a kind outside the built-in table is found through API discovery")
    func discovery() async throws {
        let cluster = try await SandboxCluster.make(nodes: 1)
        // The sandbox registers a custom kind on its first apply (no CRDs); a fresh client then
        // has to discover its plural and scope.
        let widget: JSONValue = ["apiVersion": "example.com/v1", "kind": "Widget", "metadata": ["name": "w1", "namespace": "default"]]
        _ = try await cluster.kube.request(
            "PATCH", "/apis/example.com/v1/namespaces/default/widgets/w1", query: [(name: "fieldManager", value: "test")], body: widget,
            contentType: "application/apply-patch+yaml")
        let resource = try await cluster.kube.resource(apiVersion: "example.com/v1", kind: "Widget")
        #expect(resource.plural == "widgets")
        #expect(resource.namespaced)
        #expect(try await cluster.kube.get(apiVersion: "example.com/v1", kind: "Widget", namespace: "default", name: "w1") != nil)
        await #expect(throws: KubernetesClientError.self) {
            _ = try await cluster.kube.resource(apiVersion: "nothing.example.com/v1", kind: "Gadget")
        }
        try await cluster.tearDown()
    }

    @Test("cordon sets an annotation in the same patch; uncordon removes it")
    func cordonWithAnnotation() async throws {
        let cluster = try await SandboxCluster.make(nodes: 1)
        let node = try #require(try await cluster.kube.nodes().first).name
        let cordoned = try await cluster.kube.cordon(node: node, annotations: ["example.com/why": "upgrade"])
        #expect(cordoned.unschedulable && cordoned.annotations["example.com/why"] == "upgrade")
        let requests = try await cluster.sandbox.kubernetesRequests(cluster: cluster.name).filter { $0.method == "PATCH" }
        #expect(requests.count == 1)
        let uncordoned = try await cluster.kube.uncordon(node: node, removingAnnotations: ["example.com/why"])
        #expect(!uncordoned.unschedulable && uncordoned.annotations["example.com/why"] == nil)
        try await cluster.tearDown()
    }

    @Test("nodes of a node group, cordon and uncordon")
    func nodesAndCordon() async throws {
        let cluster = try await SandboxCluster.make(nodes: 2)
        let nodes = try await cluster.kube.nodes(labelSelector: "eks.amazonaws.com/nodegroup=\(cluster.nodegroup)")
        #expect(nodes.count == 2)
        #expect(nodes.allSatisfy { $0.ready && !$0.unschedulable && $0.labels["role"] == "workers" })
        let target = try #require(nodes.first).name
        let cordoned = try await cluster.kube.cordon(node: target)
        #expect(cordoned.unschedulable)
        let after = try await cluster.kube.nodes(labelSelector: "eks.amazonaws.com/nodegroup=\(cluster.nodegroup)")
        #expect(after.filter(\.unschedulable).map(\.name) == [target])
        #expect(try await cluster.kube.uncordon(node: target).unschedulable == false)
        #expect(try await cluster.kube.nodes(labelSelector: "role=nobody").isEmpty)
        try await cluster.tearDown()
    }

    @Test("eviction: allowed is evicted (201), a budget at its limit blocks (429), two budgets refuse (500), typed outcomes")
    func eviction() async throws {
        let cluster = try await SandboxCluster.make(nodes: 2)
        func deployment(_ name: String, replicas: Int) -> JSONValue {
            [
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name), "namespace": "shop"],
                "spec": [
                    "replicas": .int(replicas), "selector": ["matchLabels": ["app": .string(name)]],
                    "template": [
                        "metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [["name": "c", "image": "nginx"]]],
                    ],
                ],
            ]
        }
        try await cluster.seed([
            deployment("web", replicas: 2), deployment("batch", replicas: 1),
            [
                "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ["name": "web", "namespace": "shop"],
                "spec": ["minAvailable": 2, "selector": ["matchLabels": ["app": "web"]]],
            ],
        ])
        let kube = cluster.kube
        let pods = try await SandboxCluster.poll("three Ready pods in shop") {
            let pods = try await kube.pods(namespace: "shop")
            return pods.filter(\.ready).count == 3 ? pods : nil
        }
        let budgets = try await kube.podDisruptionBudgets(namespace: "shop")
        #expect(budgets.map(\.name) == ["web"])
        #expect(budgets.first?.disruptionsAllowed == 0)
        #expect(budgets.first?.matchLabels == ["app": "web"])
        // Pods by node: every pod is bound to a node of the group.
        let node = try #require(pods.first?.nodeName)
        #expect(try await kube.pods(onNode: node).allSatisfy { $0.nodeName == node })

        let batch = try #require(pods.first { $0.labels["app"] == "batch" })
        #expect(try await kube.evict(namespace: "shop", pod: batch.name) == .evicted(namespace: "shop", pod: batch.name))
        let web = try #require(pods.first { $0.labels["app"] == "web" })
        let blocked = try await kube.evict(namespace: "shop", pod: web.name)
        guard case .blockedByBudget(let namespace, let pod, let message) = blocked else {
            Issue.record("expected a budget to block, got \(blocked)")
            return
        }
        #expect(namespace == "shop" && pod == web.name)
        #expect(message.contains("web"), "message: \(message)")
        let refusal = try #require(BudgetRefusal(message: message))
        #expect(refusal.budget == "web" && refusal.desiredHealthy == 2 && refusal.currentHealthy == 2)
        #expect(BudgetRefusal(message: "Cannot evict pod as it would violate the pod's disruption budget.") == nil)
        #expect(try await kube.evict(namespace: "shop", pod: "no-such-pod") == .gone(namespace: "shop", pod: "no-such-pod"))
        // A second budget over the same pods: the Eviction API refuses outright (500).
        try await kube.apply([
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ["name": "web-too", "namespace": "shop"],
            "spec": ["maxUnavailable": 1, "selector": ["matchLabels": ["app": "web"]]],
        ])
        guard case .multipleBudgets(_, let again, _) = try await kube.evict(namespace: "shop", pod: web.name) else {
            Issue.record("expected the two budgets to refuse the eviction")
            return
        }
        #expect(again == web.name)
        try await cluster.tearDown()
    }

    @Test("API errors carry the Status reason, message and code")
    func errors() async throws {
        let cluster = try await SandboxCluster.make(nodes: 1)
        do {
            _ = try await cluster.kube.request("GET", "/api/v1/namespaces/default/configmaps/missing")
            Issue.record("a missing object answered")
        } catch let error as KubernetesError {
            #expect(error.isNotFound)
            #expect(error.reason == "NotFound")
            #expect(error.code == 404)
            #expect(error.message.contains("missing"))
        }
        try await cluster.tearDown()
    }
}

/// The token cache, with an injected clock: one fetch until a minute before expiry.
@Suite("Kubernetes token cache")
struct KubernetesTokenCacheTests {
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
        var count: Int { lock.lock(); defer { lock.unlock() }; return value }
    }
    final class Clock: @unchecked Sendable {
        private let lock = NSLock()
        private var date = Date(timeIntervalSince1970: 1_700_000_000)
        var now: Date { lock.lock(); defer { lock.unlock() }; return date }
        func advance(_ seconds: TimeInterval) { lock.lock(); date += seconds; lock.unlock() }
    }

    @Test func reusesUntilShortlyBeforeExpiry() async throws {
        let counter = Counter()
        let clock = Clock()
        let cache = KubernetesTokenCache(
            fetch: { EKSToken(token: "t\(counter.next())", expiration: clock.now.addingTimeInterval(14 * 60)) }, now: { clock.now })
        #expect(try await cache.token() == "t1")
        clock.advance(12 * 60)
        #expect(try await cache.token() == "t1")
        clock.advance(90)
        #expect(try await cache.token() == "t2")
        await cache.invalidate()
        #expect(try await cache.token() == "t3")
        #expect(counter.count == 3)
    }
}
