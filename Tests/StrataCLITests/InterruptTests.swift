import AWSClient
import Foundation
import StrataTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `strata apply` interrupted by SIGTERM (a CI runner cancelling the job) or SIGINT (Ctrl-C)
/// while creates are in flight: the sandbox answers CreateSubnet slowly, so the signal lands
/// while AWS is creating. On a private sandbox: the fault would slow every other test.
@Suite(.serialized) struct InterruptTests {
    /// The first signal: nothing new starts, the creates in flight are seen through and reported
    /// created (they exist: the census says so), the rest is reported as not started, the lock is
    /// released, and the exit status is 143.
    @Test func sigtermSeesRunningCreatesThroughReportsWhatExistsAndReleasesTheLock() async throws {
        try await Sandbox.shared().exclusive { sandbox in
            let copy = try StackCopy(of: "demo")
            defer { copy.remove() }
            let env = copy.environment(sandbox)
            let client = sandbox.client()
            try await sandbox.setFaults(SandboxFaults(service: "ec2", action: "CreateSubnet", latencyMs: 1500))
            let run = try Self.startApply(copy, env)
            try await Self.waitForSubnetCreatesInFlight(sandbox, run)
            kill(run.process.pid, SIGTERM)
            let status = try await StrataBinary.offPool { try run.process.waitForExit(timeout: .seconds(60)) }
            try await sandbox.clearFaults()
            let output = (try? String(contentsOf: run.output, encoding: .utf8)) ?? ""
            #expect(status == 143, "exit status \(status):\n\(output)")
            #expect(output.contains("Interrupted (SIGTERM)") && output.contains("Apply interrupted:"), "\(output)")
            #expect(!output.contains("state unknown"), "creates finishing within the grace period were not waited for:\n\(output)")

            // What the report says exists is what exists.
            let events = run.events()
            let created = events.filter { $0.kind == "resource.created" }
            let census = try await StackCensus.take(client, stack: copy.stack)
            #expect(census.subnets == 4, "the four subnets in flight: \(census)")
            #expect(
                census.subnets == created.filter { $0.type == "aws_subnet" }.count,
                "subnets: \(census.subnets), reported created: \(created.map(\.address))")
            #expect(census.vpcs == created.filter { $0.type == "aws_vpc" }.count)
            #expect(census.roles == created.filter { $0.type == "aws_iam_role" }.count)
            #expect(output.contains("Apply interrupted: \(created.count) created"), "\(output)")
            #expect(output.contains("not started"), "\(output)")
            #expect(!output.contains("cancelled"), "\(output)")
            let runID = events.first?.correlationId ?? ""
            #expect(try await ApplyCrashTests.heldLease(client, stack: copy.stack, runID: runID) == nil, "the lock was not released")

            // The next run takes the lock at once (no --lock-timeout) and finishes the stack.
            let again = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
            #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
            #expect(try await StackCensus.take(client, stack: copy.stack).subnets == 4)
            let destroy = try await StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: env)
            #expect(destroy.status == 0, "\(destroy.stdout)\n\(destroy.stderr)")
        }
    }

    /// A second signal stops at once, without waiting for the creates in flight: they are
    /// reported as in an unknown state (AWS may create them; here it does, after the run), the
    /// lock is released, and the exit status is 130 (the first signal's).
    @Test func aSecondSignalStopsAtOnceReportingRunningCreatesAsUnknown() async throws {
        try await Sandbox.shared().exclusive { sandbox in
            let copy = try StackCopy(of: "demo")
            defer { copy.remove() }
            let env = copy.environment(sandbox)
            let client = sandbox.client()
            let latency = 4000
            try await sandbox.setFaults(SandboxFaults(service: "ec2", action: "CreateSubnet", latencyMs: latency))
            let run = try Self.startApply(copy, env)
            try await Self.waitForSubnetCreatesInFlight(sandbox, run)
            kill(run.process.pid, SIGINT)
            try await Self.waitFor("the first signal's message", run) { _ in
                ((try? String(contentsOf: run.output, encoding: .utf8)) ?? "").contains("Interrupted (SIGINT)")
            }
            let second = ContinuousClock.now
            kill(run.process.pid, SIGINT)
            let status = try await StrataBinary.offPool { try run.process.waitForExit(timeout: .seconds(60)) }
            let took = ContinuousClock.now - second
            let output = (try? String(contentsOf: run.output, encoding: .utf8)) ?? ""
            #expect(status == 130, "exit status \(status):\n\(output)")
            #expect(took < .milliseconds(latency / 2), "the second signal took \(took) to end the run")
            #expect(output.contains("state unknown: create module.network.aws_subnet."), "\(output)")
            #expect(!output.contains("cancelled"), "\(output)")
            let events = run.events()
            let unknown = events.filter { $0.kind == "resource.interrupted" && $0.type == "aws_subnet" }
            #expect(unknown.count == 4, "\(output)")
            #expect(try await ApplyCrashTests.heldLease(client, stack: copy.stack, runID: events.first?.correlationId ?? "") == nil)

            // AWS finishes what it was asked: the subnets cut off appear once the sandbox answers.
            try await Self.waitFor("the cut-off creates to land", run, deadline: .seconds(30)) { _ in
                let census = try? await StackCensus.take(client, stack: copy.stack)
                return (census?.subnets ?? 0) >= unknown.count
            }
            try await sandbox.clearFaults()
            let destroy = try await StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: env)
            #expect(destroy.status == 0, "\(destroy.stdout)\n\(destroy.stderr)")
            #expect(try await StackCensus.take(client, stack: copy.stack).isEmpty)
        }
    }
}

extension InterruptTests {
    /// Destroy is interrupted the same way: SIGTERM while the subnets' deletions are in flight
    /// lets them finish, starts nothing more (the VPC stays), releases the lock, exits 143.
    @Test func sigtermMidDestroySeesRunningDeletesThroughAndLeavesTheRest() async throws {
        try await Sandbox.shared().exclusive { sandbox in
            let copy = try StackCopy(of: "demo")
            defer { copy.remove() }
            let env = copy.environment(sandbox)
            let client = sandbox.client()
            let apply = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
            try #require(apply.status == 0, "\(apply.stdout)\n\(apply.stderr)")
            try await sandbox.setFaults(SandboxFaults(service: "ec2", action: "DeleteSubnet", latencyMs: 1500))
            let run = try Self.start(["destroy", copy.path, "--auto-approve"], copy, env)
            try await Self.waitFor("the four subnet deletions to reach the sandbox", run) { _ in
                ((try? await sandbox.faultMatches()) ?? []).first ?? 0 >= 4
            }
            kill(run.process.pid, SIGTERM)
            let status = try await StrataBinary.offPool { try run.process.waitForExit(timeout: .seconds(60)) }
            try await sandbox.clearFaults()
            let output = (try? String(contentsOf: run.output, encoding: .utf8)) ?? ""
            #expect(status == 143, "exit status \(status):\n\(output)")
            let census = try await StackCensus.take(client, stack: copy.stack)
            #expect(census.subnets == 0 && census.vpcs == 1, "\(census)")
            #expect(output.contains("Destroy interrupted:") && output.contains("not started"), "\(output)")
            #expect(!output.contains("state unknown") && !output.contains("cancelled"), "\(output)")
            let runID = run.events().first?.correlationId ?? ""
            #expect(try await ApplyCrashTests.heldLease(client, stack: copy.stack, runID: runID) == nil, "the lock was not released")

            let again = try await StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: env)
            #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
            #expect(try await StackCensus.take(client, stack: copy.stack).isEmpty)
        }
    }
}

extension InterruptTests {
    /// Ctrl-C typed at the confirmation prompt (strata runs on a terminal `script` gives it):
    /// nothing has started and the prompt would block a wait, so the run releases the lock and
    /// leaves at once, exit 130, nothing created.
    @Test func ctrlCAtThePromptLeavesAtOnceReleasingTheLock() async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(of: "demo")
        defer { copy.remove() }
        let events = copy.root.appendingPathComponent("events.jsonl")
        let output = copy.root.appendingPathComponent("prompt.txt")
        let command = [StrataBinary.url.path, "apply", copy.path, "--events", events.path].map { "'\($0)'" }.joined(separator: " ")
        let process = try ChildProcess.launch(
            URL(fileURLWithPath: "/usr/bin/script"), ["-qefc", command, "/dev/null"],
            environment: copy.environment(sandbox, ["NO_COLOR": "1"]), stdinPipe: true, output: .file(output))
        let run = Run(process: process, eventsFile: events, output: output)
        try await Self.waitFor("the confirmation prompt", run) { _ in
            ((try? String(contentsOf: output, encoding: .utf8)) ?? "").contains("Enter a value:")
        }
        try process.writeInput(Data([0x03]))
        let status = try await StrataBinary.offPool { try process.waitForExit(timeout: .seconds(10)) }
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        #expect(status == 130, "exit status \(status):\n\(text)")
        #expect(text.contains("at the prompt: nothing was changed"), "\(text)")
        let client = sandbox.client()
        let runID = run.events().first { $0.kind == "lock.acquired" }?.correlationId ?? ""
        #expect(!runID.isEmpty, "the run took no lock")
        #expect(try await ApplyCrashTests.heldLease(client, stack: copy.stack, runID: runID) == nil, "the lock was not released")
        #expect(try await StackCensus.take(client, stack: copy.stack).isEmpty)
    }
}

extension InterruptTests {
    struct Run {
        var process: ChildProcess.Running
        var eventsFile: URL
        var output: URL

        func events() -> [ApplyCrashTests.EventLine] {
            ApplyCrashTests.parse((try? String(contentsOf: eventsFile, encoding: .utf8)) ?? "")
        }
    }

    static func startApply(_ copy: StackCopy, _ env: [String: String]) throws -> Run {
        try start(["apply", copy.path, "--auto-approve"], copy, env)
    }

    /// Starts strata with `arguments`, its events and output in files of the copy.
    static func start(_ arguments: [String], _ copy: StackCopy, _ env: [String: String]) throws -> Run {
        let events = copy.root.appendingPathComponent("events.jsonl")
        let output = copy.root.appendingPathComponent("output.txt")
        let process = try ApplyCrashTests.start(arguments + ["--events", events.path], env, output: output)
        return Run(process: process, eventsFile: events, output: output)
    }

    /// Waits until the demo's four CreateSubnet calls reached the sandbox, where they sit in
    /// the injected latency (the only fault rule): AWS is creating them.
    static func waitForSubnetCreatesInFlight(_ sandbox: Sandbox, _ run: Run) async throws {
        try await waitFor("the four subnet creates to reach the sandbox", run) { _ in
            ((try? await sandbox.faultMatches()) ?? []).first ?? 0 >= 4
        }
    }

    /// Polls until `condition` holds, failing after `deadline` (or when the run ends first,
    /// for conditions on a running process).
    static func waitFor(
        _ what: String, _ run: Run, deadline: Duration = .seconds(30), _ condition: ([ApplyCrashTests.EventLine]) async -> Bool
    ) async throws {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            if await condition(run.events()) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        let output = (try? String(contentsOf: run.output, encoding: .utf8)) ?? ""
        throw Timeout(description: "waited \(deadline) for \(what); output:\n\(output.suffix(3000))")
    }

    struct Timeout: Error, CustomStringConvertible {
        var description: String
    }
}
