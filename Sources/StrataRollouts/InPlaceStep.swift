import StrataExecutor
import StrataModel
import StrataProviders

/// `strategy: rolling`: EKS's managed update (`UpdateNodegroupVersion`) replaces the nodes in
/// place, evicting pods within their budgets. Reported as EKS reports it: a `PodEvictionFailure`
/// comes back with EKS's own message (which names the pods when EKS does).
struct InPlaceStep {
    let engine: RolloutEngine

    /// EKS gives each node up to 15 minutes of evictions; a pool of many nodes takes longer.
    static let deadline: Duration = .seconds(3 * 60 * 60)

    func run(_ step: RolloutStep, cluster: String) async throws {
        let calls = engine.calls
        let name = step.name
        guard let target = step.toVersion else { throw RolloutError.inconsistent("\(step.summary): the step names no version") }
        let started = ContinuousClock.now
        guard let group = try await calls.nodegroup(cluster: cluster, name: name) else {
            throw RolloutError.inconsistent("node group \(cluster)/\(name) does not exist")
        }
        var payload = ["cluster": cluster, "hop": step.hop, "nodegroup": name, "from": group.version, "to": target, "strategy": "rolling"]
        let update: EKSRolloutCalls.Update
        if let running = try await calls.updatesInProgress(cluster: cluster, nodegroup: name).last(where: { $0.type == "VersionUpdate" }) {
            update = running
            payload["resumed"] = "waited on the update a previous run started"
        } else if group.version == target {
            return
        } else {
            update = try await calls.updateNodegroupVersion(
                cluster: cluster, name: name, to: target, force: engine.options.forceDrain,
                token: engine.token(step.target, "rolling-\(target)"))
        }
        try await calls.wait(
            for: update, cluster: cluster, nodegroup: name, what: "EKS's rolling update of node group \(cluster)/\(name) to \(target)",
            deadline: Self.deadline)
        payload["updateId"] = update.id
        payload["elapsedSeconds"] = String(format: "%.3f", (ContinuousClock.now - started) / .seconds(1))
        // The group is the same one, updated: `nodegroup.created` would be untrue, so the event
        // is the run's generic update of the pool.
        engine.events.emit(
            .resourceUpdated, plane: "compute",
            payload.merging(["address": step.target.canonical, "type": "aws_eks_node_group", "action": "rolling update"]) { $1 })
    }
}
