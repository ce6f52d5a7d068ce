import StrataExecutor
import StrataModel
import StrataProviders

/// `UpdateAddon` to the hop's version, waited until the update is Successful. An add-on already
/// at the version is skipped (a re-run after a crash), one mid-update is waited on.
struct AddonStep {
    let engine: RolloutEngine

    static let deadline: Duration = .seconds(20 * 60)

    func run(_ step: RolloutStep, cluster: String) async throws {
        let calls = engine.calls
        let name = step.name
        let started = ContinuousClock.now
        // No pin in the stack: the version EKS marks default for the hop's minor.
        var pinned = step.toVersion
        if pinned == nil { pinned = try await calls.defaultAddonVersion(name, kubernetes: step.hop) }
        guard let target = pinned else {
            throw RolloutError.inconsistent("add-on \(name): EKS publishes no default version for Kubernetes \(step.hop)")
        }
        guard let live = try await calls.addon(cluster: cluster, name: name) else {
            throw RolloutError.inconsistent("add-on \(cluster)/\(name) does not exist")
        }
        var payload = ["cluster": cluster, "hop": step.hop, "addon": name, "from": step.fromVersion ?? live.version, "to": target]
        let update: EKSRolloutCalls.Update
        if let running = try await calls.updatesInProgress(cluster: cluster, addon: name).last {
            update = running
            payload["resumed"] = "waited on the update a previous run started"
        } else if live.version == target {
            payload["skipped"] = "already at \(target)"
            engine.events.emit(.addonUpgraded, payload)
            return
        } else {
            update = try await calls.updateAddon(
                cluster: cluster, name: name, to: target, resolveConflicts: nil, token: engine.token(step.target, "addon-\(target)"))
        }
        try await calls.wait(
            for: update, cluster: cluster, addon: name, what: "add-on \(cluster)/\(name) to \(target)", deadline: Self.deadline)
        payload["updateId"] = update.id
        payload["elapsedSeconds"] = String(format: "%.3f", (ContinuousClock.now - started) / .seconds(1))
        engine.events.emit(.addonUpgraded, payload)
    }
}
