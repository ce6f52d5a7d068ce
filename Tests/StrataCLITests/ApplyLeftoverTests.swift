import AWSClient
import Foundation
import StrataTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An apply killed while its add-ons were CREATING, applied again: nothing is left to create,
/// yet that apply must not report success while an add-on of the stack is still CREATING
/// (nothing in the run depends on the add-ons, so waiting only for dependencies of the run's
/// steps would never wait for them).
@Suite(.serialized) struct ApplyLeftoverTests {
    @Test(.timeLimit(.minutes(10))) func reApplyWithNothingToCreateWaitsForALeftoverAddonCreating() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.01) { sandbox in
            let copy = try StackCopy(of: "dev")
            defer { copy.remove() }
            let env = copy.environment(sandbox.environment, ["STRATA_LOCK_LEASE_SECONDS": "2"])
            let client = sandbox.client()
            let graph = try await StrataBinary.run(["graph", copy.path, "--format", "json"], environment: env)
            let resources =
                (try JSONSerialization.jsonObject(with: Data(graph.stdout.utf8)) as? [String: Any])?["resources"]
                as? [[String: Any]] ?? []
            let addons = resources.filter { $0["type"] as? String == "aws_eks_addon" }.count
            try #require(addons >= 2, "dev should have add-ons: \(graph.stderr)")

            // The sandbox stops its clock as it answers the last CreateAddon, so that add-on
            // (and any sent within its 0.6 s at this scale) stays CREATING; the apply is killed
            // once every add-on was answered and everything else exists.
            try await sandbox.clearRequests()
            try await sandbox.freezeClock(afterAnswering: "CreateAddon", of: "eks", count: addons)
            let events = copy.root.appendingPathComponent("killed.jsonl")
            let process = try ApplyCrashTests.start(
                ["apply", copy.path, "--auto-approve", "--events", events.path], env, output: nil)
            let deadline = Date().addingTimeInterval(120)
            var sent = 0
            while process.isRunning, Date() < deadline {
                sent = try await sandbox.requests().filter { $0.action == "CreateAddon" && $0.status == 200 }.count
                let created = ApplyCrashTests.parse((try? String(contentsOf: events, encoding: .utf8)) ?? "")
                    .filter { $0.kind == "resource.created" && $0.type != "aws_eks_addon" }.count
                if sent == addons && created == resources.count - addons { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            try #require(process.isRunning, "the apply ended before its add-ons were stopped mid-create")
            kill(process.pid, SIGKILL)
            _ = try await StrataBinary.offPool { try process.waitForExit(timeout: .seconds(30)) }
            try #require(sent == addons, "only \(sent) of \(addons) add-ons were sent before the deadline")
            let creating = try await Self.addonStatuses(client, cluster: copy.stack).filter { $0.value == "CREATING" }
                .keys.sorted()
            try #require(!creating.isEmpty, "no add-on was left CREATING")

            // Nothing to create or change: the CREATING add-ons are the stack's, unchanged.
            let planned = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
            #expect(
                planned.status == 0, "the plan after the kill should have no changes:\n\(planned.stdout.suffix(3000))")

            let againEvents = copy.root.appendingPathComponent("again.jsonl")
            let again = try await ApplyCrashTests.runThawing(
                ["apply", copy.path, "--auto-approve", "--events", againEvents.path, "--lock-timeout", "15"], env,
                sandbox,
                events: againEvents, output: copy.root.appendingPathComponent("again.out"), planned: "apply.started")
            #expect(again.status == 0, "apply again failed:\n\(again.output.suffix(3000))")
            // When it says it is done, every add-on is ACTIVE: read at once, no waiting.
            let statuses = try await Self.addonStatuses(client, cluster: copy.stack)
            #expect(
                statuses.count == addons && statuses.values.allSatisfy { $0 == "ACTIVE" }, "after apply: \(statuses)")
            let settled = ApplyCrashTests.parse((try? String(contentsOf: againEvents, encoding: .utf8)) ?? "")
                .filter { $0.kind == "resource.updated" && $0.type == "aws_eks_addon" }.count
            #expect(
                settled == creating.count,
                "settled \(settled) add-ons, \(creating.count) were CREATING: \(again.output.suffix(2000))")

            try await ApplyCrashTests.destroy(copy, env, client, "after the leftover test")
        }
    }

    static func addonStatuses(_ client: AWSClient, cluster: String) async throws -> [String: String] {
        let base = "/clusters/\(cluster)/addons"
        var out: [String: String] = [:]
        for name in try await client.rest(.eks, action: "ListAddons", method: "GET", path: base)["addons"]?.arrayValue?
            .compactMap(\.stringValue) ?? []
        {
            let addon = try await client.rest(.eks, action: "DescribeAddon", method: "GET", path: base + "/" + name)
            out[name] = addon["addon"]?["status"]?.stringValue ?? "?"
        }
        return out
    }
}
