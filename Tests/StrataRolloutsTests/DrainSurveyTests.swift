import StrataKubernetes
import StrataModel
import StrataTestSupport
import Testing

@testable import StrataRollouts

/// The survey a preflight and `--dry-run` read: what each drain evicts and what will stop it,
/// read live and changing nothing.
@Suite("Drain survey")
struct DrainSurveyTests {
    @Test("finds the pods per node, budgets that never allow, overlapping budgets, unmovable pods and single Ready replicas, read-only")
    func survey() async throws {
        let fixture = try await DrainFixture.make(
            workloads: [
                DrainFixture.deployment("web", replicas: 3), DrainFixture.budget("web", app: "web", maxUnavailable: 1),
                DrainFixture.replicaSet("db", replicas: 2), DrainFixture.budget("db", app: "db", minAvailable: 2),
                DrainFixture.deployment("queue", replicas: 2), DrainFixture.budget("queue", app: "queue", maxUnavailable: "0%"),
                DrainFixture.deployment("api", replicas: 2), DrainFixture.budget("api-a", app: "api", maxUnavailable: 1),
                DrainFixture.budget("api-b", app: "api", minAvailable: 1),
                DrainFixture.deployment("solo", replicas: 1), DrainFixture.deployment("cache", replicas: 2, emptyDir: true),
                DrainFixture.barePod("debug"), DrainFixture.daemonSet("node-agent"),
                // mix: two Ready pods and one that never schedules, under minAvailable 2 of 3:
                // no eviction now, one once the third is Ready.
                DrainFixture.deployment("mix-a", replicas: 2, app: "mix"),
                DrainFixture.deployment("mix-b", replicas: 1, app: "mix", nodeSelector: ["pool": "nowhere"]),
                DrainFixture.budget("mix", app: "mix", minAvailable: 2),
            ],
            mirrorPods: ["kube-proxy"], readyPods: 3 + 2 + 2 + 2 + 1 + 2 + 1 + 2 + 2 + 2)
        let blue = try await fixture.nodes(of: fixture.blue)
        let before = try await fixture.eks.sandbox.kubernetesRequests(cluster: fixture.eks.name).count

        let survey = try await DrainSurveyor(kube: fixture.kube).survey(nodes: blue)

        #expect(survey.nodes.map(\.name) == blue)
        #expect(survey.evictionCount == 3 + 2 + 2 + 2 + 1 + 2)
        #expect(survey.nodes.allSatisfy { $0.leavesBehind.count == 2 })
        #expect(survey.nodes.flatMap(\.leavesBehind).allSatisfy { $0.namespace == "kube-system" })
        #expect(survey.neverAllowing.map(\.budget.name) == ["db", "queue"])
        #expect(survey.neverAllowing.first?.reason == "minAvailable 2 needs all 2 pods it selects")
        #expect(survey.neverAllowing.last?.reason == "maxUnavailable is 0%")
        #expect(survey.neverAllowing.first?.pods.count == 2)
        #expect(survey.overlappingBudgets.count == 2 && survey.overlappingBudgets.allSatisfy { $0.budgets == ["api-a", "api-b"] })
        #expect(survey.unmovable.filter { $0.reasons == [.noController] }.map(\.pod.name) == ["debug"])
        #expect(survey.unmovable.filter { $0.reasons == [.emptyDirData(["scratch"])] }.count == 2)
        #expect(survey.singleReadyReplicas.map { "\($0.kind) \($0.name)" } == ["Deployment solo"])
        #expect(survey.blockingNow.map(\.budget.name) == ["mix"], "web allows one disruption: \(survey.blockingNow)")
        #expect(survey.blockingNow.first?.reason == "2 healthy of 2 desired")
        #expect(survey.blockingNow.first?.pods.count == 2)

        let problems = survey.problems
        #expect(problems.filter(\.stopsDrain).count == 2 + 2 + 3)
        let never = try #require(problems.first)
        #expect(never.code == "pdb-never-allows")
        #expect(never.message.contains("shop/db (minAvailable 2): 2 healthy, 2 desired, 0 disruptions allowed"), "\(never.message)")
        #expect(never.fix.contains("maxUnavailable: 1") && never.fix.contains("--force-drain"))
        #expect(problems.contains { $0.code == "single-ready-replica" && $0.message.contains("shop/solo") })

        // Read-only: the API server saw nothing but reads.
        let requests = try await fixture.eks.sandbox.kubernetesRequests(cluster: fixture.eks.name).dropFirst(before)
        #expect(!requests.isEmpty && requests.allSatisfy { $0.method == "GET" }, "\(requests.map(\.method))")
        try await fixture.tearDown()
    }
}

/// The rules that say a budget can never allow an eviction, on budgets as the API serves them.
@Suite("Budgets that never allow an eviction")
struct DrainBudgetRuleTests {
    func budget(_ spec: JSONValue, status: JSONValue = [:]) -> PodDisruptionBudget {
        PodDisruptionBudget(object: ["metadata": ["name": "b", "namespace": "shop"], "spec": spec, "status": status])
    }

    @Test("minAvailable at or above the replicas, maxUnavailable 0 or 0%, and an uncomputable budget never allow; the rest can")
    func rules() {
        #expect(DrainSurveyor.neverAllows(budget(["minAvailable": 3]), scale: 3) == "minAvailable 3 needs all 3 pods it selects")
        #expect(DrainSurveyor.neverAllows(budget(["minAvailable": 4]), scale: 3) != nil)
        #expect(DrainSurveyor.neverAllows(budget(["minAvailable": "100%"]), scale: 5) != nil)
        #expect(DrainSurveyor.neverAllows(budget(["minAvailable": "90%"]), scale: 5) != nil, "90% of 5 rounds up to 5")
        #expect(DrainSurveyor.neverAllows(budget(["minAvailable": "80%"]), scale: 5) == nil)
        #expect(DrainSurveyor.neverAllows(budget(["minAvailable": 2]), scale: 3) == nil)
        #expect(DrainSurveyor.neverAllows(budget(["maxUnavailable": 0]), scale: 3) == "maxUnavailable is 0")
        #expect(DrainSurveyor.neverAllows(budget(["maxUnavailable": "0%"]), scale: 3) == "maxUnavailable is 0%")
        #expect(DrainSurveyor.neverAllows(budget(["maxUnavailable": "10%"]), scale: 3) == nil, "10% of 3 rounds up to 1")
        #expect(DrainSurveyor.neverAllows(budget(["maxUnavailable": 1]), scale: 1) == nil)
        let failing = budget(
            ["maxUnavailable": "50%"],
            status: [
                "conditions": [
                    ["type": "DisruptionAllowed", "status": "False", "reason": "SyncFailed", "message": "found no controller ref"]
                ]
            ])
        #expect(DrainSurveyor.neverAllows(failing, scale: 2)?.contains("found no controller ref") == true)
    }

    @Test("selectors: matchLabels and matchExpressions must all hold; an empty selector takes every pod of the namespace, none takes none")
    func selectors() {
        func pod(_ labels: [String: String], namespace: String = "shop") -> KubernetesPod {
            KubernetesPod(object: [
                "metadata": ["name": "p", "namespace": .string(namespace), "labels": .object(labels.mapValues { .string($0) })]
            ])
        }
        let expressions = budget([
            "selector": [
                "matchLabels": ["app": "web"],
                "matchExpressions": [
                    ["key": "tier", "operator": "In", "values": ["front", "edge"]], ["key": "canary", "operator": "DoesNotExist"],
                ],
            ]
        ])
        #expect(expressions.selects(pod(["app": "web", "tier": "edge"])))
        #expect(!expressions.selects(pod(["app": "web", "tier": "back"])))
        #expect(!expressions.selects(pod(["app": "web", "tier": "edge", "canary": "yes"])))
        #expect(!expressions.selects(pod(["app": "web", "tier": "edge"], namespace: "other")))
        #expect(budget(["selector": [:]]).selects(pod([:])))
        #expect(!budget([:]).selects(pod(["app": "web"])))
    }
}
