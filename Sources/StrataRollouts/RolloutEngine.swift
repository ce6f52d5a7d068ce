import AWSClient
import Foundation
import StrataExecutor
import StrataKubernetes
import StrataModel
import StrataPlanner
import StrataProviders

/// Runs one ``RolloutPlan`` exactly as planned: per hop the control plane, the add-ons, the node
/// pools (blue/green or in place), then Karpenter's drift report. Every step first reads what the
/// account and cluster hold and carries on from there, so a run killed at any moment is
/// continued by the next (DESIGN.md "Rollouts"; docs/rollouts.md, "Resume").
///
/// It emits the events of ``EventKind`` (RolloutEvents.swift) and never prints.
public struct RolloutEngine: Sendable {
    public var context: ProviderContext
    public var events: EventEmitter
    public var stop: StopRequest
    public var options: RolloutOptions
    /// The cluster's Kubernetes API (DescribeCluster's endpoint and CA, an EKS token).
    public var makeKubernetes: @Sendable (String, ProviderContext) async throws -> KubernetesClient

    public init(
        context: ProviderContext, events: EventEmitter, stop: StopRequest = StopRequest(), options: RolloutOptions = RolloutOptions(),
        makeKubernetes: @escaping @Sendable (String, ProviderContext) async throws -> KubernetesClient = RolloutEngine.eksKubernetes
    ) {
        self.context = context
        self.events = events
        self.stop = stop
        self.options = options
        self.makeKubernetes = makeKubernetes
    }

    /// A Kubernetes client for `cluster` from `DescribeCluster`.
    public static func eksKubernetes(_ cluster: String, _ context: ProviderContext) async throws -> KubernetesClient {
        guard let found = try await EKSRolloutCalls(context).endpoint(cluster) else {
            throw RolloutError.inconsistent("cluster \(cluster) has no endpoint yet (DescribeCluster)")
        }
        return try KubernetesClient.eks(cluster: cluster, endpoint: found.endpoint, caData: found.caData, aws: context.client)
    }

    /// Runs `plan`. `desired(address)` is what the stack wants a node pool to be (its labels,
    /// taints, launch template, subnets, scaling): the green group is created from it.
    /// Throws ``RolloutError`` (or the AWS or Kubernetes error that stopped a step).
    @discardableResult
    public func run(_ plan: RolloutPlan, desired: @escaping @Sendable (ResourceAddress) async throws -> DesiredResource) async throws
        -> RolloutOutcome
    {
        let started = ContinuousClock.now
        let cluster = plan.clusterName
        events.emit(
            .rolloutStarted,
            [
                "cluster": cluster, "address": plan.cluster.canonical, "from": plan.fromVersion, "to": plan.toVersion,
                "hops": plan.hops.joined(separator: ","), "steps": String(plan.steps.count),
            ])
        let kubernetes = try await makeKubernetes(cluster, context)
        let cordon = NodeCordon(kube: kubernetes, events: events)
        var outcome = RolloutOutcome(cluster: cluster)
        // A cordon whose rollout is gone (a run killed mid-rollback) is lifted before anything else.
        outcome.uncordonedOrphans = try await OrphanedCordons(calls: calls, cordon: cordon).lift(cluster: cluster)
        for step in plan.steps {
            // A stop between steps ends the rollout where it is: every step leaves the account
            // in a state the next run continues from.
            if stop.isStopped { throw CancellationError() }
            switch step.kind {
            case .controlPlane:
                try await ControlPlaneStep(engine: self).run(step, cluster: cluster)
            case .addon:
                try await AddonStep(engine: self).run(step, cluster: cluster)
            case .nodePoolBlueGreen:
                let report = try await BlueGreenStep(engine: self, kubernetes: kubernetes, cordon: cordon).run(
                    step, cluster: cluster, desired: try await desired(step.target))
                outcome.evicted += report?.evicted.count ?? 0
                outcome.forceDeleted += report?.forced.map { "\($0.pod) (\($0.cause))" } ?? []
            case .nodePoolInPlace:
                try await InPlaceStep(engine: self).run(step, cluster: cluster)
            case .karpenterDrift:
                outcome.karpenter = try await KarpenterDriftStep(kubernetes: kubernetes).survey(step)
            }
            outcome.steps += 1
        }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        events.emit(
            .rolloutFinished,
            [
                "cluster": cluster, "from": plan.fromVersion, "to": plan.toVersion, "steps": String(outcome.steps),
                "evicted": String(outcome.evicted), "forceDeleted": String(outcome.forceDeleted.count),
                "karpenterNodesBehind": String(outcome.karpenter?.nodesBehind.count ?? 0),
                "elapsedSeconds": String(format: "%.3f", seconds),
            ])
        return outcome
    }

    var calls: EKSRolloutCalls { EKSRolloutCalls(context) }

    /// `deadline` scaled as every provider wait is (tests shrink it with the sandbox's clock).
    func scaled(_ deadline: Duration) -> Duration { deadline * context.waits.deadlineScale }

    /// A client token for one call of a rollout: the same call in a re-run sends the same token,
    /// so EKS answers it with the update it already started.
    func token(_ address: ResourceAddress, _ call: String) -> String {
        IdempotencyToken.derive(stack: context.stack, address: address, attributes: ["rollout": .string(call)])
    }
}

/// Knobs a run sets (flags and environment of the command line).
public struct RolloutOptions: Sendable {
    /// `--force-drain`: at `drain_timeout`, delete the pods budgets still protect.
    public var forceDrain: Bool
    /// How long green's nodes may take to be Ready once the group is ACTIVE before the pool is
    /// rolled back (the wait policy scales it).
    public var greenReadyDeadline: Duration
    /// How drains pace themselves; each step's `drainTimeoutSeconds` and `forceDrain` override
    /// its timeout and force.
    public var drain: DrainOptions
    /// Each drain's state as it changes (the live view's input).
    public var onDrainProgress: (@Sendable (DrainProgress) -> Void)?

    public init(
        forceDrain: Bool = false, greenReadyDeadline: Duration = .seconds(15 * 60), drain: DrainOptions = DrainOptions(),
        onDrainProgress: (@Sendable (DrainProgress) -> Void)? = nil
    ) {
        self.forceDrain = forceDrain
        self.greenReadyDeadline = greenReadyDeadline
        self.drain = drain
        self.onDrainProgress = onDrainProgress
    }
}

/// What a finished rollout did, for the run's report.
public struct RolloutOutcome: Sendable {
    public var cluster: String
    public var steps = 0
    public var evicted = 0
    public var forceDeleted: [String] = []
    /// Nodes found cordoned by a rollout that no longer exists, uncordoned at the start.
    public var uncordonedOrphans: [String] = []
    public var karpenter: KarpenterDrift?

    public init(cluster: String) { self.cluster = cluster }
}
