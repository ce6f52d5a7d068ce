import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C while a rollout's green group comes up: the user stopped it, so strata rolls the pool
/// back within the interruption's grace — blue uncordoned (it was never cordoned), green deleted,
/// `rollout.rolledBack` — and exits 130. The next apply, with green able to come up, finishes.
@Suite(.serialized) struct RolloutInterruptTests {
    @Test(.timeLimit(.minutes(10))) func ctrlCWhileGreenComesUpRollsThePoolBack() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.002) { sandbox in
            let (copy, env) = try await UpgradeDryRunTests.devAt130(sandbox)
            defer { copy.remove() }
            let cluster = copy.stack
            try await UpgradeDryRunTests.control(
                sandbox, cluster, "POST", "workloads",
                body: ["objects": [UpgradeDryRunTests.deployment("web", replicas: 3), UpgradeDryRunTests.budget("web", maxUnavailable: 1)]])
            try await UpgradeDryRunTests.waitForPods(sandbox, cluster, count: 3)
            // Green's nodes never turn Ready: EKS keeps it CREATING until it gives up, which
            // leaves the Ctrl-C a window of its join timeout.
            try await UpgradeDryRunTests.control(
                sandbox, cluster, "POST", "faults", body: ["nodegroup_prefix": "general-", "never_ready": true])
            let file = URL(fileURLWithPath: copy.path).appendingPathComponent("stack.yaml")
            try copy.write(
                try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: #"version: "1.30""#, with: #"version: "1.31""#))

            let events = copy.root.appendingPathComponent("interrupted.jsonl")
            let output = events.appendingPathExtension("out")
            let run = try ApplyCrashTests.start(
                ["apply", copy.path, "--auto-approve", "--events", events.path], ApplyCrashTests.environment(copy, sandbox),
                output: output)
            let aws = sandbox.client()
            let creating = try await SandboxEKSCluster.poll("green general-1-31 CREATING", limit: .seconds(60)) {
                () async throws -> Bool? in
                let groups = try await aws.rest(.eks, action: "ListNodegroups", method: "GET", path: "/clusters/\(cluster)/node-groups")
                return groups["nodegroups"]?.arrayValue?.contains(.string("general-1-31")) == true ? true : nil
            }
            #expect(creating)
            kill(run.pid, SIGINT)
            let status = try await StrataBinary.offPool { try run.waitForExit(timeout: .seconds(90)) }
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            #expect(status == 130, "exit status \(status):\n\(text.suffix(3000))")
            #expect(text.contains("rolled back general"), "\(text.suffix(3000))")
            let kinds = ((try? String(contentsOf: events, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
                try? JSONValue.parse(Data($0.utf8))["kind"]?.stringValue
            }
            #expect(kinds.contains("rollout.rolledBack") && !kinds.contains("node.cordoned"), "\(kinds)")

            // Only blue is left, at 1.30, serving; no node of it cordoned.
            let groups = try await aws.rest(.eks, action: "ListNodegroups", method: "GET", path: "/clusters/\(cluster)/node-groups")
            #expect(groups["nodegroups"] == .array(["general"]), "\(groups)")
            let observations = try await RolloutApplyCrashTests.observations(sandbox, cluster)
            #expect(RolloutApplyCrashTests.cordonedNodes(observations, groups: ["general"]).isEmpty)
            #expect(observations["evictions"] == .array([]))
            let lost = (observations["lost_pods"]?.arrayValue ?? []).filter { $0["counts_as_loss"] == .bool(true) }
            #expect(lost.isEmpty, "\(lost)")

            try await UpgradeDryRunTests.control(sandbox, cluster, "POST", "faults", body: ["clear": true])
            let again = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
            #expect(again.status == 0, "\(again.stdout.suffix(3000))\n\(again.stderr)")
            let after = try await aws.rest(.eks, action: "ListNodegroups", method: "GET", path: "/clusters/\(cluster)/node-groups")
            #expect(after["nodegroups"] == .array(["general-1-31"]), "\(after)")
        }
    }
}
