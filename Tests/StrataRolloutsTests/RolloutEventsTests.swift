import StrataExecutor
import Testing

@testable import StrataRollouts

/// Event kinds are read by pipelines and webhooks: their names are part of the interface.
@Suite("Rollout event kinds")
struct RolloutEventsTests {
    @Test("every rollout event has the name docs/rollouts.md promises")
    func names() {
        let kinds: [EventKind] = [
            .rolloutStarted, .clusterUpgraded, .addonUpgraded, .nodegroupCreated, .nodeCordoned, .podEvicted, .evictionBlocked,
            .nodeDrained, .nodegroupDeleted, .rolloutRolledBack, .rolloutFinished,
        ]
        #expect(
            kinds.map(\.rawValue) == [
                "rollout.started", "cluster.upgraded", "addon.upgraded", "nodegroup.created", "node.cordoned", "pod.evicted",
                "eviction.blocked", "node.drained", "nodegroup.deleted", "rollout.rolledBack", "rollout.finished",
            ])
    }
}
