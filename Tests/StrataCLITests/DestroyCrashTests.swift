import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Crash safety of `strata destroy` on the production stack (97 resources plus what controllers
/// leave in its network): destroy SIGKILLed at 10 points spread over the whole run, then run
/// again each time. It must end with nothing of the stack: exit 0, nothing tagged for it, no
/// untagged leftover of it (every VPC, subnet, ENI, security group, route table, gateway,
/// address, NAT gateway, role, instance profile, policy, OIDC provider, cluster, log group,
/// launch template, load balancer, target group, queue and rule that appeared with the stack
/// is gone, every KMS key it made is pending deletion), and a plan after that has everything
/// to add again (nothing half-existing). The killed run's lock must block a new destroy at
/// once, naming the run, while its lease lasts (2 s here), and be taken over only after it.
///
/// Where the kills land: an uninterrupted destroy's events give the range (its first
/// `resource.deleting` to `destroy.finished`), cut in 10 equal slices with one point drawn in
/// each by a seeded generator; then the phases that matter each get a point well inside their
/// stretch of the uninterrupted run if no drawn point is there (node groups and add-ons, the
/// cluster's DELETING wait, NAT deletion and address release, the controller sweep, subnets and
/// VPC). The seed is printed; `STRATA_DESTROY_CRASH_SEED=S` replays a run and
/// `STRATA_DESTROY_CRASH_KILL_AFTER=K` runs only the point that kills after K events.
///
/// As in ``ApplyCrashTests``, the sandbox runs at time scale 0.001 with its lifecycle clock
/// stopped from the kill until the next destroy has planned, so that run finds the cluster
/// still DELETING and the NAT gateways still deleting, as it would on AWS. Each point starts
/// from a reset private sandbox and a full apply (cheaper than reasoning about what the
/// previous point left in the account's lists).
@Suite(.serialized) struct DestroyCrashTests {
    static let points = 10

    @Test(.timeLimit(.minutes(20))) func prodDestroyKilledAtTenPointsLeavesNothing() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.001) { sandbox in
            let copy = try StackCopy(of: "prod")
            defer { copy.remove() }
            let env = ApplyCrashTests.environment(copy, sandbox)
            let client = sandbox.client()
            var clock = Laps()

            // The plan of an empty account: what every converged destroy must come back to.
            try await sandbox.reset()
            let fresh = try await StrataBinary.run(["plan", copy.path], environment: env)
            let summary = try #require(
                Self.planSummary(fresh.stdout), "no plan summary:\n\(fresh.stdout.suffix(2000))\n\(fresh.stderr)")
            #expect(summary.hasSuffix(" 0 to change, 0 to destroy."), "\(summary)")

            // An uninterrupted destroy: the range kills are drawn from.
            var footprint = try await Self.applyWithLeftovers(copy, env, client, "reference")
            let kinds = footprint.ids.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }.map {
                "\($0.key) \($0.value.count)"
            }
            print("DestroyCrashTests: what appeared with the stack: \(kinds.joined(separator: ", "))")
            let referenceEvents = copy.root.appendingPathComponent("reference.jsonl")
            let full = try await StrataBinary.run(
                ["destroy", copy.path, "--auto-approve", "--events", referenceEvents.path], environment: env)
            try #require(full.status == 0, "uninterrupted destroy failed:\n\(full.stdout.suffix(3000))\n\(full.stderr)")
            try await Self.expectNothingLeft(copy, env, client, footprint: footprint, summary: summary, "reference")
            clock.lap("reference")

            let reference = ApplyCrashTests.parse(try String(contentsOf: referenceEvents, encoding: .utf8)).filter {
                $0.kind != "lock.renewed"
            }
            let first = try #require(reference.firstIndex { $0.kind == "resource.deleting" }) + 1
            let last = try #require(reference.firstIndex { $0.kind == "destroy.finished" })
            let counts = Counts(reference)

            let seed = KillPoints.seed(from: "STRATA_DESTROY_CRASH_SEED")
            let plan =
                KillPoints.only(from: "STRATA_DESTROY_CRASH_KILL_AFTER").map { [$0] }
                ?? KillPoints.draw(
                    count: Self.points, first: first, last: last, stretches: Self.stretches(reference, counts).map(\.range), seed: seed)
            print(
                "DestroyCrashTests: seed \(seed), kills after \(plan) of \(reference.count) events "
                    + "(replay: STRATA_DESTROY_CRASH_SEED=\(seed))")

            var blockedChecks = 0
            var takeovers = 0
            var phases: [String: Int] = [:]
            // A point placed in a phase of the reference run can miss it in another run: how
            // many events come before a phase varies with the machine's load (retries, waits).
            // A phase no point killed in gets up to two more points of its own.
            var queue = plan
            var aimed: [String: Int] = [:]
            var aim = SplitMix64(seed: seed)
            var point = 0
            while point < queue.count {
                let killAfter = queue[point]
                let label = "seed \(seed), point \(point), killed after \(killAfter) events"
                try await sandbox.reset()
                clock.lap("resets")
                footprint = try await Self.applyWithLeftovers(copy, env, client, label)
                clock.lap("applies")
                let events = copy.root.appendingPathComponent("killed-\(point).jsonl")
                let killed = try await StrataBinary.offPool {
                    try ApplyCrashTests.runKilled(
                        ["destroy", copy.path, "--auto-approve", "--events", events.path, "--lock-timeout", "15"], env,
                        events: events,
                        afterEvents: killAfter)
                }
                // From the kill until the next run has planned, AWS's clock stands still.
                try await sandbox.freezeClock(true)
                clock.lap("killed destroys")
                let lines = ApplyCrashTests.parse((try? String(contentsOf: events, encoding: .utf8)) ?? "")
                let inFlight = Self.phases(lines, counts)
                for phase in inFlight { phases[phase, default: 0] += 1 }
                #expect(killed, "\(label): the destroy ended by itself before the kill")

                // The killed run's lease, if the account still holds it, blocks a new destroy at
                // once, naming that run.
                let runID = lines.first?.correlationId ?? ""
                let lease = killed ? try await ApplyCrashTests.heldLease(client, stack: copy.stack, runID: runID) : nil
                if let lease, lease.timeIntervalSinceNow > 0.7 {
                    let blocked = try await StrataBinary.run(
                        ["destroy", copy.path, "--auto-approve"], environment: env)
                    if Date() < lease {
                        #expect(blocked.status == 1, "\(label): a destroy while the lease lasts should fail")
                        #expect(
                            blocked.stderr.contains(runID),
                            "\(label): the error should name run \(runID): \(blocked.stderr)")
                        blockedChecks += 1
                    }
                }
                clock.lap("lease checks")

                let againEvents = copy.root.appendingPathComponent("again-\(point).jsonl")
                let again = try await ApplyCrashTests.runThawing(
                    ["destroy", copy.path, "--auto-approve", "--events", againEvents.path, "--lock-timeout", "15"], env,
                    sandbox,
                    events: againEvents, output: copy.root.appendingPathComponent("again-\(point).out"),
                    planned: "destroy.started")
                #expect(
                    again.status == 0,
                    "\(label) (in flight: \(inFlight)): destroy again failed:\n\(again.output.suffix(4000))")
                if let lease {
                    let acquired = ApplyCrashTests.parse((try? String(contentsOf: againEvents, encoding: .utf8)) ?? "")
                        .first { $0.kind == "lock.acquired" }
                    let at = acquired.flatMap { ApplyCrashTests.timestamp($0.timestamp) }
                    #expect(
                        at.map { $0 >= lease.addingTimeInterval(-0.05) } == true,
                        "\(label): lock taken at \(String(describing: at)), lease ran to \(lease)")
                    takeovers += 1
                }
                clock.lap("destroys again (lease wait included)")
                try await Self.expectNothingLeft(
                    copy, env, client, footprint: footprint, summary: summary, "\(label) (in flight: \(inFlight))")
                clock.lap("checks")
                point += 1
                guard point == queue.count, plan.count == Self.points else { continue }
                for (phase, range) in Self.stretches(reference, counts)
                where phases[phase, default: 0] == 0 && aimed[phase, default: 0] < 2 {
                    aimed[phase, default: 0] += 1
                    queue.append(range.lowerBound + aim.below(range.count))
                    print("DestroyCrashTests: seed \(seed): no kill in \(phase) yet; one more after \(queue[queue.count - 1]) events")
                }
            }
            let found = phases.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            print(
                "DestroyCrashTests: seed \(seed): kill points by what was in flight: \(found); lease blocked \(blockedChecks), taken over \(takeovers)"
            )
            print("DestroyCrashTests: time by step: \(clock)")
            guard plan.count == Self.points else { return }
            for phase in Self.phaseNames {
                #expect(phases[phase, default: 0] >= 1, "seed \(seed): no kill while \(phase) was in flight: \(found)")
            }
            #expect(blockedChecks >= 3, "seed \(seed): only \(blockedChecks) kill points found the lease still held")
        }
    }

    /// The phases every seed must kill in.
    static let phaseNames = [
        "node groups and add-ons", "cluster DELETING", "NAT gateways and addresses", "controller sweep",
        "subnets and VPC",
    ]

    /// Applies the copy and adds what controllers would leave in its network (``ApplyProdTests``'
    /// Karpenter node and launch template, an available ENI, the Load Balancer Controller's ALB,
    /// target group and security group), so the sweep has work and can be killed mid-way.
    /// Returns everything that appeared in the account meanwhile.
    static func applyWithLeftovers(_ copy: StackCopy, _ env: [String: String], _ client: AWSClient, _ label: String)
        async throws -> Footprint
    {
        let before = try await Footprint.take(client)
        let applied = try await StrataBinary.run(
            ["apply", copy.path, "--auto-approve", "--lock-timeout", "15"], environment: env)
        try #require(applied.status == 0, "\(label): apply failed:\n\(applied.stdout.suffix(3000))\n\(applied.stderr)")
        let census = try await StackCensus.take(client, stack: copy.stack)
        try #require(
            census.vpcs == 1 && census.clusters == 1 && census.natGateways == 3,
            "\(label): apply is not the stack: \(census)")
        _ = try await ApplyProdTests.controllerLeftovers(client, cluster: copy.stack, vpc: census.vpcIDs[0])
        // A Karpenter node in a private subnet of the stack, of the cluster the stack had before
        // it was renamed (EKS has no such cluster any more, the stack files do not name it): only
        // Karpenter's ownership tags say whose it is, and it holds the subnet until terminated.
        let subnets = try await client.query(
            .ec2, action: "DescribeSubnets",
            parameters: [
                ("Filter.1.Name", "vpc-id"), ("Filter.1.Value.1", census.vpcIDs[0]),
                ("Filter.2.Name", "tag:kubernetes.io/role/internal-elb"), ("Filter.2.Value.1", "1"),
            ])
        let subnet = try #require(subnets.first(named: "subnetId")?.text, "\(label): no private subnet")
        _ = try await ControllerLeftovers.instance(
            client, subnet: subnet, tags: ControllerLeftovers.karpenterTags(cluster: copy.stack + "-blue"))
        return try await Footprint.take(client).subtracting(before)
    }

    /// Nothing tagged for the stack, nothing of `footprint` left, and a plan with everything to add.
    static func expectNothingLeft(
        _ copy: StackCopy, _ env: [String: String], _ client: AWSClient, footprint: Footprint, summary: String,
        _ label: String
    ) async throws {
        let census = try await StackCensus.take(client, stack: copy.stack)
        #expect(census.isEmpty, "\(label): tagged for the stack after destroy: \(census)")
        let left = try await Footprint.take(client).intersecting(footprint)
        #expect(left.isEmpty, "\(label): left of the stack after destroy: \(left)")
        let planned = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
        #expect(planned.status == 2, "\(label): plan after destroy: exit \(planned.status)\n\(planned.stderr)")
        #expect(
            Self.planSummary(planned.stdout) == summary,
            "\(label): plan after destroy is not the empty account's:\n\(planned.stdout.suffix(3000))")
    }

    /// `Plan: N to add, 0 to change, 0 to destroy.` from a plan's output.
    static func planSummary(_ output: String) -> String? {
        output.split(separator: "\n").last { $0.hasPrefix("Plan:") }.map(String.init)
    }

    /// How many of each kind the uninterrupted destroy deleted.
    struct Counts {
        var firstStage = 0
        var eips = 0

        init(_ reference: [ApplyCrashTests.EventLine]) {
            for line in reference where line.kind == "resource.deleted" {
                if !Self.afterSweep.contains(line.type) { firstStage += 1 }
                if line.type == "aws_eip" { eips += 1 }
            }
        }

        /// What destroy deletes after the controller sweep (`Destroyer.afterSweep`).
        static let afterSweep: Set<String> = ["aws_subnet", "aws_internet_gateway", "aws_vpc"]
    }

    static let cluster: Set<String> = [
        "kubernetes_manifest", "aws_eks_addon", "aws_eks_node_group", "aws_eks_access_entry",
        "aws_eks_access_policy_association",
        "aws_eks_pod_identity_association",
    ]

    /// Where each phase runs in the uninterrupted destroy's events (indexes counted as kill
    /// points are: a kill after K events).
    static func stretches(_ reference: [ApplyCrashTests.EventLine], _ counts: Counts) -> [(phase: String, range: ClosedRange<Int>)] {
        func stretch(_ types: Set<String>) -> ClosedRange<Int>? {
            KillPoints.stretch(of: types, in: reference, starting: "resource.deleting", ending: "resource.deleted")
        }
        var out: [(phase: String, range: ClosedRange<Int>)] = []
        if let groups = stretch(Self.cluster) { out.append(("node groups and add-ons", groups)) }
        if let cluster = stretch(["aws_eks_cluster"]) { out.append(("cluster DELETING", cluster)) }
        if let nat = stretch(["aws_nat_gateway", "aws_eip"]) { out.append(("NAT gateways and addresses", nat)) }
        // The sweep: from the last first-stage deletion to the first of the subnets, gateways and VPC.
        var deleted = 0
        if let sweepStart = reference.firstIndex(where: { line in
            if line.kind == "resource.deleted" && !Counts.afterSweep.contains(line.type) { deleted += 1 }
            return deleted == counts.firstStage
        }),
            let sweepEnd = reference.firstIndex(where: {
                $0.kind == "resource.deleting" && Counts.afterSweep.contains($0.type)
            })
        {
            out.append(("controller sweep", (sweepStart + 1)...max(sweepStart + 1, sweepEnd)))
        }
        if let network = stretch(Counts.afterSweep) { out.append(("subnets and VPC", network)) }
        return out
    }

    /// What the killed run was doing: the phases of the deletions started and not finished; NAT
    /// gateways and addresses from the first gateway deleting to the last address released (a
    /// kill between leaves gateways deleting and addresses held); the sweep once every
    /// first-stage deletion finished and before the subnets, gateways and VPC started.
    static func phases(_ lines: [ApplyCrashTests.EventLine], _ counts: Counts) -> [String] {
        var running: [String: String] = [:]
        var natStarted = false
        var eipsDeleted = 0
        var firstStageDeleted = 0
        var networkStarted = false
        for line in lines {
            switch line.kind {
            case "resource.deleting":
                running[line.address] = line.type
                if ["aws_nat_gateway", "aws_eip"].contains(line.type) { natStarted = true }
                if Counts.afterSweep.contains(line.type) { networkStarted = true }
            case "resource.deleted", "resource.failed":
                running[line.address] = nil
                if line.kind == "resource.deleted" {
                    if line.type == "aws_eip" { eipsDeleted += 1 }
                    if !Counts.afterSweep.contains(line.type) { firstStageDeleted += 1 }
                }
            default: break
            }
        }
        var phases = Set(
            running.values.map { type -> String in
                if Self.cluster.contains(type) { return "node groups and add-ons" }
                if type == "aws_eks_cluster" { return "cluster DELETING" }
                if ["aws_nat_gateway", "aws_eip"].contains(type) { return "NAT gateways and addresses" }
                if Counts.afterSweep.contains(type) { return "subnets and VPC" }
                return "IAM, KMS, routes and the rest"
            })
        if natStarted && eipsDeleted < counts.eips { phases.insert("NAT gateways and addresses") }
        if firstStageDeleted == counts.firstStage && !networkStarted { phases.insert("controller sweep") }
        if phases.isEmpty {
            phases.insert(lines.contains { $0.kind == "destroy.finished" } ? "finished, lock held" : "other")
        }
        return phases.sorted()
    }
}
