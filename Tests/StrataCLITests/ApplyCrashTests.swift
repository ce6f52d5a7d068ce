import AWSClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import StrataTestSupport
import Testing

/// Crash safety: `strata apply` SIGKILLed at 20 points of its run (after the 2nd, 4th, ... 40th
/// event of its events file, so the points are deterministic in the run's progress), then applied
/// again each time. Every time it must converge to exactly the stack (no duplicate VPC, subnet,
/// role or policy; nothing untagged in the VPC; the plan after says no changes), and the killed
/// run's lock must block a new run at once while its lease lasts and be taken over after it.
/// The lease is 2 s here (`STRATA_LOCK_LEASE_SECONDS`) instead of 60.
@Suite struct ApplyCrashTests {
    static let leaseSeconds = 2.0

    @Test(.timeLimit(.minutes(5))) func killedAtTwentyPointsThenAppliedAgainConverges() async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(of: "demo")
        defer { copy.remove() }
        let env = copy.environment(sandbox, ["STRATA_LOCK_LEASE_SECONDS": String(Self.leaseSeconds)])
        let client = sandbox.client()
        var blockedChecks = 0
        for point in 0..<20 {
            let killAfter = 2 + 2 * point
            let events = copy.root.appendingPathComponent("events-\(point).jsonl")
            let killed = try await StrataBinary.offPool { try Self.applyKilled(copy, env, events: events, afterEvents: killAfter) }
            let lines = ((try? String(contentsOf: events, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)

            // The killed run's lease, if it held one, blocks a new run at once naming that run.
            // (What the account holds decides: a kill between the release and its event leaves
            // no lock though the events say otherwise.)
            if killed, Self.leaseExpiry(lines) != nil, let runID = Self.runID(lines),
                let expires = try await Self.heldLease(client, stack: copy.stack, runID: runID), expires.timeIntervalSinceNow > 1.0
            {
                let blocked = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
                if Date() < expires {
                    #expect(blocked.status == 1, "point \(point): a run while the lease lasts should fail")
                    #expect(blocked.stderr.contains(runID), "point \(point): the error should name run \(runID): \(blocked.stderr)")
                    blockedChecks += 1
                }
            }

            let again = try await StrataBinary.run(["apply", copy.path, "--auto-approve", "--lock-timeout", "15"], environment: env)
            #expect(again.status == 0, "point \(point) (killed after \(killAfter) events): apply again failed:\n\(again.stdout)\n\(again.stderr)")
            let census = try await StackCensus.take(client, stack: copy.stack)
            #expect(
                census.vpcs == 1 && census.subnets == 4 && census.roles == 1 && census.policies == 1 && census.internetGateways == 1
                    && census.routeTables == 1,
                "point \(point): not exactly the stack: \(census)")
            #expect(census.untaggedInVPC.isEmpty, "point \(point): untagged in the VPC: \(census.untaggedInVPC)")
            let plan = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
            #expect(plan.status == 0, "point \(point): the plan after apply has changes:\n\(plan.stdout)")

            let destroy = try await StrataBinary.run(["destroy", copy.path, "--auto-approve", "--lock-timeout", "15"], environment: env)
            #expect(destroy.status == 0, "point \(point): destroy failed:\n\(destroy.stdout)\n\(destroy.stderr)")
            #expect(try await StackCensus.take(client, stack: copy.stack).isEmpty, "point \(point): destroy left resources")
        }
        // Early points kill while the lock is held: the blocking check must have run.
        #expect(blockedChecks >= 5, "only \(blockedChecks) kill points found the lease still held")
    }

    /// Starts `strata apply`, SIGKILLs it once its events file has `afterEvents` lines. Returns
    /// false when the run ended by itself first.
    static func applyKilled(_ copy: StackCopy, _ env: [String: String], events: URL, afterEvents: Int) throws -> Bool {
        let process = Process()
        process.executableURL = StrataBinary.url
        process.arguments = ["apply", copy.path, "--auto-approve", "--events", events.path, "--lock-timeout", "15"]
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        for (key, value) in env { environment[key] = value }
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, Date() < deadline {
            let count = ((try? String(contentsOf: events, encoding: .utf8)) ?? "").split(separator: "\n").count
            if count >= afterEvents { break }
            usleep(2_000)
        }
        guard process.isRunning else { return false }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return true
    }

    /// The lease expiry of `runID`'s lock item on `stack`, nil when that run holds no lock.
    static func heldLease(_ client: AWSClient, stack: String, runID: String) async throws -> Date? {
        let answer = try await client.json(
            .dynamodb, action: "GetItem",
            body: ["TableName": "strata-locks", "Key": ["LockID": ["S": .string(stack)]], "ConsistentRead": true])
        guard let item = answer["Item"], item["runId"]?["S"]?.stringValue == runID,
            let millis = item["expires"]?["N"]?.stringValue.flatMap(Double.init)
        else { return nil }
        return Date(timeIntervalSince1970: millis / 1000)
    }

    static func parse(_ lines: [String]) -> [[String: Any]] {
        lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    static func runID(_ lines: [String]) -> String? {
        parse(lines).first?["correlationId"] as? String
    }

    /// When the killed run's lease ends: the last acquired/renewed expiry, nil if it never held
    /// the lock or released it.
    static func leaseExpiry(_ lines: [String]) -> Date? {
        var expires: Date?
        for event in parse(lines) {
            let kind = event["kind"] as? String
            let payload = event["payload"] as? [String: String] ?? [:]
            if kind == "lock.acquired" || kind == "lock.renewed", let text = payload["expires"] {
                expires = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
            }
            if kind == "lock.released" { expires = nil }
        }
        return expires
    }
}
