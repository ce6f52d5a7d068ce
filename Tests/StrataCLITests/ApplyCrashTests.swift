import AWSClient
import Foundation
import StrataTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Crash safety on the production stack (97 resources): `strata apply` SIGKILLed at 20 random
/// points spread over the whole run, then applied again each time. Every time it must converge
/// to exactly the stack: the census equals an uninterrupted apply's (no second VPC, NAT gateway,
/// address, key, cluster, node group or role), nothing untagged, and the plan after says no
/// changes. Every fourth point (and the last) then destroys to nothing; the others reset the
/// private sandbox instead: a stack proven identical to an uninterrupted apply's has that
/// apply's destroy, and destroying is a third of a point's time. The killed run's lock must
/// block a new run at once, naming the run, while its lease lasts (2 s here through
/// `STRATA_LOCK_LEASE_SECONDS`, 60 by default), and be taken over only after it.
///
/// Where the kills land: an uninterrupted apply's events file gives the range (from its first
/// `resource.creating` to its last operation's end); the range is cut in 20 equal slices and one
/// point is drawn in each by a seeded generator, so the points cover the early network and IAM
/// phase, NAT creation, the cluster's CREATING wait, the node group and add-ons whatever the
/// seed. The seed is printed; `STRATA_CRASH_SEED=S` replays a run and `STRATA_CRASH_KILL_AFTER=K`
/// runs only the point that kills after K events.
///
/// The sandbox runs at time scale 0.001 (a cluster takes 0.54 s) so twenty prod applies fit in
/// minutes. At that pace everything a killed run left half-way would be finished before the next
/// run looks, which on AWS it is not (a cluster takes ten minutes, the lease one): the sandbox's
/// lifecycle clock is stopped from the kill until the next run has made its plan, so that run
/// finds the cluster still CREATING and the NAT gateways still pending, as it would on AWS.
@Suite(.serialized) struct ApplyCrashTests {
    static let leaseSeconds = 2.0
    static let points = 20

    @Test(.timeLimit(.minutes(20))) func prodKilledAtTwentyRandomPointsConvergesEveryTime() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.001) { sandbox in try await Self.killAtTwentyPoints(sandbox) }
    }

    /// The test's body, on the private sandbox at time scale 0.001.
    static func killAtTwentyPoints(_ sandbox: Sandbox) async throws {
        let copy = try StackCopy(of: "prod")
        defer { copy.remove() }
        let env = Self.environment(copy, sandbox)
        let client = sandbox.client()

        try await Self.slowAddons(sandbox)
        // An uninterrupted apply: the range kills are drawn from, and the census every
        // converged apply must equal.
        let referenceEvents = copy.root.appendingPathComponent("reference.jsonl")
        let full = try await StrataBinary.run(["apply", copy.path, "--auto-approve", "--events", referenceEvents.path], environment: env)
        try #require(full.status == 0, "uninterrupted apply failed:\n\(full.stdout.suffix(3000))\n\(full.stderr)")
        let expected = try await StackCensus.take(client, stack: copy.stack)
        #expect(
            expected.vpcs == 1 && expected.natGateways == 3 && expected.elasticIPs == 3 && expected.clusters == 1
                && expected.nodeGroups == 1 && expected.addons == 5 && expected.roles == 6 && expected.policies == 2
                && expected.kmsKeys == 1 && expected.subnets == 9 && expected.queues == 1 && expected.eventRules == 4,
            "the uninterrupted apply is not the stack: \(expected)")
        try await Self.destroy(copy, env, client, "after the uninterrupted apply")
        let reference = Self.parse(try String(contentsOf: referenceEvents, encoding: .utf8)).filter { $0.kind != "lock.renewed" }
        let first = try #require(reference.firstIndex { $0.kind == "resource.creating" }) + 1
        // Up to the last operation's end: after `apply.finished` the run only releases its lock.
        let last = try #require(reference.firstIndex { $0.kind == "apply.finished" })
        let nats = reference.filter { $0.kind == "resource.created" && $0.type == "aws_nat_gateway" }.count
        let addons = reference.filter { $0.kind == "resource.created" && $0.type == "aws_eks_addon" }.count

        let seed = KillPoints.seed(from: "STRATA_CRASH_SEED")
        // The short phases at the end (add-ons: about 28 events of 195) each get a point.
        let plan = Self.killPoints(reference, first: first, last: last, seed: seed)
        print("ApplyCrashTests: seed \(seed), kills after \(plan) of \(reference.count) events (replay: STRATA_CRASH_SEED=\(seed))")

        let addonStretch = KillPoints.stretch(
            of: ["aws_eks_addon"], in: reference, starting: "resource.creating", ending: "resource.created")
        var blockedChecks = 0
        var takeovers = 0
        var destroys = 0
        var clock = Laps()
        var phases: [String: Int] = [:]
        for (point, killAfter) in plan.enumerated() {
            let label = "seed \(seed), point \(point), killed after \(killAfter) events"
            let events = copy.root.appendingPathComponent("killed-\(point).jsonl")
            clock.lap("between points")
            // The add-ons' point is placed by what is in flight, not by an event count: on a
            // loaded machine the run's interleaving (manifests alongside, retries) moves the count.
            let amidAddons = addonStretch?.contains(killAfter) == true && phases["add-ons", default: 0] == 0
            let killed = try await StrataBinary.offPool {
                amidAddons
                    ? try Self.applyKilledAmidAddons(copy, env, events: events)
                    : try Self.applyKilled(copy, env, events: events, afterEvents: killAfter)
            }
            clock.lap("killed runs")
            // From the kill until the next run has planned, AWS's clock stands still (see above).
            try await sandbox.freezeClock(true)
            let lines = Self.parse((try? String(contentsOf: events, encoding: .utf8)) ?? "")
            let inFlight = Self.phases(lines, nats: nats, addons: addons)
            for phase in inFlight { phases[phase, default: 0] += 1 }
            #expect(killed, "\(label): the run ended by itself before the kill")

            // The killed run's lease, if the account still holds it, blocks a new run at once
            // naming that run. (What the account holds decides: a kill between the release
            // and its event leaves no lock though the events say otherwise.)
            let runID = lines.first?.correlationId ?? ""
            let lease = killed ? try await Self.heldLease(client, stack: copy.stack, runID: runID) : nil
            if let lease, lease.timeIntervalSinceNow > 0.7 {
                let blocked = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
                if Date() < lease {
                    #expect(blocked.status == 1, "\(label): a run while the lease lasts should fail")
                    #expect(blocked.stderr.contains(runID), "\(label): the error should name run \(runID): \(blocked.stderr)")
                    blockedChecks += 1
                }
            }

            clock.lap("lease checks")
            let againEvents = copy.root.appendingPathComponent("again-\(point).jsonl")
            let again = try await Self.applyAgain(copy, env, sandbox, events: againEvents)
            #expect(
                again.status == 0,
                "\(label) (in flight: \(inFlight)): apply again failed:\n\(again.output.suffix(4000))")
            if let lease {
                // Taken over, and only once the lease had run out.
                let acquired = Self.parse((try? String(contentsOf: againEvents, encoding: .utf8)) ?? "").first {
                    $0.kind == "lock.acquired"
                }
                let at = acquired.flatMap { Self.timestamp($0.timestamp) }
                #expect(
                    at.map { $0 >= lease.addingTimeInterval(-0.05) } == true,
                    "\(label): lock taken at \(String(describing: at)), lease ran to \(lease)")
                takeovers += 1
            }

            clock.lap("re-applies (lease wait included)")
            let census = try await StackCensus.take(client, stack: copy.stack)
            let differences = census.differences(from: expected)
            #expect(differences.isEmpty, "\(label) (in flight: \(inFlight)): not exactly the stack: \(differences)")
            #expect(census.untaggedInVPC.isEmpty, "\(label): untagged in the VPC: \(census.untaggedInVPC)")
            let planned = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
            #expect(planned.status == 0, "\(label): the plan after apply has changes:\n\(planned.stdout.suffix(4000))\n\(planned.stderr)")
            clock.lap("census and plan")
            // The stack is now proven identical to an uninterrupted apply's, whose destroy is
            // the same: every fourth point (and the last) destroys it, the others reset the
            // private sandbox, which costs nothing (destroy is a third of a point's time).
            if point % 4 == 0 || point == plan.count - 1 {
                try await Self.destroy(copy, env, client, label)
                destroys += 1
                clock.lap("destroy")
            } else {
                try await sandbox.reset()
                try await Self.slowAddons(sandbox)
                clock.lap("reset")
            }
        }
        let summary = phases.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print(
            "ApplyCrashTests: seed \(seed): kill points by what was in flight: \(summary); lease blocked \(blockedChecks), taken over \(takeovers); destroyed \(destroys) times"
        )
        print("ApplyCrashTests: time by step: \(clock)")
        guard plan.count == Self.points else { return }
        // The slices make these certain whatever the seed: a point that lands in none of the
        // long waits is a sign the range or the kill is wrong.
        for phase in ["network and IAM", "NAT creation", "cluster CREATING", "node group", "add-ons"] {
            #expect(phases[phase, default: 0] >= 1, "seed \(seed): no kill while \(phase) was in flight: \(summary)")
        }
        #expect(blockedChecks >= 5, "seed \(seed): only \(blockedChecks) kill points found the lease still held")
    }

    /// At this time scale an add-on is created in 60 ms, a window a kill on a loaded machine can
    /// miss: the sandbox answers CreateAddon 400 ms late, so the add-ons' point finds them in
    /// flight. A reset clears faults, so it is set again after one.
    static func slowAddons(_ sandbox: Sandbox) async throws {
        try await sandbox.setFaults(SandboxFaults(service: "eks", action: "CreateAddon", latencyMs: 400))
    }

    /// The kill points (``KillPoints``): NAT creation, the cluster's CREATING wait, the node group
    /// and the add-ons each get one; `STRATA_CRASH_KILL_AFTER=K` runs only K.
    static func killPoints(_ reference: [EventLine], first: Int, last: Int, seed: UInt64) -> [Int] {
        if let only = KillPoints.only(from: "STRATA_CRASH_KILL_AFTER") { return [only] }
        let phases: [Set<String>] = [["aws_eip", "aws_nat_gateway"], ["aws_eks_cluster"], ["aws_eks_node_group"], ["aws_eks_addon"]]
        let stretches = phases.compactMap {
            KillPoints.stretch(of: $0, in: reference, starting: "resource.creating", ending: "resource.created")
        }
        return KillPoints.draw(count: points, first: first, last: last, stretches: stretches, seed: seed)
    }

    /// The environment of runs that get killed: a short lease, so the next run takes the lock
    /// over soon, and a deadline on deletes.
    static func environment(_ copy: StackCopy, _ sandbox: Sandbox) -> [String: String] {
        copy.environment(sandbox.environment, ["STRATA_LOCK_LEASE_SECONDS": String(leaseSeconds), "STRATA_DELETE_DEADLINE_SECONDS": "60"])
    }

    /// Destroys the copy and checks nothing tagged is left.
    static func destroy(_ copy: StackCopy, _ env: [String: String], _ client: AWSClient, _ label: String) async throws {
        let destroy = try await StrataBinary.run(["destroy", copy.path, "--auto-approve", "--lock-timeout", "15"], environment: env)
        #expect(destroy.status == 0, "\(label): destroy failed:\n\(destroy.stdout.suffix(3000))\n\(destroy.stderr)")
        let after = try await StackCensus.take(client, stack: copy.stack)
        try #require(after.isEmpty, "\(label): destroy left \(after)")
    }

    /// Starts `strata apply`, SIGKILLs it once its events file has `afterEvents` events (lease
    /// renewals not counted). Returns
    /// false when the run ended by itself first.
    static func applyKilled(_ copy: StackCopy, _ env: [String: String], events: URL, afterEvents: Int) throws -> Bool {
        try runKilled(
            ["apply", copy.path, "--auto-approve", "--events", events.path, "--lock-timeout", "15"], env, events: events,
            afterEvents: afterEvents)
    }

    /// Starts `strata apply` and SIGKILLs it once an add-on is being created (its CreateAddon
    /// answered late by the sandbox, so others are still in flight). False when the run ended first.
    static func applyKilledAmidAddons(_ copy: StackCopy, _ env: [String: String], events: URL) throws -> Bool {
        let process = try start(["apply", copy.path, "--auto-approve", "--events", events.path, "--lock-timeout", "15"], env, output: nil)
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, Date() < deadline {
            let text = (try? String(contentsOf: events, encoding: .utf8)) ?? ""
            let creating = text.split(separator: "\n").contains {
                $0.contains(#""kind":"resource.creating""#) && $0.contains(#""type":"aws_eks_addon""#)
            }
            if creating { break }
            usleep(2_000)
        }
        guard process.isRunning else { return false }
        kill(process.pid, SIGKILL)
        try process.waitForExit(timeout: .seconds(30))
        return true
    }

    /// Starts strata with `arguments` (which write their events to `events`) and SIGKILLs it
    /// once `events` has `afterEvents` events (lease renewals not counted). Returns false when
    /// the run ended by itself first. Shared with the destroy crash test.
    static func runKilled(_ arguments: [String], _ env: [String: String], events: URL, afterEvents: Int) throws -> Bool {
        let process = try start(arguments, env, output: nil)
        let counter = LineCounter(events)
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning, Date() < deadline, counter.count() < afterEvents {
            usleep(1_000)
        }
        guard process.isRunning else { return false }
        kill(process.pid, SIGKILL)
        try process.waitForExit(timeout: .seconds(30))
        return true
    }

    /// Applies again, and restarts the sandbox's clock once that run has planned (its
    /// `apply.started`), or has ended without applying.
    static func applyAgain(_ copy: StackCopy, _ env: [String: String], _ sandbox: Sandbox, events: URL) async throws -> (
        status: Int32, output: String
    ) {
        try await runThawing(
            ["apply", copy.path, "--auto-approve", "--events", events.path, "--lock-timeout", "15"], env, sandbox, events: events,
            output: copy.root.appendingPathComponent(events.lastPathComponent + ".out"), planned: "apply.started")
    }

    /// Runs strata with `arguments` (writing events to `events`, its output to `output`) and
    /// restarts the sandbox's clock once the run has planned (its `planned` event), or has
    /// ended without getting that far. Shared with the destroy crash test.
    static func runThawing(
        _ arguments: [String], _ env: [String: String], _ sandbox: Sandbox, events: URL, output: URL, planned: String
    ) async throws -> (status: Int32, output: String) {
        let process = try start(arguments, env, output: output)
        do {
            let deadline = Date().addingTimeInterval(60)
            while process.isRunning, Date() < deadline {
                if let text = try? String(contentsOf: events, encoding: .utf8), text.contains("\"\(planned)\"") { break }
                try await Task.sleep(for: .milliseconds(5))
            }
            try await sandbox.freezeClock(false)
        } catch {
            try? await sandbox.freezeClock(false)
            throw error
        }
        let status = try await StrataBinary.offPool { try process.waitForExit(timeout: .seconds(600)) }
        return (status, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }

    static func start(_ arguments: [String], _ env: [String: String], output: URL?) throws -> ChildProcess.Running {
        try ChildProcess.launch(
            StrataBinary.url, arguments, environment: env.merging(["NO_COLOR": "1"]) { given, _ in given },
            output: output.map { .file($0) } ?? .null)
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

    /// One line of an events file, the fields these tests read.
    struct EventLine {
        var kind: String
        var address: String
        var type: String
        var correlationId: String
        var timestamp: String
    }

    static func parse(_ text: String) -> [EventLine] {
        text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            let payload = object["payload"] as? [String: String] ?? [:]
            return EventLine(
                kind: object["kind"] as? String ?? "", address: payload["address"] ?? "", type: payload["type"] ?? "",
                correlationId: object["correlationId"] as? String ?? "", timestamp: object["timestamp"] as? String ?? "")
        }
    }

    static func timestamp(_ text: String) -> Date? {
        try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }

    /// What the killed run was doing: the phases of the operations started and not finished.
    /// NAT creation is the stretch from the first address allocated to the last gateway
    /// available (`nats` of them): a kill there leaves addresses without gateways, or gateways
    /// pending, even between two operations. Add-ons likewise, from the first to the last
    /// (`addons`) ACTIVE.
    static func phases(_ lines: [EventLine], nats: Int, addons: Int) -> [String] {
        var running: [String: String] = [:]
        var clusterStarted = false
        var natStarted = false
        var natsCreated = 0
        var addonStarted = false
        var addonsCreated = 0
        for line in lines {
            switch line.kind {
            case "resource.creating":
                running[line.address] = line.type
                if line.type == "aws_eks_cluster" { clusterStarted = true }
                if ["aws_eip", "aws_nat_gateway"].contains(line.type) { natStarted = true }
                if line.type == "aws_eks_addon" { addonStarted = true }
            case "resource.created", "resource.failed":
                running[line.address] = nil
                if line.type == "aws_nat_gateway" { natsCreated += 1 }
                if line.type == "aws_eks_addon" { addonsCreated += 1 }
            default: break
            }
        }
        let names: [String: String] = [
            "aws_eks_cluster": "cluster CREATING", "aws_eks_node_group": "node group", "kubernetes_manifest": "manifests",
        ]
        var phases = Set(running.values.compactMap { names[$0] })
        if !clusterStarted { phases.insert("network and IAM") }
        if natStarted && natsCreated < nats { phases.insert("NAT creation") }
        if addonStarted && addonsCreated < addons { phases.insert("add-ons") }
        if phases.isEmpty { phases.insert(lines.contains { $0.kind == "apply.finished" } ? "finished, lock held" : "other") }
        return phases.sorted()
    }
}

/// Counts the events in a file that another process appends to, reading only what is new.
/// Lease renewals are not counted: how many a run emits depends on how long it took, and the
/// kill points are positions in the run's progress.
final class LineCounter {
    private let url: URL
    private var handle: FileHandle?
    private var partial = Data()
    private var lines = 0

    init(_ url: URL) { self.url = url }

    func count() -> Int {
        if handle == nil { handle = try? FileHandle(forReadingFrom: url) }
        guard let data = try? handle?.readToEnd(), !data.isEmpty else { return lines }
        partial.append(data)
        while let end = partial.firstIndex(of: 0x0A) {
            let line = partial[partial.startIndex..<end]
            if !String(decoding: line, as: UTF8.self).contains("\"lock.renewed\"") { lines += 1 }
            partial.removeSubrange(partial.startIndex...end)
        }
        return lines
    }

    deinit { try? handle?.close() }
}

/// Where a long test's time goes, by step (for its log: the crash test must stay CI-sized).
struct Laps: CustomStringConvertible {
    private var last = ContinuousClock.now
    private var totals: [String: Duration] = [:]

    mutating func lap(_ step: String) {
        let now = ContinuousClock.now
        totals[step, default: .zero] += now - last
        last = now
    }

    var description: String {
        let all = totals.values.reduce(Duration.zero, +)
        return totals.sorted { $0.value > $1.value }.map { "\($0.key) \(Int(($0.value / all * 100).rounded()))%" }.joined(separator: ", ")
    }
}
