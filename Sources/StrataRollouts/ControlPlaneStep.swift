import StrataExecutor
import StrataModel
import StrataProviders

/// `UpdateClusterVersion` to the hop's minor, waited on `DescribeUpdate`. A cluster already at
/// the minor is left alone; an update already under way (a killed run's) is waited on, not
/// started twice.
struct ControlPlaneStep {
    let engine: RolloutEngine

    /// EKS takes 20 to 40 minutes for a control-plane update.
    static let deadline: Duration = .seconds(60 * 60)

    func run(_ step: RolloutStep, cluster: String) async throws {
        let calls = engine.calls
        guard let target = step.toVersion else { throw RolloutError.inconsistent("\(step.summary): the step names no version") }
        let started = ContinuousClock.now
        let what = "control plane of \(cluster) to \(target)"
        var update: EKSRolloutCalls.Update?
        var resumed = false
        if let running = try await calls.updatesInProgress(cluster: cluster).last(where: { $0.type == "VersionUpdate" }) {
            update = running
            resumed = true
        } else {
            guard let live = try await calls.cluster(cluster) else { throw RolloutError.inconsistent("cluster \(cluster) does not exist") }
            if live.version == target {
                emit(step, cluster: cluster, target: target, update: nil, started: started, skipped: true)
                return
            }
            update = try await calls.updateClusterVersion(cluster, to: target, token: engine.token(step.target, "version-\(target)"))
        }
        guard let update else { return }
        // A Failed or Cancelled update throws naming its id and EKS's errors.
        try await calls.wait(for: update, cluster: cluster, what: what, deadline: Self.deadline)
        emit(step, cluster: cluster, target: target, update: update, started: started, skipped: false, resumed: resumed)
    }

    private func emit(
        _ step: RolloutStep, cluster: String, target: String, update: EKSRolloutCalls.Update?, started: ContinuousClock.Instant,
        skipped: Bool, resumed: Bool = false
    ) {
        var payload = [
            "cluster": cluster, "hop": step.hop, "from": step.fromVersion ?? "", "to": target,
            "elapsedSeconds": String(format: "%.3f", (ContinuousClock.now - started) / .seconds(1)),
        ]
        if let update { payload["updateId"] = update.id }
        if skipped { payload["skipped"] = "already at \(target)" }
        if resumed { payload["resumed"] = "waited on the update a previous run started" }
        engine.events.emit(.clusterUpgraded, payload)
    }
}
