import Foundation
import StrataModel
import StrataRollouts
import StrataTestSupport
import Testing

/// The Kubernetes half of a rollout's preflight on a sandbox cluster with seeded workloads: what
/// each drain will meet, as findings before anything changes.
@Suite(.serialized) struct PreflightTests {
    @Test(.timeLimit(.minutes(10))) func budgetsThatNeverAllowAndUnmovablePodsBlockUnlessForcedAndAPrivateAPIIsAWarning() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.002) { sandbox in
            let fixture = try await RolloutFixture.make(in: sandbox, nodes: 2)
            // web (seeded: 4 replicas, maxUnavailable 1) moves; db's budget never allows; debug has no controller.
            let labels: JSONValue = ["app": "db"]
            try await fixture.control(
                "POST", "workloads",
                body: [
                    "objects": [
                        [
                            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "db", "namespace": "shop"],
                            "spec": [
                                "replicas": 2, "selector": ["matchLabels": labels],
                                "template": ["metadata": ["labels": labels], "spec": ["containers": [["name": "db", "image": "pg"]]]],
                            ],
                        ],
                        [
                            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ["name": "db", "namespace": "shop"],
                            "spec": ["maxUnavailable": 0, "selector": ["matchLabels": labels]],
                        ],
                        [
                            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "debug", "namespace": "shop"],
                            "spec": ["containers": [["name": "sh", "image": "busybox"]]],
                        ],
                    ]
                ])
            let kube = fixture.kube
            _ = try await RolloutFixture.poll("db and debug Ready") {
                try await kube.pods(namespace: "shop").filter { $0.ready }.count == 7 ? true : nil
            }
            let rollout = fixture.plan()

            let (checked, pools) = await RolloutPreflight(context: fixture.context).check(rollout)
            let codes = checked.findings.map { "\($0.severity.rawValue) \($0.code)" }
            #expect(codes.contains("blocking pdb-never-allows") && codes.contains("blocking pod-unmovable"), "\(codes)")
            #expect(checked.isBlocked)
            let never = try #require(checked.findings.first { $0.code == "pdb-never-allows" })
            #expect(never.message.contains("shop/db") && never.target == RolloutFixture.pool && never.fix.contains("--force-drain"))
            let survey = try #require(pools.first?.survey)
            #expect(pools.first?.group == "system" && survey.nodes.count == 2)
            // web's 4 and db's 2; debug is not evicted but reported as unmovable.
            #expect(survey.evictionCount == 6, "\(survey.nodes)")
            #expect(survey.unmovable.map(\.pod.name) == ["debug"])
            #expect(survey.neverAllowing.map(\.budget.name) == ["db"])

            let forced = await RolloutPreflight(context: fixture.context, forceDrain: true).check(rollout).rollout
            #expect(!forced.isBlocked && forced.findings.contains { $0.code == "pdb-never-allows" && $0.severity == .warning })

            // The API server refuses us (as a private endpoint cannot be reached): a warning, the plan goes on.
            try await fixture.control("POST", "access", body: ["refuse": 403])
            let unreachable = await RolloutPreflight(context: fixture.context).check(rollout)
            #expect(unreachable.pools.isEmpty && !unreachable.rollout.isBlocked)
            #expect(unreachable.rollout.findings.map(\.code) == ["kubernetes-unreachable"])
            #expect(unreachable.rollout.findings.first?.severity == .warning)
            try await fixture.control("POST", "access", body: ["refuse": .null])
        }
    }
}
