import Foundation
import StrataExecutor
import StrataKubernetes
import StrataModel
import StrataPlanner
import StrataProviders

/// A node pool rolled blue/green: the green group created at the target from the stack's
/// desired pool (same labels, taints, launch template, subnets, scaling) with the rollout's
/// name and tags, waited ACTIVE and its nodes Ready; every blue node cordoned with the record;
/// blue drained; blue deleted; green's rollout tags removed.
///
/// Each stage first reads where the account and cluster are, so a re-run after kill -9 carries
/// on: green found is adopted, blue found DELETING is waited gone. Before any pod moves, a
/// failure or a stop rolls back (blue uncordoned, green deleted); once pods move, a stop or a
/// blocked drain leaves the rollout recorded for a re-run, since pods already on green must not
/// be moved twice.
struct BlueGreenStep {
    let engine: RolloutEngine
    let kubernetes: KubernetesClient
    let cordon: NodeCordon

    /// What the drain did (nil when a killed run had already drained blue).
    func run(_ step: RolloutStep, cluster: String, desired pool: DesiredResource) async throws -> DrainReport? {
        let calls = engine.calls
        guard let target = step.toVersion else { throw RolloutError.inconsistent("\(step.summary): the step names no version") }
        let blue = step.name
        let green = step.greenName ?? RolloutRecord.greenName(blue: blue, target: target)
        let base = ["cluster": cluster, "hop": step.hop, "blue": blue, "green": green]
        var greenGroup = try await calls.nodegroup(cluster: cluster, name: green)
        guard let blueGroup = try await calls.nodegroup(cluster: cluster, name: blue) else {
            // Blue is gone: a killed run deleted it; only green's record is left to clear.
            guard let greenGroup else {
                throw RolloutError.inconsistent("node pool \(step.target): neither \(cluster)/\(blue) nor \(cluster)/\(green) exists")
            }
            try await finish(greenGroup, cluster: cluster)
            return nil
        }
        if blueGroup.status == "DELETING" {
            try await deleteBlue(blue, cluster: cluster, base: base)
            if let greenGroup { try await finish(greenGroup, cluster: cluster) }
            return nil
        }
        // A green left DELETING by a killed rollback is let go before it is made again.
        if greenGroup?.status == "DELETING" {
            try await calls.deleteNodegroup(cluster: cluster, name: green)
            greenGroup = nil
        }
        let record = CordonRecord(cluster: cluster, blueGroup: blue, greenGroup: green)
        let blueNodes = try await kubernetes.nodes(labelSelector: "\(RolloutRecord.nodegroupLabel)=\(blue)").map(\.name).sorted()
        // Whether this rollout already cordoned blue (a killed run): then pods may have moved, and
        // going on is the only way that moves none twice.
        let recorded = try await cordon.recordedNodes(record).map(\.node.name)

        do {
            let created = try await untilStopped { try await createGreen(pool, green: green, blue: blue, target: target, step: step) }
            guard created else { throw Stopped() }
            let nodes = try await untilStopped { try await waitGreenReady(green, desired: pool, base: base) }
            guard nodes else { throw Stopped() }
            if engine.stop.isStopped && recorded.isEmpty { throw Stopped() }
        } catch let error where !(error is CancellationError) {
            guard recorded.isEmpty else {
                if error is Stopped { throw RolloutError.stoppedMidDrain(cluster: cluster, blue: blue, green: green) }
                throw error
            }
            let cause = error is Stopped ? "the run was stopped before any pod moved" : "\(error)"
            try await rollBack(cluster: cluster, blue: blue, blueNodes: blueNodes, green: green, cause: cause)
        }

        try await cordon.cordon(nodes: blueNodes, record: record)
        var options = engine.options.drain
        if let seconds = step.drainTimeoutSeconds { options.timeout = .seconds(seconds) }
        options.force = engine.options.forceDrain
        let drainer = Drainer(
            kube: kubernetes, events: engine.events, options: options, stop: engine.stop, onProgress: engine.options.onDrainProgress)
        let report: DrainReport
        do {
            report = try await drainer.drain(nodes: blueNodes)
        } catch let blocked as DrainTimedOut {
            throw RolloutError.drainBlocked(cluster: cluster, blue: blue, green: green, blocked)
        } catch let refused as DrainRefused {
            throw RolloutError.drainBlocked(cluster: cluster, blue: blue, green: green, refused)
        }
        if report.stopped { throw RolloutError.stoppedMidDrain(cluster: cluster, blue: blue, green: green) }
        let left = try await podsLeft(on: blueNodes)
        guard left.isEmpty else {
            throw RolloutError.inconsistent(
                "the drain of \(cluster)/\(blue) ended with pods still on it: \(left.prefix(5).joined(separator: ", "))")
        }
        try await deleteBlue(blue, cluster: cluster, base: base)
        if let greenGroup = try await calls.nodegroup(cluster: cluster, name: green) { try await finish(greenGroup, cluster: cluster) }
        return report
    }

    /// The green group: created (its token derived from the rollout, so a resend is the same
    /// create) or adopted when a killed run made it, then waited ACTIVE. The provider's create
    /// writes the tags in the call and adopts a group that carries this address.
    private func createGreen(_ pool: DesiredResource, green: String, blue: String, target: String, step: RolloutStep) async throws {
        guard let provider = ProviderRegistry.provider(for: pool.type) else {
            throw RolloutError.inconsistent("no provider for \(pool.type)")
        }
        var desired = pool
        desired.attributes["node_group_name"] = .string(green)
        desired.attributes["node_group_name_prefix"] = nil
        desired.attributes["version"] = .string(target)
        // The AMI release is the target minor's latest; blue's release belongs to its minor.
        desired.attributes["release_version"] = nil
        desired.tags.merge(RolloutRecord.greenTags(blue: blue, target: target)) { $1 }
        desired.idempotencyToken = IdempotencyToken.derive(
            stack: engine.context.stack, address: pool.address,
            attributes: desired.attributes.merging(["rollout-green": .string(green)]) { $1 })
        let existed = try await engine.calls.nodegroup(cluster: engine.clusterName(of: pool), name: green) != nil
        _ = try await provider.create(desired, engine.context)
        engine.events.emit(
            .nodegroupCreated, plane: "compute",
            [
                "cluster": engine.clusterName(of: pool), "hop": step.hop, "nodegroup": green, "blue": blue, "version": target,
                "nodes": String(Self.desiredSize(pool)), "adopted": existed ? "true" : "false",
            ])
    }

    /// Waits until green has as many Ready nodes as the pool's desired size, in the Kubernetes
    /// API (ACTIVE in EKS is not yet schedulable capacity).
    private func waitGreenReady(_ green: String, desired pool: DesiredResource, base: [String: String]) async throws {
        let wanted = Self.desiredSize(pool)
        let kubernetes = self.kubernetes
        _ = try await Waiter(policy: engine.context.waits).wait(
            for: "\(wanted) Ready node(s) of green node group \(green)", deadline: engine.options.greenReadyDeadline
        ) {
            let nodes = try await kubernetes.nodes(labelSelector: "\(RolloutRecord.nodegroupLabel)=\(green)")
            return nodes.filter(\.ready).count >= wanted ? true : nil
        }
    }

    /// The pool's `scaling_config.desired_size` (1 when unknown).
    static func desiredSize(_ pool: DesiredResource) -> Int {
        switch pool.attributes["scaling_config"] {
        case .map(let scaling)?: return scaling["desired_size"]?.intValue ?? 1
        case .list(let items)? where items.count == 1:
            if case .map(let scaling) = items[0] { return scaling["desired_size"]?.intValue ?? 1 }
            return 1
        default: return 1
        }
    }

    /// Pods other than DaemonSet and mirror pods still bound to `nodes`.
    private func podsLeft(on nodes: [String]) async throws -> [String] {
        var left: [String] = []
        for node in nodes {
            left += try await kubernetes.pods(onNode: node).filter { !$0.isDaemonOrMirror }.map { "\($0.namespace)/\($0.name)" }
        }
        return left
    }

    /// `DeleteNodegroup` blue (accepted while DELETING), waited gone.
    private func deleteBlue(_ blue: String, cluster: String, base: [String: String]) async throws {
        let started = ContinuousClock.now
        try await engine.calls.deleteNodegroup(cluster: cluster, name: blue)
        engine.events.emit(
            .nodegroupDeleted, plane: "compute",
            base.merging(["nodegroup": blue, "elapsedSeconds": String(format: "%.3f", (ContinuousClock.now - started) / .seconds(1))]) {
                $1
            })
    }

    /// Green is the pool now: its rollout tags go (it may still be coming up after a crash).
    private func finish(_ green: EKSRolloutCalls.NodeGroup, cluster: String) async throws {
        let keys = [RolloutRecord.blueTag, RolloutRecord.targetTag].filter { green.tags[$0] != nil }
        if !keys.isEmpty { try await engine.calls.untag(arn: green.arn, keys: keys) }
    }

    /// Before any pod moved: blue uncordoned first (so a kill between the two leaves a green
    /// the next run adopts, never a cordon without its rollout), then green deleted.
    private func rollBack(cluster: String, blue: String, blueNodes: [String], green: String, cause: String) async throws -> Never {
        try await cordon.uncordon(nodes: blueNodes)
        try await engine.calls.deleteNodegroup(cluster: cluster, name: green)
        engine.events.emit(
            .rolloutRolledBack, plane: "compute",
            ["cluster": cluster, "blue": blue, "green": green, "cause": cause, "uncordoned": String(blueNodes.count)])
        throw RolloutError.rolledBack(cluster: cluster, blue: blue, green: green, cause: cause)
    }

    /// Runs `body` until it finishes (true) or the run is stopped (false, `body` cancelled):
    /// waits of minutes must not hold a Ctrl-C that would roll back.
    private func untilStopped(_ body: @escaping @Sendable () async throws -> Void) async throws -> Bool {
        let stop = engine.stop
        let interval = engine.context.waits.interval
        return try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await body()
                return true
            }
            group.addTask {
                while !stop.isStopped { try await Task.sleep(for: interval) }
                return false
            }
            defer { group.cancelAll() }
            return try await group.next() ?? false
        }
    }
}

/// The run was stopped before any pod moved.
private struct Stopped: Error {}

extension RolloutEngine {
    func clusterName(of pool: DesiredResource) -> String {
        pool.attributes["cluster_name"]?.stringValue ?? ""
    }
}
