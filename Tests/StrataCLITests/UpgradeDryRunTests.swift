import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

/// `strata upgrade --dry-run` on dev applied to the sandbox, with workloads seeded on its node
/// pool: the steps per hop, the pods each drain evicts, the budget that never allows, the pod no
/// drain may move, estimates, JSON, and not one mutating call to AWS or Kubernetes.
@Suite(.serialized) struct UpgradeDryRunTests {
    /// web: 3 replicas whose budget allows one disruption; db: 2 whose budget allows none; debug:
    /// a bare pod.
    static let workloads: JSONValue = [
        "objects": [
            deployment("web", replicas: 3), budget("web", maxUnavailable: 1), deployment("db", replicas: 2),
            budget("db", maxUnavailable: 0),
            [
                "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "debug", "namespace": "shop"],
                "spec": ["containers": [["name": "sh", "image": "busybox"]]],
            ],
        ]
    ]

    static func deployment(_ name: String, replicas: Int) -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": .string(name), "namespace": "shop"],
            "spec": [
                "replicas": .int(replicas), "selector": ["matchLabels": ["app": .string(name)]],
                "template": ["metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [["name": "c", "image": "nginx"]]]],
            ],
        ]
    }

    static func budget(_ name: String, maxUnavailable: Int) -> JSONValue {
        [
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ["name": .string(name), "namespace": "shop"],
            "spec": ["maxUnavailable": .int(maxUnavailable), "selector": ["matchLabels": ["app": .string(name)]]],
        ]
    }

    @Test(.timeLimit(.minutes(10))) func dryRunShowsHopsDrainsBudgetsAndEstimatesAndChangesNothing() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.002) { sandbox in
            let (copy, env) = try await Self.devAt130(sandbox)
            defer { copy.remove() }
            let cluster = copy.stack
            try await Self.control(sandbox, cluster, "POST", "workloads", body: Self.workloads)
            try await Self.waitForPods(sandbox, cluster, count: 6)
            try await sandbox.clearRequests()
            let kubeBefore = try await sandbox.kubernetesRequests(cluster: cluster).count

            let dry = try await StrataBinary.run(
                ["upgrade", copy.path, "--cluster", cluster, "--to", "1.32", "--dry-run"], environment: env)
            // A budget that never allows and a bare pod block the rollout: exit 1, nothing done.
            #expect(dry.status == 1, "\(dry.stderr)")
            let text = dry.stdout
            for expected in [
                "nothing is changed", "Rollout of cluster \(cluster) 1.30 -> 1.32", "at 1.31:", "at 1.32:",
                "1. control plane 1.30 -> 1.31  ~20m", "create general-1-31, drain general (2 nodes)",
                "create general-1-32, drain general-1-31", "node pool general: 2 nodes, 5 pods to evict",
                "never allows: PodDisruptionBudget shop/db", "cannot move: pod shop/debug", "blocking [pdb-never-allows]",
                "Estimated duration: about 1h",
            ] {
                #expect(text.contains(expected), "missing \(expected) in:\n\(text)")
            }
            #expect(text.split(separator: "\n").filter { $0.contains(" evicts shop/") }.count == 2 && text.contains("shop/web-"))

            // --force-drain turns the drain's refusals into warnings; --json for pipelines.
            let json = try await StrataBinary.run(
                ["upgrade", copy.path, "--cluster", cluster, "--to", "1.32", "--dry-run", "--json", "--force-drain"], environment: env)
            #expect(json.status == 0, "\(json.stderr)")
            let document = try JSONValue.parse(Data(json.stdout.utf8))
            let rollout = try #require(document["rollout"])
            #expect(rollout["hops"] == .array(["1.31", "1.32"]))
            #expect(document["blocked"] == .bool(false))
            let steps = try #require(rollout["steps"]?.arrayValue)
            #expect(steps.compactMap { $0["green_name"]?.stringValue } == ["general-1-31", "general-1-32"])
            let total = steps.compactMap { $0["estimate_seconds"]?.intValue }.reduce(0, +)
            // Add-ons follow EKS's default through each minor: the four of dev at both hops.
            let addons = steps.filter { $0["kind"] == .string("addon") }.compactMap { $0["name"]?.stringValue }
            #expect(addons.count == 8, "\(addons)")
            #expect(document["estimate_seconds"] == .int(total) && total == 2 * 1200 + addons.count * 60 + 2 * (180 + 2 * 60 + 150))
            let survey = try #require(document["drains"]?.arrayValue?.first?["survey"])
            #expect(survey["never_allowing"]?.arrayValue?.first?["budget"]?["name"] == .string("db"))
            #expect(survey["nodes"]?.arrayValue?.compactMap { $0["evicts"]?.arrayValue?.count }.reduce(0, +) == 5)
            #expect(rollout["findings"]?.arrayValue?.allSatisfy { $0["severity"] == .string("warning") } == true)

            // Not one write: AWS answered reads only, and the API server only GETs.
            let writes = try await sandbox.requests().filter { request in
                let action = request.action ?? ""
                return !["Describe", "List", "Get"].contains { action.hasPrefix($0) }
            }
            #expect(writes.isEmpty, "\(writes.map { "\($0.service ?? "")/\($0.action ?? "")" })")
            let kube = try await sandbox.kubernetesRequests(cluster: cluster).dropFirst(kubeBefore)
            #expect(!kube.isEmpty && kube.allSatisfy { $0.method == "GET" }, "\(kube.map { "\($0.method) \($0.path)" })")
            let plan = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
            #expect(plan.status == 0, "\(plan.stdout)")

            // A cluster the stack does not have, named by the flag.
            let wrong = try await StrataBinary.run(
                ["upgrade", copy.path, "--cluster", "nope", "--to", "1.32", "--dry-run"], environment: env)
            #expect(wrong.status == 1 && wrong.stderr.contains("--cluster nope") && wrong.stderr.contains(cluster), "\(wrong.stderr)")
        }
    }

    /// dev applied at 1.30 with its pool blue/green and two nodes.
    static func devAt130(_ sandbox: Sandbox) async throws -> (copy: StackCopy, environment: [String: String]) {
        let copy = try StackCopy(of: "dev")
        let file = URL(fileURLWithPath: copy.path).appendingPathComponent("stack.yaml")
        try copy.write(
            try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: #"version: "1.31""#, with: #"version: "1.30""#)
                .replacingOccurrences(of: "strategy: rolling", with: "strategy: blue-green")
                .replacingOccurrences(of: "          min: 1\n", with: "          min: 2\n"))
        let env = copy.environment(sandbox)
        let apply = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
        try #require(apply.status == 0, "\(apply.stderr)")
        return (copy, env)
    }

    static func control(_ sandbox: Sandbox, _ cluster: String, _ method: String, _ path: String, body: JSONValue) async throws {
        let response = try await CurlTransport().send(
            HTTPRequest(
                method: method, url: sandbox.url.appendingPathComponent("_sandbox/kube/clusters/\(Sandbox.region)/\(cluster)/\(path)"),
                headers: [(name: "Content-Type", value: "application/json")], body: body.encoded()))
        try #require((200..<300).contains(response.status), "\(String(decoding: response.body, as: UTF8.self))")
    }

    /// Until `count` pods run Ready on the cluster.
    static func waitForPods(_ sandbox: Sandbox, _ cluster: String, count: Int) async throws {
        let url = sandbox.url.appendingPathComponent("_sandbox/kube/clusters/\(Sandbox.region)/\(cluster)")
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while ContinuousClock.now < deadline {
            let view = try JSONValue.parse(try await CurlTransport().send(HTTPRequest(method: "GET", url: url)).body)
            if (view["pods"]?.arrayValue ?? []).filter({ $0["ready"] == .bool(true) }).count >= count { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("\(count) pods never turned Ready on \(cluster)")
    }
}
