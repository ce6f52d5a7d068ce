import AWSClient
import Foundation
import StrataCompiler
import StrataModel
import StrataPlanner
import StrataProviders

/// Deletes everything a stack owns: every live resource tagged for it (found by the planner's
/// discovery), dependents first. Before the subnets and the VPC go, it sweeps what controllers
/// created in them for the stack's clusters that carries no strata tag (``ControllerSweep``):
/// Karpenter's instances and launch templates, the AWS Load Balancer Controller's load
/// balancers, target groups and security groups (and the in-tree cloud provider's classic load
/// balancers), the VPC CNI's interfaces left available. Anything else in the stack's network is
/// foreign and left alone; ``preview(graph:program:vars:)`` lists both before anything is
/// deleted. A delete refused with DependencyViolation is retried until a deadline, then reported
/// naming what blocks it (``NetworkBlockers``).
public struct Destroyer: Sendable {
    public var context: ProviderContext
    public var providers: [String: any ResourceProvider]
    public var parallelism: Int
    public var events: EventEmitter
    public var deleteDeadline: Duration
    /// Once stopped (an interrupted run), no deletion starts; running ones go on.
    public var stop: StopRequest

    /// Types deleted after the controller sweep (the sweep's leftovers live in them).
    static let afterSweep: Set<String> = ["aws_subnet", "aws_internet_gateway", "aws_vpc"]

    public init(
        context: ProviderContext, events: EventEmitter, parallelism: Int = 10,
        providers: [String: any ResourceProvider] = ProviderRegistry.all, deleteDeadline: Duration = .seconds(300),
        stop: StopRequest = StopRequest()
    ) {
        self.stop = stop
        self.context = context
        self.providers = providers
        self.parallelism = parallelism
        self.events = events
        self.deleteDeadline = deleteDeadline
    }

    /// What destroy would do, all found before it asks: the deletions, what the controller sweep
    /// would take and the foreign resources it would leave in the stack's network, and the
    /// clusters whose Kubernetes API refused to list the stack's manifests.
    public struct Preview: Sendable {
        public var plan: Plan
        public var sweep: SweepSurvey
        public var unreadableManifests: [UnreadableManifests.Refusal]
        /// The manifests the stack files declare in a cluster that could not be read (those
        /// whose cluster is not a literal name are counted in every such cluster).
        public var unreadManifestAddresses: [ResourceAddress]
    }

    /// ``plan(graph:program:vars:)`` and the sweep's survey of the stack's network.
    public func preview(graph: CompiledGraph?, program: Program? = nil, vars: [String: String] = [:]) async throws
        -> Preview
    {
        let unreadable = UnreadableManifests()
        var reading = self
        reading.context.unreadableManifests = unreadable
        let plan = try await reading.plan(graph: graph, program: program, vars: vars)
        let scope = NetworkScope(plan)
        let survey = try await sweep(events).survey(
            clusters: scope.clusters, vpcIDs: scope.vpcIDs, subnetIDs: scope.subnetIDs, declared: Self.declaredClusters(graph))
        let refusals = await unreadable.refusals
        let refused = Set(refusals.map(\.cluster))
        let unread = (graph?.instances ?? []).filter { instance in
            guard instance.type == "kubernetes_manifest", !refused.isEmpty else { return false }
            return instance.attributes["cluster"]?.stringValue.map(refused.contains) ?? true
        }.map(\.address)
        return Preview(plan: plan, sweep: survey, unreadableManifests: refusals, unreadManifestAddresses: unread)
    }

    /// The deletions destroy would make, as a plan (what `strata destroy` shows before asking):
    /// made by the planner (``Planner/planDestroy(graph:program:vars:)``), ordered by the
    /// deletion ranks.
    public func plan(graph: CompiledGraph?, program: Program? = nil, vars: [String: String] = [:]) async throws -> Plan {
        try await Planner(context: context, providers: providers).planDestroy(
            graph: graph, program: program, vars: vars)
    }

    /// Deletes everything in `plan` (from ``plan(graph:)``): first all but the subnets, gateways
    /// and VPC, then the controllers' leftovers, then those; or, when there is nothing a
    /// controller could have left (no cluster, no leftovers found), all in one walk.
    ///
    /// `graph` (the compiled stack, if it compiles) names the clusters the stack declares: a
    /// destroy run again after one that deleted the cluster and was killed before its sweep
    /// still sweeps what Karpenter launched for it.
    ///
    /// `survey` is the one ``preview(graph:program:vars:)`` made, when there was one: whether a
    /// sweep is needed at all is read from it rather than surveyed again.
    public func destroy(_ plan: Plan, graph: CompiledGraph? = nil, survey: SweepSurvey? = nil) async -> ExecutionReport {
        let clock = ContinuousClock()
        let start = clock.now
        events.emit(.destroyStarted, ["stack": plan.stack, "resources": String(plan.changes.count)])
        var report = await deleteAll(plan, graph: graph, survey: survey)
        report.duration = clock.now - start
        events.emit(
            .destroyFinished,
            [
                "stack": plan.stack, "succeeded": String(report.succeeded), "deleted": String(report.deleted.count),
                "failed": String(report.failures.count),
            ])
        return report
    }

    /// The deletions of ``destroy(_:graph:)``, in one walk or two around the sweep.
    private func deleteAll(_ plan: Plan, graph: CompiledGraph?, survey: SweepSurvey?) async -> ExecutionReport {
        let applier = Applier(
            context: context, events: EventEmitter(runID: events.runID, sink: QuietApplySink(inner: events.sink)),
            parallelism: parallelism, providers: providers, deleteDeadline: deleteDeadline, stop: stop)
        if await nothingToSweep(plan, graph: graph, survey: survey) {
            // No cluster, now or declared, and no controller's leftovers in the network: the
            // subnets, gateways and VPCs go in the same walk as what uses them, each as soon as
            // its own dependents are gone.
            return await applier.apply(plan)
        }
        var first = plan
        first.changes = plan.changes.filter { !Self.afterSweep.contains($0.type) }
        var report = await applier.apply(first)
        // An interrupted destroy starts no sweep (its deletions are operations too).
        guard report.succeeded && !stop.isStopped else {
            // What could not go first keeps the network in use (or the run was interrupted):
            // leave it, say so.
            for change in plan.changes where Self.afterSweep.contains(change.type) {
                report.cancelled.append(change.address)
            }
            return report
        }
        let scope = NetworkScope(plan)
        do {
            try await sweep(events).sweep(
                clusters: scope.clusters, vpcIDs: scope.vpcIDs, subnetIDs: scope.subnetIDs,
                declared: Self.declaredClusters(graph))
            var second = plan
            second.changes = plan.changes.filter { Self.afterSweep.contains($0.type) }
            let rest = await applier.apply(second)
            report.deleted += rest.deleted
            report.failures += rest.failures
            report.skipped += rest.skipped
            report.cancelled += rest.cancelled
            report.interrupted += rest.interrupted
            report.blocked += rest.blocked
        } catch {
            report.failures.append(
                OperationFailure(
                    address: ResourceAddress(module: nil, type: "sweep", name: "controllers"), action: "sweep", error: error))
        }
        return report
    }

    /// Whether the controller sweep has nothing to wait for: the plan deletes no cluster, the
    /// stack declares none, and the network holds nothing a controller made. (A survey that
    /// cannot be read counts as something to sweep.)
    private func nothingToSweep(_ plan: Plan, graph: CompiledGraph?, survey: SweepSurvey?) async -> Bool {
        let scope = NetworkScope(plan)
        guard scope.clusters.isEmpty, Self.declaredClusters(graph).isEmpty else { return false }
        guard !scope.subnetIDs.isEmpty || !scope.vpcIDs.isEmpty else { return true }
        if let survey { return survey.targets.isEmpty }
        let surveyed = try? await sweep(events).survey(clusters: [], vpcIDs: scope.vpcIDs, subnetIDs: scope.subnetIDs)
        return surveyed?.targets.isEmpty ?? false
    }

    private func sweep(_ events: EventEmitter) -> ControllerSweep {
        ControllerSweep(
            client: context.client, events: events, deadline: deleteDeadline, waits: context.waits, stack: context.stack)
    }

    /// The stack's network and clusters in a destroy plan: where the sweep looks, whose leftovers it takes.
    struct NetworkScope {
        var vpcIDs: [String]
        var subnetIDs: [String]
        var clusters: [String]

        init(_ plan: Plan) {
            vpcIDs = plan.changes.filter { $0.type == "aws_vpc" }.compactMap { $0.live?.id }
            subnetIDs = plan.changes.filter { $0.type == "aws_subnet" }.compactMap { $0.live?.id }
            clusters = plan.changes.filter { $0.type == "aws_eks_cluster" }.compactMap {
                $0.live?.attributes["name"]?.stringValue ?? $0.live?.id
            }
        }
    }

    /// The names of the clusters `graph` declares (where the stack files set them literally).
    static func declaredClusters(_ graph: CompiledGraph?) -> [String] {
        (graph?.instances ?? []).filter { $0.type == "aws_eks_cluster" }.compactMap { $0.attributes["name"]?.stringValue }.sorted()
    }
}

/// Drops the applier's `apply.started`/`apply.finished`, which a destroy reports as its own.
struct QuietApplySink: EventSink {
    var inner: any EventSink
    func emit(_ event: Event) {
        guard event.kind != .applyStarted, event.kind != .applyFinished else { return }
        inner.emit(event)
    }
}
