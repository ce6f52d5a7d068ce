import AWSClient
import StrataExecutor
import StrataKubernetes
import StrataProviders

/// One drain's state and loop: observe the nodes' pods, evict those due, wait, again, until every
/// node is empty, the timeout passes or a stop is asked for. All state lives in this value and is
/// changed only between rounds, so the concurrent evictions of a round share nothing.
struct DrainRun {
    /// Where one pod's evictions stand.
    struct Attempt {
        var refusals = 0
        var nextTry: ContinuousClock.Instant
        /// What refused it last; a new `eviction.blocked` is emitted only when this changes.
        var blockedBy: StuckPod.Cause?
    }

    enum Answer {
        case outcome(EvictionOutcome)
        /// A lost connection or a 5xx: ask again later, the pod was not necessarily refused.
        case transient
        /// The stop came before this pod's turn.
        case skipped
    }

    let drainer: Drainer
    let order: [String]
    let clock = ContinuousClock()
    let start: ContinuousClock.Instant
    var waiting: [String]
    var active: [String] = []
    var drained: [String] = []
    /// Per active node, the pods its drain still has to see gone (last read).
    var left: [String: [KubernetesPod]] = [:]
    var attempts: [PodName: Attempt] = [:]
    var evicted: [DrainReport.Eviction] = []
    var forced: [DrainReport.ForcedDeletion] = []
    /// Set when a forced drain passed its timeout: deleted pods have until then to go.
    var forcingUntil: ContinuousClock.Instant?
    var lastProgress: DrainProgress?

    init(drainer: Drainer, nodes: [String]) {
        self.drainer = drainer
        var seen = Set<String>()
        order = nodes.filter { seen.insert($0).inserted }
        waiting = order
        start = clock.now
    }

    var options: DrainOptions { drainer.options }
    var kube: KubernetesClient { drainer.kube }
    var stopped: Bool { drainer.stop?.isStopped ?? false }

    mutating func execute() async throws -> DrainReport {
        if !options.force { try await refuseUnmovable() }
        let deadline = start + options.timeout
        while true {
            if stopped { return report(stopped: true) }
            try Task.checkCancellation()
            while active.count < options.maxNodesInParallel, !waiting.isEmpty { active.append(waiting.removeFirst()) }
            try await observe()
            if active.isEmpty, waiting.isEmpty {
                publish()
                return report(stopped: false)
            }
            if let forcingUntil {
                if clock.now >= forcingUntil, let failure = try await timedOut() { throw failure }
                try await forceDelete()
            } else if clock.now >= deadline {
                if !options.force {
                    if let failure = try await timedOut() { throw failure }
                    continue  // the last pods went since they were read: the next round sees it
                }
                active += waiting
                waiting = []
                try await observe()
                try await forceDelete()
            } else {
                try await evictDue()
            }
            publish()
            try await pause(until: nextWake(deadline: forcingUntil ?? deadline))
        }
    }

    // MARK: - Rounds

    /// Without `force`, a pod no controller recreates or one with `emptyDir` data stops the
    /// drain before its first eviction (as `kubectl drain` refuses).
    private func refuseUnmovable() async throws {
        let listed = try await concurrentMap(order, width: options.maxNodesInParallel) { [kube] node in
            (node, try await kube.pods(onNode: node))
        }
        let unmovable = listed.flatMap { node, pods in
            pods.compactMap { pod -> UnmovablePod? in
                guard !pod.terminating, case .unmovable(let reasons) = PodDisposition(pod) else { return nil }
                return UnmovablePod(pod: PodName(pod), node: node, reasons: reasons)
            }
        }
        if !unmovable.isEmpty { throw DrainRefused(pods: unmovable) }
    }

    /// Reads the active nodes' pods; a node left with only DaemonSet and mirror pods is drained.
    private mutating func observe() async throws {
        let listed = try await concurrentMap(active, width: options.maxNodesInParallel) { [kube] node in
            (node, try await kube.pods(onNode: node).filter { PodDisposition($0) != .leaveBehind })
        }
        for (node, pods) in listed {
            guard pods.isEmpty else {
                left[node] = pods
                continue
            }
            left[node] = nil
            active.removeAll { $0 == node }
            drained.append(node)
            let moved = evicted.filter { $0.node == node }.count + forced.filter { $0.node == node }.count
            drainer.events.emit(
                .nodeDrained, plane: "compute",
                ["node": node, "evicted": "\(moved)", "seconds": "\((clock.now - start).components.seconds)"])
        }
    }

    /// Asks the Eviction API for every pod whose turn has come, at most
    /// `maxEvictionsInFlight` at once, and books the answers.
    private mutating func evictDue() async throws {
        let now = clock.now
        let due = active.flatMap { left[$0] ?? [] }.filter { pod in
            !pod.terminating && (options.force || PodDisposition(pod) == .evict)
                && (attempts[PodName(pod)]?.nextTry ?? now) <= now
        }
        guard !due.isEmpty else { return }
        let stop = drainer.stop
        let answers = try await concurrentMap(due, width: options.maxEvictionsInFlight) { [kube] pod -> (KubernetesPod, Answer) in
            if stop?.isStopped == true || Task.isCancelled { return (pod, .skipped) }
            do {
                return (pod, .outcome(try await kube.evict(namespace: pod.namespace, pod: pod.name)))
            } catch is TransportError {
                return (pod, .transient)
            } catch let error as KubernetesError where error.httpStatus >= 500 {
                return (pod, .transient)
            } catch {
                throw DrainEvictionFailed(pod: PodName(pod), node: pod.nodeName ?? "", underlying: error)
            }
        }
        var budgets: [PodDisruptionBudget]?
        for (pod, answer) in answers {
            let name = PodName(pod)
            let node = pod.nodeName ?? ""
            switch answer {
            case .outcome(.evicted):
                attempts[name] = nil
                evicted.append(DrainReport.Eviction(pod: name, node: node))
                drainer.events.emit(.podEvicted, plane: "compute", ["namespace": pod.namespace, "pod": pod.name, "node": node])
            case .outcome(.gone):
                attempts[name] = nil
            case .outcome(.blockedByBudget(_, _, let message)):
                if budgets == nil { budgets = try await kube.podDisruptionBudgets() }
                let budget = budgets?.first { $0.selects(pod) }
                let refusal = BudgetRefusal(message: message)
                refused(pod, cause: budget.map { .budget(BudgetState($0, refusal: refusal)) } ?? .notYetEvicted, message: message)
            case .outcome(.multipleBudgets(_, _, let message)):
                if budgets == nil { budgets = try await kube.podDisruptionBudgets() }
                let names = (budgets ?? []).filter { $0.selects(pod) }.map(\.name).sorted()
                refused(pod, cause: .overlappingBudgets(names), message: message)
            case .transient:
                var attempt = attempts[name] ?? Attempt(nextTry: now)
                attempt.refusals += 1
                attempt.nextTry = clock.now + options.backoff(attempt: attempt.refusals)
                attempts[name] = attempt
            case .skipped:
                break
            }
        }
    }

    /// Books a refusal: the next try after a backoff, and `eviction.blocked` when this starts a
    /// stretch of refusals by this budget (not on every retry).
    private mutating func refused(_ pod: KubernetesPod, cause: StuckPod.Cause, message: String) {
        let name = PodName(pod)
        var attempt = attempts[name] ?? Attempt(nextTry: clock.now)
        attempt.refusals += 1
        attempt.nextTry = clock.now + options.backoff(attempt: attempt.refusals)
        if attempt.blockedBy.map(Self.stretch) != Self.stretch(of: cause) {
            var payload = ["namespace": pod.namespace, "pod": pod.name, "node": pod.nodeName ?? ""]
            switch cause {
            case .budget(let budget): payload.merge(budget.payload) { current, _ in current }
            case .overlappingBudgets(let names): payload["pdb"] = names.joined(separator: ",")
            default: payload["message"] = message
            }
            drainer.events.emit(.evictionBlocked, plane: "compute", payload)
        }
        attempt.blockedBy = cause
        attempts[name] = attempt
    }

    /// What makes two refusals the same stretch: the budget(s) refusing, not their counts.
    private static func stretch(of cause: StuckPod.Cause) -> String {
        switch cause {
        case .budget(let budget): "budget \(budget.namespace)/\(budget.name)"
        case .overlappingBudgets(let names): "budgets \(names)"
        default: "other"
        }
    }

    /// The timeout passed under `force`: every pod still to move (not already terminating) is
    /// deleted gracefully, and the drain waits for them their grace period and a margin more.
    private mutating func forceDelete() async throws {
        let remaining = active.flatMap { left[$0] ?? [] }
        let targets = remaining.filter { !$0.terminating }
        let grace = remaining.map(\.terminationGracePeriodSeconds).max() ?? 0
        let until = clock.now + .seconds(grace) + options.forcedDeletionMargin
        if forcingUntil == nil || !targets.isEmpty { forcingUntil = max(forcingUntil ?? until, until) }
        guard !targets.isEmpty else { return }
        let budgets = try await kube.podDisruptionBudgets()
        let causes = targets.map { cause(of: $0, budgets: budgets) }
        _ = try await concurrentMap(targets, width: options.maxEvictionsInFlight) { [kube] pod in
            try await kube.delete(apiVersion: "v1", kind: "Pod", namespace: pod.namespace, name: pod.name)
        }
        for (pod, cause) in zip(targets, causes) {
            let node = pod.nodeName ?? ""
            forced.append(DrainReport.ForcedDeletion(pod: PodName(pod), node: node, cause: cause))
            var payload = ["namespace": pod.namespace, "pod": pod.name, "node": node, "cause": cause.description]
            if case .budget(let budget) = cause { payload.merge(budget.payload) { current, _ in current } }
            drainer.events.emit(.podDeleted, plane: "compute", payload)
        }
    }

    // MARK: - Giving up

    /// The pods still on the nodes, each with what holds it, read fresh (budget counts included);
    /// nil when none is left after all.
    private func timedOut() async throws -> DrainTimedOut? {
        let nodes = active + waiting
        let listed = try await concurrentMap(nodes, width: options.maxNodesInParallel) { [kube] node in
            try await kube.pods(onNode: node).filter { PodDisposition($0) != .leaveBehind }
        }
        let budgets = try await kube.podDisruptionBudgets()
        let stuck = listed.joined().map { pod in
            StuckPod(pod: PodName(pod), node: pod.nodeName ?? "", cause: cause(of: pod, budgets: budgets))
        }
        if stuck.isEmpty { return nil }
        return DrainTimedOut(
            timeout: options.timeout, stuck: stuck.sorted { ($0.node, $0.pod) < ($1.node, $1.pod) }, drained: drained,
            evicted: evicted.count, forced: forcingUntil != nil)
    }

    /// Why `pod` is still in place.
    private func cause(of pod: KubernetesPod, budgets: [PodDisruptionBudget]) -> StuckPod.Cause {
        if pod.terminating { return .terminating(graceSeconds: pod.terminationGracePeriodSeconds) }
        if !options.force, case .unmovable(let reasons) = PodDisposition(pod) { return .unmovable(reasons) }
        let selecting = budgets.filter { $0.selects(pod) }
        if selecting.count > 1 { return .overlappingBudgets(selecting.map(\.name).sorted()) }
        if let budget = selecting.first, attempts[PodName(pod)]?.blockedBy != nil || budget.disruptionsAllowed == 0 {
            return .budget(BudgetState(budget))
        }
        return .notYetEvicted
    }

    // MARK: - Pace, progress, report

    /// The next round starts at the earliest retry due, or a poll interval from now.
    private func nextWake(deadline: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let present = Set(active.flatMap { left[$0] ?? [] }.map(PodName.init))
        let retries = attempts.filter { present.contains($0.key) }.map(\.value.nextTry)
        return min(([clock.now + options.pollInterval, deadline] + retries).min() ?? deadline, deadline)
    }

    /// Sleeps until `instant` in slices, so a stop is seen within 100 ms.
    private func pause(until instant: ContinuousClock.Instant) async throws {
        while clock.now < instant, !stopped {
            try await clock.sleep(until: min(instant, clock.now + .milliseconds(100)))
        }
    }

    private mutating func publish() {
        guard let onProgress = drainer.onProgress else { return }
        let progress = DrainProgress(
            nodes: order.map { node in
                let pods = left[node] ?? []
                let blocked = pods.compactMap { pod -> String? in
                    guard let cause = attempts[PodName(pod)]?.blockedBy else { return nil }
                    return "\(PodName(pod)): \(cause)"
                }
                return DrainProgress.Node(
                    name: node, podsLeft: waiting.contains(node) ? nil : pods.count, blocked: blocked, drained: drained.contains(node))
            },
            evicted: evicted.count)
        guard progress != lastProgress else { return }
        lastProgress = progress
        onProgress(progress)
    }

    private func report(stopped: Bool) -> DrainReport {
        DrainReport(drained: drained, evicted: evicted, forced: forced, stopped: stopped, elapsed: clock.now - start)
    }
}
