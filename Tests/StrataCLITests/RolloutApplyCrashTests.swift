import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

/// `strata apply` of a version bump, SIGKILLed in the middle of its rollout and run again: the
/// second apply continues from what the account and the cluster hold and finishes with one
/// node group for the pool, no node cordoned, no pod lost and no budget broken, after which the
/// plan has nothing left to do. Each kill is one hop of dev climbing 1.30 -> 1.33; `make
/// rollout-soak` (STRATA_ROLLOUT_SOAK=1) kills at eleven moments, in climbs from 1.28.
@Suite(.serialized) struct RolloutApplyCrashTests {
    typealias Point = (name: String, kind: String, count: Int)

    /// Killed when the events file holds the `count`-th event of `kind`.
    static let points: [Point] = [
        ("add-ons updating", "cluster.upgraded", 1),
        ("cordoning blue", "node.cordoned", 1),
        ("mid-drain", "pod.evicted", 2),
    ]

    /// Every moment of a hop, for the soak (dev has four add-ons and two nodes in its pool).
    static let soakPoints: [Point] = [
        ("control plane updating", "rollout.started", 1),
        ("add-ons updating", "cluster.upgraded", 1),
        ("second add-on updating", "addon.upgraded", 2),
        ("green creating", "addon.upgraded", 4),
        ("green ACTIVE, before cordon", "nodegroup.created", 1),
        ("cordoning blue", "node.cordoned", 1),
        ("first eviction", "pod.evicted", 1),
        ("mid-drain", "pod.evicted", 2),
        ("blue drained, before its delete", "node.drained", 2),
        ("blue deleted, green still tagged", "nodegroup.deleted", 1),
        ("second node cordoned", "node.cordoned", 2),
    ]

    /// The minors a climb passes, and the kill points each climb takes (one a hop).
    static var climbs: [(from: String, points: [Point])] {
        guard ProcessInfo.processInfo.environment["STRATA_ROLLOUT_SOAK"] == "1" else { return [("1.30", points)] }
        return stride(from: 0, to: soakPoints.count, by: 5).map { ("1.28", Array(soakPoints[$0..<min($0 + 5, soakPoints.count)])) }
    }

    static let minors = ["1.28", "1.29", "1.30", "1.31", "1.32", "1.33"]

    @Test(.timeLimit(.minutes(15))) func applyKilledMidRolloutFinishesOnTheNextApply() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.002) { sandbox in
            for climb in Self.climbs { try await Self.climb(from: climb.from, killedAt: climb.points, sandbox) }
        }
    }

    /// Dev applied at `from`, seeded, then moved one minor per point, each apply killed there
    /// and run again.
    static func climb(from: String, killedAt points: [Point], _ sandbox: Sandbox) async throws {
        let copy = try StackCopy(of: "dev")
        defer { copy.remove() }
        let file = URL(fileURLWithPath: copy.path).appendingPathComponent("stack.yaml")
        let original = try String(contentsOf: file, encoding: .utf8)
        func write(version: String) throws {
            try copy.write(
                original.replacingOccurrences(of: #"version: "1.31""#, with: "version: \"\(version)\"")
                    .replacingOccurrences(of: "strategy: rolling", with: "strategy: blue-green")
                    .replacingOccurrences(of: "          min: 1\n", with: "          min: 2\n"))
        }
        try write(version: from)
        let env = ApplyCrashTests.environment(copy, sandbox)
        let first = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
        try #require(first.status == 0, "\(first.stderr)")
        let cluster = copy.stack
        try await UpgradeDryRunTests.control(
            sandbox, cluster, "POST", "workloads",
            body: ["objects": [UpgradeDryRunTests.deployment("web", replicas: 3), UpgradeDryRunTests.budget("web", maxUnavailable: 1)]])
        try await UpgradeDryRunTests.waitForPods(sandbox, cluster, count: 3)

        let aws = sandbox.client()
        let start = try #require(minors.firstIndex(of: from))
        for (index, point) in points.enumerated() {
            let version = minors[start + index + 1]
            try write(version: version)
            let events = copy.root.appendingPathComponent("killed-\(index).jsonl")
            let killed = try await StrataBinary.offPool {
                try Self.applyKilled(copy, env, events: events, at: point.kind, count: point.count)
            }
            let output = (try? String(contentsOf: events.appendingPathExtension("out"), encoding: .utf8)) ?? ""
            #expect(killed, "\(point.name): the apply ended by itself before the kill:\n\(output.suffix(3000))")

            let again = try await StrataBinary.run(
                ["apply", copy.path, "--auto-approve", "--lock-timeout", "30"], environment: env)
            #expect(again.status == 0, "\(point.name): apply again failed:\n\(again.stdout.suffix(3000))\n\(again.stderr)")
            let groups = try await aws.rest(.eks, action: "ListNodegroups", method: "GET", path: "/clusters/\(cluster)/node-groups")
            let green = "general-" + version.replacingOccurrences(of: ".", with: "-")
            #expect(groups["nodegroups"] == .array([.string(green)]), "\(point.name): one group for the pool")
            let observations = try await Self.observations(sandbox, cluster)
            #expect(observations["pdb_violations"] == .array([]), "\(point.name)")
            let losses = (observations["lost_pods"]?.arrayValue ?? []).filter { $0["counts_as_loss"] == .bool(true) }
            #expect(losses.isEmpty, "\(point.name): \(losses)")
            let cordoned = Self.cordonedNodes(observations, groups: [green])
            #expect(cordoned.isEmpty, "\(point.name): nodes left cordoned: \(cordoned)")
            let plan = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
            #expect(plan.status == 0, "\(point.name): the plan after the rollout has changes:\n\(plan.stdout.suffix(3000))")
            try await UpgradeDryRunTests.waitForPods(sandbox, cluster, count: 3)
        }
    }

    /// Starts `strata apply` and SIGKILLs it once its events file holds the `count`-th `kind`
    /// event. False when the run ended by itself first.
    static func applyKilled(_ copy: StackCopy, _ env: [String: String], events: URL, at kind: String, count: Int) throws -> Bool {
        let process = try ApplyCrashTests.start(
            ["apply", copy.path, "--auto-approve", "--events", events.path, "--lock-timeout", "30"], env,
            output: events.appendingPathExtension("out"))
        let deadline = Date().addingTimeInterval(120)
        let marker = "\"kind\":\"\(kind)\""
        while process.isRunning, Date() < deadline {
            let text = (try? String(contentsOf: events, encoding: .utf8)) ?? ""
            if text.components(separatedBy: marker).count - 1 >= count { break }
            usleep(1_000)
        }
        guard process.isRunning else { return false }
        kill(process.pid, SIGKILL)
        _ = try process.waitForExit(timeout: .seconds(30))
        return true
    }

    static func observations(_ sandbox: Sandbox, _ cluster: String) async throws -> JSONValue {
        let url = sandbox.url.appendingPathComponent("_sandbox/kube/clusters/\(Sandbox.region)/\(cluster)/observations")
        return try JSONValue.parse(try await CurlTransport().send(HTTPRequest(method: "GET", url: url)).body)
    }

    /// Nodes of the groups that remain whose last cordon change (the sandbox's observations)
    /// left them unschedulable.
    static func cordonedNodes(_ observations: JSONValue, groups: Set<String>) -> [String] {
        var last: [String: Bool] = [:]
        for change in observations["cordoned"]?.arrayValue ?? [] {
            guard let node = change["node"]?.stringValue, let group = change["nodegroup"]?.stringValue, groups.contains(group) else {
                continue
            }
            last[node] = change["unschedulable"] == .bool(true)
        }
        return last.filter(\.value).keys.sorted()
    }
}
