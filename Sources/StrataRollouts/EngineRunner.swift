import StrataExecutor
import StrataKubernetes
import StrataModel
import StrataProviders

/// The ``RolloutRunner`` the command line hands the ``Applier``: each rollout of the plan run by
/// a ``RolloutEngine`` with the run's client, events and stop request.
public struct EngineRunner: RolloutRunner {
    public var options: RolloutOptions

    public init(options: RolloutOptions = RolloutOptions()) {
        self.options = options
    }

    public func run(
        _ rollout: RolloutPlan, context: ProviderContext, events: EventEmitter, stop: StopRequest,
        desired: @escaping @Sendable (ResourceAddress) async throws -> DesiredResource
    ) async throws -> [String] {
        let engine = RolloutEngine(context: context, events: events, stop: stop, options: options)
        let outcome = try await engine.run(rollout, desired: desired)
        var notes = [
            "\(rollout.clusterName) \(rollout.fromVersion) -> \(rollout.toVersion): \(outcome.steps) step(s), \(outcome.evicted) pod(s) evicted"
        ]
        if !outcome.forceDeleted.isEmpty {
            notes.append(
                "\(rollout.clusterName): --force-drain deleted \(outcome.forceDeleted.count) pod(s) their budgets protected: "
                    + outcome.forceDeleted.joined(separator: ", "))
        }
        if !outcome.uncordonedOrphans.isEmpty {
            notes.append(
                "\(rollout.clusterName): uncordoned \(outcome.uncordonedOrphans.count) node(s) a finished or rolled-back rollout had left cordoned: "
                    + outcome.uncordonedOrphans.joined(separator: ", "))
        }
        notes += outcome.karpenter?.lines ?? []
        return notes
    }
}
