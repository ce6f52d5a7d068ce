import AWSClient
import Foundation
import StrataCompiler
import StrataModel
import StrataPlanner
import StrataProviders

/// One operation of an apply: the forward half (create or update) or the delete half of a
/// resource's change. A replacement is two steps, ordered create-before-destroy or
/// delete-then-create as the plan says.
public struct Step: Hashable, Comparable, Sendable, CustomStringConvertible {
    public enum Phase: Int, Sendable, Comparable {
        /// `rollout`: a cluster's ``RolloutPlan`` run by the ``RolloutRunner`` (the step's
        /// address is the cluster's).
        case create, update, rollout, delete
        public static func < (lhs: Phase, rhs: Phase) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public var address: ResourceAddress
    public var phase: Phase

    public init(_ address: ResourceAddress, _ phase: Phase) {
        self.address = address
        self.phase = phase
    }

    public static func < (lhs: Step, rhs: Step) -> Bool {
        lhs.address == rhs.address ? lhs.phase < rhs.phase : lhs.address < rhs.address
    }

    public var description: String { "\(phase) \(address)" }
}

/// Executes a ``Plan``: every create, update, replacement and deletion, in parallel along the
/// compiled graph's edges (bounded by `parallelism`). It never re-derives what to do: the plan's
/// actions are executed as they are. Values known only after apply (a new VPC's id in a subnet)
/// are resolved just before the step from what exists by then.
public struct Applier: Sendable {
    public var context: ProviderContext
    public var providers: [String: any ResourceProvider]
    public var catalog: [String: ResourceSchema]
    public var parallelism: Int
    public var events: EventEmitter
    /// How long a delete that AWS refuses with DependencyViolation is retried.
    public var deleteDeadline: Duration
    /// Once stopped (an interrupted run), no operation starts; running ones go on.
    public var stop: StopRequest
    /// Runs the plan's rollouts in place of the version updates they cover. Nil: versions move
    /// in place through the providers (`UpdateClusterVersion`, `UpdateNodegroupVersion`).
    public var rollouts: (any RolloutRunner)?

    public init(
        context: ProviderContext, events: EventEmitter, parallelism: Int = 10,
        providers: [String: any ResourceProvider] = ProviderRegistry.all,
        catalog: [String: ResourceSchema] = ResourceCatalog.all, deleteDeadline: Duration = .seconds(300),
        stop: StopRequest = StopRequest(), rollouts: (any RolloutRunner)? = nil
    ) {
        self.stop = stop
        self.rollouts = rollouts
        self.context = context
        self.providers = providers
        self.catalog = catalog
        self.parallelism = parallelism
        self.events = events
        self.deleteDeadline = deleteDeadline
    }

    /// The steps of `plan` and what each waits for. Public so `--dry-run`-like views and the
    /// benchmark's critical path use exactly the apply's edges.
    public static func steps(of plan: Plan, rollouts: Bool = false) -> (steps: [Step], dependencies: [Step: Set<Step>]) {
        var changes: [ResourceAddress: ResourceChange] = [:]
        for change in plan.changes where change.action != .noop { changes[change.address] = change }
        // Whose changes a rollout performs whole (dependents wait for the rollout instead).
        let performed = rollouts ? performedByRollouts(plan) : [:]
        // Every resource a rollout changes, whole or in part, with its rollout's cluster.
        var rolledOut: [ResourceAddress: ResourceAddress] = [:]
        for rollout in rollouts ? plan.runnableRollouts : [] {
            for address in rollout.coveredAttributes.keys { rolledOut[address] = rollout.cluster }
        }
        func forward(_ address: ResourceAddress) -> Step? {
            if let cluster = performed[address] { return Step(cluster, .rollout) }
            switch changes[address]?.action {
            case .create?, .replace?: return Step(address, .create)
            case .update?: return Step(address, .update)
            default: return nil
            }
        }
        func deleteStep(_ address: ResourceAddress) -> Step? {
            switch changes[address]?.action {
            case .delete?, .replace?: Step(address, .delete)
            default: nil
            }
        }
        // Who depends on whom, from the desired graph (creates, updates and replacements).
        var dependents: [ResourceAddress: [ResourceAddress]] = [:]
        for change in changes.values where change.action != .delete {
            for dependency in change.dependencies { dependents[dependency, default: []].append(change.address) }
        }
        var steps: [Step] = []
        var edges: [Step: Set<Step>] = [:]
        let pureDeletes = changes.values.filter { $0.action == .delete }
        let names = Dictionary(
            pureDeletes.map { ($0.address, DeletionRank.strings(in: $0.live?.attributes ?? $0.before ?? [:])) },
            uniquingKeysWith: { first, _ in first })
        for rollout in rollouts ? plan.runnableRollouts : [] {
            // A rollout waits for what its resources depend on, and for their other updates.
            let step = Step(rollout.cluster, .rollout)
            steps.append(step)
            var needs = Set<Step>()
            for address in rollout.coveredAttributes.keys {
                needs.formUnion((changes[address]?.dependencies ?? []).compactMap(forward))
                if performed[address] == nil, changes[address]?.action == .update { needs.insert(Step(address, .update)) }
            }
            needs.remove(step)
            edges[step] = needs
        }
        for change in changes.values.sorted(by: { $0.address < $1.address }) {
            let address = change.address
            if performed[address] != nil { continue }
            if let step = forward(address) {
                steps.append(step)
                var needs = Set(change.dependencies.compactMap(forward))
                // What depends on a resource a rollout moves waits for the rollout too (its own
                // rollout's other updates go first instead).
                for dependency in change.dependencies {
                    if let cluster = rolledOut[dependency], cluster != rolledOut[address] { needs.insert(Step(cluster, .rollout)) }
                }
                if change.action == .replace && !change.createBeforeDestroy { needs.insert(Step(address, .delete)) }
                edges[step] = needs
            }
            if let step = deleteStep(address) {
                steps.append(step)
                var needs = Set<Step>()
                // What still uses it goes first: dependents being replaced or deleted, and (for a
                // replacement created first) dependents moving over to the new one.
                for dependent in dependents[address] ?? [] {
                    if let gone = deleteStep(dependent) { needs.insert(gone) }
                    if change.createBeforeDestroy, let moved = forward(dependent) { needs.insert(moved) }
                }
                if change.action == .replace && change.createBeforeDestroy { needs.insert(Step(address, .create)) }
                // Orphans have no graph: dependents first by type, and what the plan names.
                for other in pureDeletes where other.address != address && Self.deletes(other, names: names, before: change) {
                    needs.insert(Step(other.address, .delete))
                }
                if change.action == .delete {
                    needs.formUnion(change.dependencies.compactMap(deleteStep))
                }
                edges[step] = needs
            }
        }
        return (steps, edges)
    }

    /// The resources whose whole change rollouts perform (an update of covered attributes
    /// only), each with its rollout's cluster.
    static func performedByRollouts(_ plan: Plan) -> [ResourceAddress: ResourceAddress] {
        var performed: [ResourceAddress: ResourceAddress] = [:]
        for rollout in plan.rollouts {
            for (address, covered) in rollout.coveredAttributes {
                guard let change = plan.change(for: address), change.action == .update || change.action == .noop else { continue }
                if let covered, !Set(change.changedAttributes).isSubset(of: covered) { continue }
                performed[address] = rollout.cluster
            }
        }
        return performed
    }

    /// The attributes an update step still changes once rollouts took theirs.
    static func changedByUpdate(_ change: ResourceChange, plan: Plan, rollouts: Bool) -> Set<String> {
        var changed = Set(change.changedAttributes)
        guard rollouts else { return changed }
        for rollout in plan.rollouts {
            if let covered = rollout.coveredAttributes[change.address] { changed.subtract(covered ?? changed) }
        }
        return changed
    }

    /// Whether the pure delete `first` goes before the delete `second` (``DeletionRank``), by
    /// their live resources where both have one, else by type.
    private static func deletes(
        _ first: ResourceChange, names: [ResourceAddress: Set<String>], before second: ResourceChange
    ) -> Bool {
        guard let earlier = first.live, let later = second.live else {
            return DeletionRank.deletes(first.type, before: second.type)
        }
        return DeletionRank.deletes(earlier, naming: names[first.address] ?? [], before: later)
    }

    /// Applies `plan`. Never throws for an operation's failure: the report lists failures (with
    /// AWS code and request id), skipped dependents and cancellations. `program` is the plan's
    /// (what the command compiled, or decoded from the plan file), when the caller has it.
    public func apply(_ plan: Plan, program: Program? = nil) async -> ExecutionReport {
        let clock = ContinuousClock()
        let start = clock.now
        var report = ExecutionReport(runID: events.runID)
        let (steps, edges) = Self.steps(of: plan, rollouts: rollouts != nil)
        let rolloutPlans = Dictionary(plan.rollouts.map { ($0.cluster, $0) }, uniquingKeysWith: { first, _ in first })
        events.emit(
            .applyStarted,
            [
                "stack": plan.stack, "operations": String(steps.count), "add": String(plan.summary.add),
                "change": String(plan.summary.change), "destroy": String(plan.summary.destroy),
                "parallelism": String(parallelism),
            ])
        let changes = Dictionary(plan.changes.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
        for step in steps {
            let pending = (edges[step] ?? []).sorted()
            guard !pending.isEmpty, let change = changes[step.address] else { continue }
            events.emit(
                .resourceWaiting, plane: change.plane.rawValue,
                [
                    "address": step.address.canonical, "type": change.type, "action": Self.actionName(step, change),
                    "waitingFor": pending.map(\.address.canonical).joined(separator: ", "),
                ])
        }
        var initial: [ResourceAddress: [String: Value]] = [:]
        for change in plan.changes {
            if let live = change.live, change.action != .delete { initial[change.address] = live.attributes }
        }
        let state = ApplyState(plan: plan, program: program, catalog: catalog, live: initial)
        let results = ResultLog()
        let settling = Settling()
        let walk = Walk(nodes: steps, dependencies: edges, parallelism: parallelism, stop: stop)
        // What a killed run left coming up and nothing in this run depends on is waited for
        // alongside the walk: apply reports success only with nothing of the stack mid-create.
        async let leftovers = settleLeftovers(plan, state: state, settling: settling)
        let outcome = await walk.run(
            { step in
                if step.phase == .rollout, let rollout = rolloutPlans[step.address], let rollouts {
                    try await runRollout(rollout, rollouts, plan: plan, state: state, results: results)
                    return
                }
                guard let change = changes[step.address] else { return }
                try await execute(
                    step, change, changes: changes, plan: plan, state: state, results: results, settling: settling)
            },
            onSkip: { step, cause in
                let change = changes[step.address]
                events.emit(
                    .resourceSkipped, plane: change?.plane.rawValue ?? Plane.control.rawValue,
                    [
                        "address": step.address.canonical, "type": change?.type ?? "",
                        "action": change.map { Self.actionName(step, $0) } ?? "", "cause": cause.address.canonical,
                    ])
            })
        let done = await results.snapshot()
        report.created = done.created
        report.updated = done.updated
        report.deleted = done.deleted
        report.rolloutNotes = done.rolloutNotes
        for (step, error) in outcome.failures.sorted(by: { $0.key < $1.key }) {
            let action = changes[step.address].map { Self.actionName(step, $0) } ?? "\(step.phase)"
            report.failures.append(OperationFailure(address: step.address, action: action, error: error))
        }
        report.skipped = outcome.skipped.sorted { $0.key < $1.key }.map { ($0.key.address, $0.value.address) }
        report.cancelled = outcome.cancelled.sorted().map(\.address)
        report.blocked = outcome.blocked.sorted().map(\.address)
        for step in outcome.interrupted.sorted() {
            guard let change = changes[step.address] else { continue }
            report.interrupted.append((step.address, Self.actionName(step, change)))
        }
        for (address, error) in await leftovers {
            if error is CancellationError {
                report.interrupted.append((address, "settle"))
            } else {
                report.failures.append(OperationFailure(address: address, action: "settle", error: error))
            }
        }
        for item in report.interrupted {
            let change = changes[item.address]
            events.emit(
                .resourceInterrupted, plane: change?.plane.rawValue ?? Plane.control.rawValue,
                ["address": item.address.canonical, "type": change?.type ?? "", "action": item.action, "state": "unknown"])
        }
        report.duration = clock.now - start
        events.emit(
            .applyFinished,
            [
                "stack": plan.stack, "succeeded": String(report.succeeded), "created": String(report.created.count),
                "updated": String(report.updated.count), "deleted": String(report.deleted.count),
                "failed": String(report.failures.count), "skipped": String(report.skipped.count),
                "cancelled": String(report.cancelled.count), "interrupted": String(report.interrupted.count),
            ])
        return report
    }

    static func actionName(_ step: Step, _ change: ResourceChange) -> String {
        switch (change.action, step.phase) {
        case (_, .rollout): "rollout"
        case (.replace, .create): "replace (create)"
        case (.replace, .delete): "replace (delete)"
        default: change.action.rawValue
        }
    }

    /// One cluster's rollout: the engine performs it, and the resources whose changes it
    /// covered are reported updated. Its failure is the rollout's own message (a blocked drain
    /// names pods and budgets; a rollback its cause), at the cluster's address.
    private func runRollout(
        _ rollout: RolloutPlan, _ runner: any RolloutRunner, plan: Plan, state: ApplyState, results: ResultLog
    ) async throws {
        guard !rollout.isBlocked else {
            throw ProviderError(
                type: "aws_eks_cluster", address: rollout.cluster,
                reason: .failed(
                    status: "refused by its preflight",
                    detail: rollout.findings.filter { $0.severity == .blocking }.map { "\($0.message) (\($0.fix))" }.joined(separator: "; ")
                ),
                span: rollout.findings.first { $0.severity == .blocking }?.span)
        }
        let notes = try await runner.run(rollout, context: context, events: events, stop: stop) { address in
            try await state.desired(for: address)
        }
        await results.rolledOut(Self.performedByRollouts(plan).filter { $0.value == rollout.cluster }.keys.sorted(), notes: notes)
    }

    private func execute(
        _ step: Step, _ change: ResourceChange, changes: [ResourceAddress: ResourceChange], plan: Plan, state: ApplyState,
        results: ResultLog, settling: Settling
    ) async throws {
        guard let provider = providers[change.type] else {
            throw ExecutorError.missingProvider(type: change.type, address: change.address)
        }
        let plane = change.plane.rawValue
        let stopwatch = Stopwatch()
        var payload = ["address": change.address.canonical, "type": change.type, "action": Self.actionName(step, change)]
        // What an error may quote and must not carry into events or the report.
        var secrets = change.secretTexts
        do {
            switch step.phase {
            case .create:
                events.emit(.resourceCreating, plane: plane, payload)
                try await settleDependencies(of: change, changes, state: state, settling: settling)
                let desired = try await state.desired(for: change.address)
                secrets.formUnion(desired.attributes.secretTexts(at: change.sensitiveAttributes))
                let live = try await retryingTransient(step, change) { attempt in
                    // A create whose answer was a 5xx may have happened: look for it (by its
                    // ownership tag or identity) before sending it again.
                    if attempt > 1, let found = try await findCreated(desired, provider) {
                        return try await complete(found, desired, provider)
                    }
                    return try await provider.create(desired, context)
                }
                await state.record(change.address, live.attributes)
                await results.created(change.address)
                payload["id"] = live.id
                payload["elapsedSeconds"] = stopwatch.elapsed
                events.emit(.resourceCreated, plane: plane, payload)
            case .update:
                guard let planned = change.live else { throw ExecutorError.missingLive(change.address) }
                payload["id"] = planned.id
                payload["changed"] = change.changedAttributes.joined(separator: ",")
                events.emit(.resourceUpdating, plane: plane, payload)
                try await settleDependencies(of: change, changes, state: state, settling: settling)
                // AWS refuses to change what it is still creating (a node group CREATING).
                let current = try await settled(planned, change.address, state: state, settling: settling) ?? planned
                let desired = try await state.desired(for: change.address)
                secrets.formUnion(desired.attributes.secretTexts(at: change.sensitiveAttributes))
                let changed = Self.changedByUpdate(change, plan: plan, rollouts: rollouts != nil)
                let live = try await retryingTransient(step, change) { _ in
                    try await provider.update(current, to: desired, changed: changed, context)
                }
                await state.record(change.address, live.attributes)
                await results.updated(change.address)
                payload["elapsedSeconds"] = stopwatch.elapsed
                events.emit(.resourceUpdated, plane: plane, payload)
            case .rollout:
                return
            case .delete:
                guard let current = change.live else { throw ExecutorError.missingLive(change.address) }
                payload["id"] = current.id
                events.emit(.resourceDeleting, plane: plane, payload)
                // A replaced resource deleted first is gone until its successor exists: nothing
                // may resolve against the old id meanwhile.
                if change.action == .replace && !change.createBeforeDestroy { await state.forget(change.address) }
                try await retryingTransient(step, change) { _ in
                    try await RetryingDelete(deadline: deleteDeadline, firstPause: .seconds(1), events: events).delete(
                        current, address: change.address, plane: plane, provider: provider, context: context)
                }
                await results.deleted(change.address)
                payload["elapsedSeconds"] = stopwatch.elapsed
                events.emit(.resourceDeleted, plane: plane, payload)
            }
        } catch let error where !(error is CancellationError) {
            let failure = SecretScrubbing.hiding(secrets, in: ProviderError(error, of: change))
            payload["elapsedSeconds"] = stopwatch.elapsed
            events.emit(.resourceFailed, plane: plane, payload.merging(failure.eventPayload) { _, new in new })
            throw failure
        }
    }
}

extension Applier {
    /// How many times an operation is tried when AWS answers with throttling or a 5xx after the
    /// client's own retries (which never resend a create without a client token).
    static let transientAttempts = 4

    /// Runs `body` again (with backoff) while it fails with throttling or a transient server error.
    func retryingTransient<T: Sendable>(
        _ step: Step, _ change: ResourceChange, _ body: (Int) async throws -> T
    ) async throws -> T {
        var pause: Duration = .milliseconds(500)
        var attempt = 1
        while true {
            do {
                return try await body(attempt)
            } catch let error as AWSError where (error.isTransient || error.isThrottling) && attempt < Self.transientAttempts {
                events.emit(
                    .resourceRetrying, plane: change.plane.rawValue,
                    [
                        "address": change.address.canonical, "type": change.type, "action": Self.actionName(step, change),
                        "attempt": String(attempt), "errorCode": error.code, "requestId": error.requestID ?? "",
                        "reason": error.message,
                    ])
                try await Task.sleep(for: pause)
                pause *= 2
                attempt += 1
            }
        }
    }

    /// Waits for the dependencies the plan leaves alone but AWS is still bringing up: a run
    /// killed while its create waited (cluster CREATING, NAT gateway pending) leaves them so,
    /// and the next plan finds them, unchanged, while their dependents are still to create.
    /// Creating a node group on a CREATING cluster fails; waiting is what the killed run did.
    func settleDependencies(
        of change: ResourceChange, _ changes: [ResourceAddress: ResourceChange], state: ApplyState, settling: Settling
    ) async throws {
        for dependency in change.dependencies {
            guard let other = changes[dependency], other.action == .noop, let live = other.live else { continue }
            _ = try await settled(live, dependency, state: state, settling: settling)
        }
    }

    /// The unchanged resources of `plan` that discovery found still coming up (a cluster, node
    /// group or add-on `CREATING`, a NAT gateway `pending`): what a killed run left. Apply
    /// waits for them even when nothing else is to be done.
    public static func unsettled(_ plan: Plan) -> [ResourceChange] {
        plan.changes.filter { $0.action == .noop && $0.live?.transitional != nil }.sorted { $0.address < $1.address }
    }

    /// Waits for every ``unsettled(_:)`` resource (all at once; each shares its wait with the
    /// steps that depend on it), shown as an `update` with action `settle` in the events.
    /// Returns the failures (a `CREATE_FAILED` add-on, a deadline passed).
    func settleLeftovers(_ plan: Plan, state: ApplyState, settling: Settling) async -> [(ResourceAddress, any Error)] {
        await withTaskGroup(of: (ResourceAddress, (any Error)?).self) { group in
            // A run stopped before it began has nothing to wait for: it changes nothing.
            for change in Self.unsettled(plan) where !stop.isStopped {
                guard let live = change.live else { continue }
                group.addTask {
                    let stopwatch = Stopwatch()
                    var payload = [
                        "address": change.address.canonical, "type": change.type, "action": "settle", "id": live.id,
                        "reason": "found \(live.transitional ?? "") (left by an interrupted run); waiting until usable",
                    ]
                    events.emit(.resourceUpdating, plane: change.plane.rawValue, payload)
                    do {
                        _ = try await settled(live, change.address, state: state, settling: settling)
                        payload["elapsedSeconds"] = stopwatch.elapsed
                        events.emit(.resourceUpdated, plane: change.plane.rawValue, payload)
                        return (change.address, nil)
                    } catch is CancellationError {
                        return (change.address, CancellationError())
                    } catch {
                        payload["elapsedSeconds"] = stopwatch.elapsed
                        let failure = SecretScrubbing.hiding(change.secretTexts, in: ProviderError(error, of: change))
                        events.emit(.resourceFailed, plane: change.plane.rawValue, payload.merging(failure.eventPayload) { _, new in new })
                        return (change.address, failure)
                    }
                }
            }
            var failures: [(ResourceAddress, any Error)] = []
            for await (address, error) in group {
                if let error { failures.append((address, error)) }
            }
            return failures.sorted { $0.0 < $1.0 }
        }
    }

    /// `live` once usable (nil when it already was), waited for once per apply however many
    /// steps need it; the settled attributes (a cluster's endpoint and OIDC issuer, unknown while
    /// CREATING) are what dependents resolve against.
    func settled(_ live: LiveResource, _ address: ResourceAddress, state: ApplyState, settling: Settling) async throws -> LiveResource? {
        guard let provider = providers[live.type] else { return nil }
        let context = self.context
        return try await settling.once(address) {
            guard let settled = try await provider.settle(live, context) else { return nil }
            await state.record(address, settled.attributes)
            return settled
        }
    }

    /// An adopted resource whose create was cut short (the first call of a multi-call create
    /// landed: an internet gateway created but not attached) is brought to the desired state
    /// with an update, exactly as a plan after a crash would; first the provider finishes what
    /// a diff cannot see (a security group's default egress, a cluster still CREATING).
    func complete(_ found: LiveResource, _ desired: DesiredResource, _ provider: any ResourceProvider) async throws -> LiveResource {
        let found = try await provider.settle(found, context) ?? found
        guard let schema = catalog[desired.type] else { return found }
        let diff = Differ.diff(desired: desired.attributes, live: found, schema: schema)
        switch diff.action {
        case .update: return try await provider.update(found, to: desired, changed: Set(diff.changed), context)
        case .replace:
            throw ExecutorError.unresolved(desired.address, diff.replaceBecause.map { "\($0) (adopted resource differs; plan again)" })
        default: return found
        }
    }

    /// The resource a possibly-sent create made, found with a fresh (uncached) discovery: by its
    /// address tag, or for untagged children by identity.
    func findCreated(_ desired: DesiredResource, _ provider: any ResourceProvider) async throws -> LiveResource? {
        var fresh = context
        fresh.cache = DiscoveryCache()
        let live = try await provider.discover(fresh)
        if let tagged = live.first(where: { $0.address == desired.address }) { return tagged }
        guard let identity = provider.identity(of: desired.attributes) else { return nil }
        return live.first { $0.address == nil && $0.identity == identity }
    }
}

/// One wait per resource for ``Applier/settled(_:_:state:settling:)``: concurrent steps that
/// need the same cluster share its wait (and its failure).
actor Settling {
    private var waits: [ResourceAddress: Task<LiveResource?, any Error>] = [:]

    func once(_ address: ResourceAddress, _ wait: @escaping @Sendable () async throws -> LiveResource?) async throws -> LiveResource? {
        if let running = waits[address] { return try await running.value }
        let task = Task { try await wait() }
        waits[address] = task
        return try await task.value
    }
}

/// What finished, in order, for the report.
actor ResultLog {
    private(set) var createdList: [ResourceAddress] = []
    private(set) var updatedList: [ResourceAddress] = []
    private(set) var deletedList: [ResourceAddress] = []
    private(set) var rolloutNotes: [String] = []

    func created(_ address: ResourceAddress) { createdList.append(address) }
    func rolledOut(_ addresses: [ResourceAddress], notes: [String]) {
        updatedList += addresses.filter { !updatedList.contains($0) }
        rolloutNotes += notes
    }
    func updated(_ address: ResourceAddress) { updatedList.append(address) }
    func deleted(_ address: ResourceAddress) { if !deletedList.contains(address) { deletedList.append(address) } }

    func snapshot() -> (created: [ResourceAddress], updated: [ResourceAddress], deleted: [ResourceAddress], rolloutNotes: [String]) {
        (createdList, updatedList, deletedList, rolloutNotes)
    }
}

/// The live values known so far in one apply and the desired resources resolved against them.
/// Resolving evaluates the plan's program again (milliseconds), at most once per generation of
/// new live values: steps that become ready together share one evaluation.
actor ApplyState {
    private let plan: Plan
    private let catalog: [String: ResourceSchema]
    private let resolver: DesiredResolver
    private var live: [ResourceAddress: [String: Value]]
    private var generation = 0
    private var resolvedGeneration = -1
    private var resolved: [ResourceAddress: DesiredResource] = [:]
    /// How many times the stack was compiled again (tests check it stays small).
    private(set) var compiles = 0

    init(plan: Plan, program: Program? = nil, catalog: [String: ResourceSchema], live: [ResourceAddress: [String: Value]]) {
        self.plan = plan
        self.catalog = catalog
        self.live = live
        resolver = DesiredResolver(plan: plan, program: program, catalog: catalog)
    }

    func record(_ address: ResourceAddress, _ attributes: [String: Value]) {
        live[address] = attributes
        generation += 1
    }

    func forget(_ address: ResourceAddress) {
        guard live.removeValue(forKey: address) != nil else { return }
        generation += 1
    }

    /// What to create or update `address` to: the plan's desired resource when it is fully
    /// known, else resolved against the live values so far. Throws when attributes the stack
    /// sets are still unknown.
    func desired(for address: ResourceAddress) throws -> DesiredResource {
        guard var desired = plan.desiredResource(for: address) else { throw ExecutorError.missingLive(address) }
        if !unresolvedNames(desired).isEmpty {
            if resolvedGeneration != generation {
                resolved = try resolver.resolve(live: live)
                resolvedGeneration = generation
                compiles += 1
            }
            if let fresh = resolved[address] { desired = fresh }
        }
        let missing = unresolvedNames(desired)
        guard missing.isEmpty else { throw ExecutorError.unresolved(address, missing) }
        // The token names the call's actual content: a plan token computed while `vpc_id` was
        // unknown would be the same for every VPC, and AWS refuses one token with different
        // parameters (IdempotentParameterMismatch). Same content, same token is what lets a
        // re-run after a crash be answered with the first create.
        desired.idempotencyToken = IdempotencyToken.derive(stack: plan.stack, address: address, attributes: desired.attributes)
        return desired
    }

    /// Attributes the stack sets whose value is not known yet (computed ones are AWS's to fill).
    private func unresolvedNames(_ desired: DesiredResource) -> [String] {
        let schema = catalog[desired.type]
        return desired.attributes.filter { name, value in
            schema?.attributes[name]?.presence != .computed && Self.containsUnknown(value)
        }.keys.sorted()
    }

    static func containsUnknown(_ value: Value) -> Bool {
        switch value {
        case .unknown: true
        case .list(let items): items.contains(where: containsUnknown)
        case .map(let members): members.values.contains(where: containsUnknown)
        default: false
        }
    }
}

/// When an operation started, for its events' `elapsedSeconds`.
struct Stopwatch {
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant

    init() { started = clock.now }

    /// Seconds since it started, as events write them (`1.234`).
    var elapsed: String { String(format: "%.3f", StackLock.seconds(clock.now - started)) }
}
