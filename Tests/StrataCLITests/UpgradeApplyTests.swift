import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

/// `strata upgrade` without --dry-run: the rollout runs through apply's path (the engine part's
/// runner), the files still say the old version, and the next plan changes nothing but names
/// the line to update.
@Suite(.serialized) struct UpgradeApplyTests {
    @Test(.timeLimit(.minutes(10))) func upgradeRollsTheClusterAndTheNextPlanNamesTheLineToUpdate() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.002) { sandbox in
            let (copy, env) = try await UpgradeDryRunTests.devAt130(sandbox)
            defer { copy.remove() }
            let file = URL(fileURLWithPath: copy.path).appendingPathComponent("stack.yaml")
            let cluster = copy.stack
            try await UpgradeDryRunTests.control(
                sandbox, cluster, "POST", "workloads",
                body: ["objects": [UpgradeDryRunTests.deployment("web", replicas: 3), UpgradeDryRunTests.budget("web", maxUnavailable: 1)]])
            try await UpgradeDryRunTests.waitForPods(sandbox, cluster, count: 3)

            // Without a terminal there is nobody to ask.
            let unasked = try await StrataBinary.run(["upgrade", copy.path, "--cluster", cluster, "--to", "1.31"], environment: env)
            #expect(unasked.status == 1 && unasked.stderr.contains("--auto-approve"), "\(unasked.stderr)")

            let upgrade = try await StrataBinary.run(
                ["upgrade", copy.path, "--cluster", cluster, "--to", "1.31", "--auto-approve"], environment: env)
            #expect(upgrade.status == 0, "\(upgrade.stdout)\n\(upgrade.stderr)")
            let aws = sandbox.client()
            let described = try await aws.rest(.eks, action: "DescribeCluster", method: "GET", path: "/clusters/\(cluster)")
            #expect(described["cluster"]?["version"] == .string("1.31"))
            let groups = try await aws.rest(.eks, action: "ListNodegroups", method: "GET", path: "/clusters/\(cluster)/node-groups")
            #expect(groups["nodegroups"] == .array(["general-1-31"]))
            let observations = try JSONValue.parse(
                try await CurlTransport().send(
                    HTTPRequest(
                        method: "GET",
                        url: sandbox.url.appendingPathComponent("_sandbox/kube/clusters/\(Sandbox.region)/\(cluster)/observations"))
                ).body)
            #expect(observations["pdb_violations"] == .array([]))
            let losses = (observations["lost_pods"]?.arrayValue ?? []).filter { $0["counts_as_loss"] == .bool(true) }
            #expect(losses.isEmpty, "\(losses)")

            // The files still say 1.30: no change (no downgrade, no replacement), and the line to update.
            let plan = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
            #expect(plan.status == 0, "\(plan.stdout)")
            let line =
                try #require(
                    try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n").firstIndex {
                        $0.contains(#"version: "1.30""#)
                    }) + 1
            #expect(plan.stdout.contains("No changes."))
            #expect(plan.stdout.contains("warning [version-behind-live]") && plan.stdout.contains("set the version to \"1.31\""))
            #expect(plan.stdout.contains("stack.yaml:\(line):"), "\(plan.stdout)")
        }
    }
}
