import StrataProviders

/// Nodes cordoned by a rollout that no longer exists (its green group is gone: a run killed
/// while rolling back, or between deleting green and lifting the cordon) are uncordoned, so no
/// node stays cordoned without a rollout that records it. Cordons of a rollout still in flight
/// (its green group exists) are kept: that rollout's re-run continues its drain.
struct OrphanedCordons {
    let calls: EKSRolloutCalls
    let drainer: any NodeDrainer

    /// The nodes it uncordoned.
    func lift(cluster: String) async throws -> [String] {
        var orphans: [String] = []
        var greenExists: [String: Bool] = [:]
        for (node, record) in try await drainer.recordedNodes() {
            guard let parsed = RolloutRecord.parse(record), parsed.cluster == cluster else { continue }
            if greenExists[parsed.green] == nil {
                greenExists[parsed.green] = try await calls.nodegroup(cluster: cluster, name: parsed.green) != nil
            }
            if greenExists[parsed.green] == false { orphans.append(node) }
        }
        if !orphans.isEmpty { try await drainer.uncordon(orphans.sorted()) }
        return orphans.sorted()
    }
}
