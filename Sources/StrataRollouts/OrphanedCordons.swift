import StrataProviders

/// Nodes cordoned by a rollout that no longer exists (its green group is gone: a run killed
/// while rolling back, or between deleting green and lifting the cordon) are uncordoned, so no
/// node stays cordoned without a rollout that records it. Cordons of a rollout still in flight
/// (its green group exists) are kept: that rollout's re-run continues its drain.
struct OrphanedCordons {
    let calls: EKSRolloutCalls
    let cordon: NodeCordon

    /// The nodes it uncordoned.
    func lift(cluster: String) async throws -> [String] {
        var orphans: [String] = []
        var greenExists: [String: Bool] = [:]
        for (node, record) in try await cordon.recordedNodes() {
            guard let record, record.cluster == cluster else { continue }
            if greenExists[record.greenGroup] == nil {
                greenExists[record.greenGroup] = try await calls.nodegroup(cluster: cluster, name: record.greenGroup) != nil
            }
            if greenExists[record.greenGroup] == false { orphans.append(node.name) }
        }
        if !orphans.isEmpty { try await cordon.uncordon(nodes: orphans.sorted()) }
        return orphans.sorted()
    }
}
