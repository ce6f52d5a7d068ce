import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

/// Issue #13's "done when" on the production stack, the way a user does it: the files' version
/// moved three minors (1.29 -> 1.32), `strata plan --out` shows the hops, and `strata apply` of
/// that saved plan (from another directory, the plan file alone) rolls them while a seeded
/// workload runs (Deployments under budgets, a StatefulSet, a DaemonSet, mirror pods, all on the
/// tainted system pool). What the cluster observed is what the user cares about: no budget
/// broken, no pod lost, no second below a budget, nothing left cordoned, one group for the pool,
/// and a plan that says "No changes".
@Suite(.serialized) struct ClusterUpgradeTests {
    static let tolerateSystem: JSONValue = [["key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"]]

    static func workload(_ kind: String, _ name: String, replicas: Int) -> JSONValue {
        [
            "apiVersion": "apps/v1", "kind": .string(kind), "metadata": ["name": .string(name), "namespace": "shop"],
            "spec": [
                "replicas": .int(replicas), "serviceName": .string(name), "selector": ["matchLabels": ["app": .string(name)]],
                "template": [
                    "metadata": ["labels": ["app": .string(name)]],
                    "spec": ["tolerations": tolerateSystem, "containers": [["name": "c", "image": .string("shop/\(name):1")]]],
                ],
            ],
        ]
    }

    static func budget(_ name: String, _ rule: [String: JSONValue]) -> JSONValue {
        [
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ["name": .string(name), "namespace": "shop"],
            "spec": .object(rule.merging(["selector": ["matchLabels": ["app": .string(name)]]]) { first, _ in first }),
        ]
    }

    static let seeded: JSONValue = [
        "objects": [
            ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "shop"]],
            workload("Deployment", "web", replicas: 6), budget("web", ["minAvailable": 4]),
            workload("Deployment", "api", replicas: 3), budget("api", ["maxUnavailable": 1]),
            workload("StatefulSet", "db", replicas: 3), budget("db", ["maxUnavailable": 1]),
            [
                "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": ["name": "node-agent", "namespace": "shop"],
                "spec": [
                    "selector": ["matchLabels": ["app": "node-agent"]],
                    "template": [
                        "metadata": ["labels": ["app": "node-agent"]],
                        "spec": ["tolerations": tolerateSystem, "containers": [["name": "agent", "image": "shop/agent:1"]]],
                    ],
                ],
            ],
        ],
        "static_pods": [
            [
                "nodegroup": "system",
                "pod": [
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": ["name": "proxy", "namespace": "kube-system", "annotations": ["kubernetes.io/config.mirror": "seeded"]],
                    "spec": ["containers": [["name": "proxy", "image": "proxy:1"]]],
                ],
            ]
        ],
    ]

    @Test(.timeLimit(.minutes(10))) func prodRollsThreeMinorsUnderLoadWithoutBreakingABudget() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.002) { sandbox in
            let copy = try StackCopy(of: "prod")
            defer { copy.remove() }
            let file = URL(fileURLWithPath: copy.path).appendingPathComponent("stack.yaml")
            let original = try String(contentsOf: file, encoding: .utf8)
            try #require(original.contains(#"version: "1.31""#))
            try copy.write(original.replacingOccurrences(of: #"version: "1.31""#, with: #"version: "1.29""#))
            let env = copy.environment(sandbox, ["STRATA_DELETE_DEADLINE_SECONDS": "60"])
            let created = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
            try #require(created.status == 0, "apply of prod at 1.29 failed:\n\(created.stdout.suffix(3000))\n\(created.stderr)")

            let cluster = copy.stack
            let kube = "/_sandbox/kube/clusters/\(Sandbox.region)/\(cluster)"
            try await sandbox.control("POST", kube + "/workloads", body: Self.seeded.encoded())
            // 6 web + 3 api + 3 db + a node agent and a mirror pod on each of the pool's 2 nodes.
            let settled = try await SandboxEKSCluster.poll("the seeded workload Ready", limit: .seconds(60)) { () async throws -> Bool? in
                let pods = try JSONValue.parse(try await sandbox.control("GET", kube))["pods"]?.arrayValue ?? []
                let ready = pods.filter { $0["ready"] == .bool(true) && ($0["namespace"] == "shop" || $0["owner_kind"] == "Mirror") }
                return ready.count >= 16 ? true : nil
            }
            #expect(settled)
            try await sandbox.control("DELETE", kube + "/observations")

            try copy.write(original.replacingOccurrences(of: #"version: "1.31""#, with: #"version: "1.32""#))
            // Planned in one job, applied from the saved plan alone in another directory.
            let saved = copy.root.appendingPathComponent("rollout.plan")
            let plan = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode", "--out", saved.path], environment: env)
            #expect(plan.status == 2, "\(plan.stdout.suffix(3000))\n\(plan.stderr)")
            for hop in ["1.30", "1.31", "1.32"] {
                #expect(
                    plan.stdout.contains("control plane") && plan.stdout.contains(hop), "hop \(hop) missing:\n\(plan.stdout.suffix(3000))")
            }

            let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("strata-rollout-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: elsewhere) }
            try FileManager.default.copyItem(at: saved, to: elsewhere.appendingPathComponent("rollout.plan"))
            let events = elsewhere.appendingPathComponent("events.jsonl")
            let apply = try await StrataBinary.run(
                ["apply", "rollout.plan", "--auto-approve", "--events", events.path], environment: env, in: elsewhere)
            #expect(apply.status == 0, "the rollout failed:\n\(apply.stdout.suffix(4000))\n\(apply.stderr)")

            let aws = sandbox.client()
            let described = try await aws.rest(.eks, action: "DescribeCluster", method: "GET", path: "/clusters/\(cluster)")
            #expect(described["cluster"]?["version"] == .string("1.32"))
            let groups = try await aws.rest(.eks, action: "ListNodegroups", method: "GET", path: "/clusters/\(cluster)/node-groups")
            #expect(groups["nodegroups"] == .array(["system-1-32"]), "\(groups)")

            let seen = try JSONValue.parse(try await sandbox.control("GET", kube + "/observations"))
            #expect(seen["pdb_violations"]?.arrayValue?.isEmpty == true, "\(seen["pdb_violations"] ?? .null)")
            let lost = (seen["lost_pods"]?.arrayValue ?? []).filter { $0["counts_as_loss"] == .bool(true) }
            #expect(lost.isEmpty, "\(lost)")
            for total in ["below_budget_seconds", "zero_ready_seconds"] {
                let seconds = seen["availability"]?[total]
                #expect(seconds == .int(0) || seconds == .double(0), "\(total): \(seen["availability"] ?? .null)")
            }
            // Every one of the 12 pods moved through the Eviction API once a hop, from a blue node.
            let evicted = Set(
                (seen["evictions"]?.arrayValue ?? []).compactMap { eviction in
                    eviction["pod"]?.stringValue.map { "\($0)@\(eviction["node"]?.stringValue ?? "")" }
                })
            #expect(evicted.count == 3 * 12, "\(evicted.sorted())")
            guard case .object(let nodegroups)? = try JSONValue.parse(try await sandbox.control("GET", kube))["nodegroups"] else {
                Issue.record("the cluster view has no node groups")
                return
            }
            #expect(Set(nodegroups.keys) == ["system-1-32"], "\(nodegroups.keys)")

            let kinds = try String(contentsOf: events, encoding: .utf8).split(separator: "\n").compactMap {
                try? JSONValue.parse(Data($0.utf8))["kind"]?.stringValue
            }
            // EKS forces one rotation per hop for a managed group; never more.
            #expect(kinds.filter { $0 == "cluster.upgraded" }.count == 3)
            #expect(kinds.filter { $0 == "nodegroup.created" }.count == 3)
            #expect(kinds.filter { $0 == "nodegroup.deleted" }.count == 3)
            #expect(kinds.last(where: { $0.hasPrefix("rollout.") }) == "rollout.finished")

            let again = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
            #expect(again.status == 0, "the plan after the rollout has changes:\n\(again.stdout.suffix(3000))")
            let destroy = try await StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: env)
            #expect(destroy.status == 0, "\(destroy.stdout.suffix(2000))\n\(destroy.stderr)")
        }
    }
}
