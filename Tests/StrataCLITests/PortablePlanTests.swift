import Foundation
import StrataTestSupport
import Testing

/// A saved plan is a program of its own: planned in one directory, copied alone to another with
/// no stack file anywhere it could read, and applied and shown there, as a pipeline plans in
/// one job and applies the artifact in another. Each command's `run.profile` event says how
/// often it compiled: once per plan, once per apply of a stack, never for a plan file. A destroy
/// plan (`plan --destroy --out`) applies alone the same way.
@Suite struct PortablePlanTests {
    @Test func aPlanFileAppliesAloneWithNoStackFilesAndEachCommandCompilesAtMostOnce() async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(of: "demo")
        let moved = copy.root.deletingLastPathComponent().appendingPathComponent(copy.root.lastPathComponent + "-moved")
        let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("strata-portable-\(UUID().uuidString)")
        defer {
            copy.remove()
            try? FileManager.default.removeItem(at: moved)
            try? FileManager.default.removeItem(at: elsewhere)
        }
        let env = copy.environment(sandbox)
        let saved = copy.root.appendingPathComponent("plan.bin")
        let planEvents = copy.root.appendingPathComponent("plan.jsonl")
        let plan = try await StrataBinary.run(
            ["plan", copy.path, "--out", saved.path, "--events", planEvents.path], environment: env)
        try #require(plan.status == 0, "plan failed:\n\(plan.stdout)\n\(plan.stderr)")
        #expect(try Self.profile(planEvents)["compiles"] == "1", "plan compiled other than once")

        // The plan file alone in a fresh directory; the stack and its modules moved away.
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: saved, to: elsewhere.appendingPathComponent("plan.bin"))
        try FileManager.default.moveItem(at: copy.root, to: moved)
        #expect(!FileManager.default.fileExists(atPath: copy.path))

        let show = try await StrataBinary.run(["show", "plan.bin"], environment: env, in: elsewhere)
        #expect(show.status == 0, "show failed:\n\(show.stderr)")
        #expect(show.stdout.contains("module.network.aws_vpc.vpc will be created"), "\(show.stdout)")
        #expect(show.stdout.contains(plan.stdout.components(separatedBy: "\n").first { $0.hasPrefix("Plan:") } ?? "no summary"))
        let showJSON = try await StrataBinary.run(["show", "--json", "plan.bin"], environment: env, in: elsewhere)
        #expect(showJSON.status == 0, "show --json failed:\n\(showJSON.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(showJSON.stdout.utf8)) as? [String: Any]
        #expect(document?["format_version"] as? String == "1.2")
        #expect((document?["resource_changes"] as? [Any])?.count == 13)

        let applyEvents = elsewhere.appendingPathComponent("apply.jsonl")
        let apply = try await StrataBinary.run(
            ["apply", "plan.bin", "--auto-approve", "--events", applyEvents.path], environment: env, in: elsewhere)
        #expect(apply.status == 0, "applying the plan file alone failed:\n\(apply.stdout)\n\(apply.stderr)")
        #expect(apply.stdout.contains("Apply complete: 13 created"), "\(apply.stdout)")
        #expect(try Self.profile(applyEvents)["compiles"] == "0", "apply of a plan file compiled")
        let census = try await StackCensus.take(sandbox.client(), stack: copy.stack)
        #expect(census.vpcs == 1 && census.subnets == 4 && census.roles == 1 && census.policies == 1, "\(census)")
        #expect(census.untaggedInVPC.isEmpty, "untagged resources in the stack's VPC: \(census.untaggedInVPC)")

        // Back where the stack is: nothing left to change, and an apply of the stack compiles once.
        try FileManager.default.moveItem(at: moved, to: copy.root)
        let again = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
        #expect(again.status == 0, "the plan after applying the plan file has changes:\n\(again.stdout)\n\(again.stderr)")
        let stackEvents = copy.root.appendingPathComponent("apply-stack.jsonl")
        let applyStack = try await StrataBinary.run(
            ["apply", copy.path, "--auto-approve", "--events", stackEvents.path], environment: env)
        #expect(applyStack.status == 0, "\(applyStack.stdout)\n\(applyStack.stderr)")
        #expect(try Self.profile(stackEvents)["compiles"] == "1", "apply of a stack compiled other than once")

        // A destroy plan (Terraform's plan -destroy) is a plan file too: saved, then applied alone.
        let destroyPlan = elsewhere.appendingPathComponent("destroy.bin")
        let planDestroy = try await StrataBinary.run(["plan", copy.path, "--destroy", "--out", destroyPlan.path], environment: env)
        #expect(planDestroy.status == 0, "plan --destroy failed:\n\(planDestroy.stdout)\n\(planDestroy.stderr)")
        #expect(planDestroy.stdout.contains("module.network.aws_vpc.vpc will be destroyed"), "\(planDestroy.stdout)")
        #expect(planDestroy.stdout.contains("0 to add, 0 to change, 13 to destroy"), "\(planDestroy.stdout)")
        try FileManager.default.moveItem(at: copy.root, to: moved)
        let destroy = try await StrataBinary.run(["apply", "destroy.bin", "--auto-approve"], environment: env, in: elsewhere)
        #expect(destroy.status == 0, "applying the destroy plan failed:\n\(destroy.stdout)\n\(destroy.stderr)")
        #expect(destroy.stdout.contains("Destroy complete"), "\(destroy.stdout)")
        let after = try await StackCensus.take(sandbox.client(), stack: copy.stack)
        #expect(after.isEmpty, "left after applying the destroy plan: \(after)")
    }

    /// A plan file's apply SIGKILLed while AWS is creating its subnets (the VPC made): the same
    /// plan file is then refused, naming what changed since it was planned, rather than applied
    /// over a state it never saw; the stack applied again converges, everything tagged, and the
    /// next plan says no changes.
    @Test func aPlanFileApplyKilledMidwayIsRefusedAfterwardsAndTheStackConverges() async throws {
        try await Sandbox.shared().exclusive { sandbox in
            let copy = try StackCopy(of: "demo")
            defer { copy.remove() }
            let env = ApplyCrashTests.environment(copy, sandbox)
            let saved = copy.root.appendingPathComponent("plan.bin")
            let plan = try await StrataBinary.run(["plan", copy.path, "--out", saved.path], environment: env)
            try #require(plan.status == 0, "plan failed:\n\(plan.stdout)\n\(plan.stderr)")

            try await sandbox.setFaults(SandboxFaults(service: "ec2", action: "CreateSubnet", latencyMs: 1500))
            let run = try InterruptTests.start(["apply", saved.path, "--auto-approve", "--lock-timeout", "15"], copy, env)
            try await InterruptTests.waitForSubnetCreatesInFlight(sandbox, run)
            kill(run.process.pid, SIGKILL)
            _ = try await StrataBinary.offPool { try run.process.waitForExit(timeout: .seconds(30)) }
            try await sandbox.clearFaults()

            let again = try await StrataBinary.run(["apply", saved.path, "--auto-approve", "--lock-timeout", "15"], environment: env)
            #expect(again.status == 1, "the stale plan file was applied:\n\(again.stdout)\n\(again.stderr)")
            #expect(again.stderr.contains("the live state changed since the plan was made"), "\(again.stderr)")
            #expect(again.stderr.contains("aws_vpc"), "the refusal does not name the VPC created since:\n\(again.stderr)")

            let converge = try await StrataBinary.run(["apply", copy.path, "--auto-approve", "--lock-timeout", "15"], environment: env)
            #expect(converge.status == 0, "\(converge.stdout)\n\(converge.stderr)")
            let census = try await StackCensus.take(sandbox.client(), stack: copy.stack)
            #expect(census.vpcs == 1 && census.subnets == 4, "\(census)")
            #expect(census.untaggedInVPC.isEmpty, "untagged resources in the stack's VPC: \(census.untaggedInVPC)")
            let next = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
            #expect(next.status == 0, "the plan after converging has changes:\n\(next.stdout)\n\(next.stderr)")
            try await ApplyCrashTests.destroy(copy, env, sandbox.client(), "plan file killed")
        }
    }

    /// The payload of the one `run.profile` event in an events file.
    static func profile(_ events: URL) throws -> [String: String] {
        let lines = try String(contentsOf: events, encoding: .utf8).split(separator: "\n")
        let profiles = try lines.compactMap { line -> [String: String]? in
            let event = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return event?["kind"] as? String == "run.profile" ? event?["payload"] as? [String: String] : nil
        }
        try #require(profiles.count == 1, "expected one run.profile event in \(events.lastPathComponent), found \(profiles.count)")
        return profiles[0]
    }
}
