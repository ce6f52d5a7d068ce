import StrataExecutor
import StrataModel
import StrataRollouts

/// Rollout plans as the planner writes them for the fixture's cluster, and the engine as tests run it.
extension RolloutFixture {
    /// 1.30 -> 1.31: control plane, vpc-cni to EKS's default for 1.31, the pool `system`.
    func plan(strategy: RolloutStep.Kind = .nodePoolBlueGreen, drainTimeout: Int = 60) -> RolloutPlan {
        RolloutPlan(
            cluster: Self.clusterAddress, clusterName: cluster, fromVersion: "1.30", toVersion: "1.31",
            steps: [
                RolloutStep(
                    kind: .controlPlane, hop: "1.31", target: Self.clusterAddress, name: cluster, fromVersion: "1.30", toVersion: "1.31",
                    estimateSeconds: 1200, summary: "control plane 1.30 -> 1.31"),
                RolloutStep(
                    kind: .addon, hop: "1.31", target: Self.addonAddress, name: "vpc-cni", fromVersion: "v1.18.6-eksbuild.1",
                    toVersion: "v1.19.2-eksbuild.1", estimateSeconds: 60, summary: "add-on vpc-cni"),
                RolloutStep(
                    kind: strategy, hop: "1.31", target: Self.pool, name: "system", fromVersion: "1.30", toVersion: "1.31",
                    greenName: strategy == .nodePoolBlueGreen ? "system-1-31" : nil, nodes: 3, drainTimeoutSeconds: drainTimeout,
                    estimateSeconds: 600, summary: "node pool system 1.30 -> 1.31"),
            ])
    }

    /// One hop `from` -> `to` of the pool currently named `blue`, add-on at EKS's default for the hop.
    func hop(from: String, to: String, blue: String, drainTimeout: Int = 60) -> RolloutPlan {
        let green = RolloutRecord.greenName(blue: blue, target: to)
        return RolloutPlan(
            cluster: Self.clusterAddress, clusterName: cluster, fromVersion: from, toVersion: to,
            steps: [
                RolloutStep(
                    kind: .controlPlane, hop: to, target: Self.clusterAddress, name: cluster, fromVersion: from, toVersion: to,
                    estimateSeconds: 1200, summary: "control plane \(from) -> \(to)"),
                RolloutStep(
                    kind: .addon, hop: to, target: Self.addonAddress, name: "vpc-cni", fromVersion: nil, toVersion: nil,
                    estimateSeconds: 60, summary: "add-on vpc-cni"),
                RolloutStep(
                    kind: .nodePoolBlueGreen, hop: to, target: Self.pool, name: blue, fromVersion: from, toVersion: to, greenName: green,
                    nodes: 3, drainTimeoutSeconds: drainTimeout, estimateSeconds: 600, summary: "node pool \(blue) \(from) -> \(to)"),
            ])
    }

    /// The engine with the fixture's client, short polls, and `events` collected.
    func engine(events: CollectingEventSink, stop: StopRequestHolder = StopRequestHolder(), options: RolloutOptions = .forTests)
        -> RolloutEngine
    {
        RolloutEngine(
            context: context, events: EventEmitter(runID: "test", sink: events), stop: stop.request, options: options)
    }
}

/// A StopRequest a test can hand around before the run starts.
struct StopRequestHolder: Sendable {
    let request = StopRequest()
}

extension RolloutOptions {
    /// Drains polling every 100 ms (the sandbox's pods turn Ready in 50 ms at time scale 0.01).
    static var forTests: RolloutOptions {
        RolloutOptions(
            greenReadyDeadline: .seconds(30),
            drain: DrainOptions(initialBackoff: .milliseconds(100), maxBackoff: .milliseconds(500), pollInterval: .milliseconds(100)))
    }
}
