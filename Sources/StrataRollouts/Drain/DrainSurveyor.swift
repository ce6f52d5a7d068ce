import StrataKubernetes
import StrataModel

/// Reads what draining a set of nodes would do (``DrainSurvey``) with five list calls (pods,
/// budgets, ReplicaSets, Deployments, StatefulSets) and no write: safe for preflight and `--dry-run`.
public struct DrainSurveyor: Sendable {
    public var kube: KubernetesClient

    public init(kube: KubernetesClient) { self.kube = kube }

    public func survey(nodes: [String]) async throws -> DrainSurvey {
        async let podsRead = kube.pods(namespace: nil)
        async let budgetsRead = kube.podDisruptionBudgets()
        async let replicaSetsRead = kube.list(apiVersion: "apps/v1", kind: "ReplicaSet")
        async let deploymentsRead = kube.list(apiVersion: "apps/v1", kind: "Deployment")
        async let statefulSetsRead = listIfServed(apiVersion: "apps/v1", kind: "StatefulSet")
        let pods = try await podsRead.filter { !$0.terminating }
        let budgets = try await budgetsRead
        let workloads = WorkloadOwners(
            replicaSets: try await replicaSetsRead, deployments: try await deploymentsRead, statefulSets: try await statefulSetsRead)

        let surveyed = Set(nodes)
        let onNodes = pods.filter { $0.nodeName.map(surveyed.contains) ?? false }
        var survey = DrainSurvey(
            nodes: nodes.map { node in
                let here = onNodes.filter { $0.nodeName == node }
                return DrainSurvey.Node(
                    name: node, evicts: here.filter { PodDisposition($0) == .evict }.map(PodName.init).sorted(),
                    leavesBehind: here.filter { PodDisposition($0) == .leaveBehind }.map(PodName.init).sorted())
            })

        var covered: [String: [PodName]] = [:]  // budget namespace/name -> pods on the nodes
        for pod in onNodes.sorted(by: { PodName($0) < PodName($1) }) {
            let node = pod.nodeName ?? ""
            let disposition = PodDisposition(pod)
            if disposition == .leaveBehind { continue }
            if case .unmovable(let reasons) = disposition {
                survey.unmovable.append(UnmovablePod(pod: PodName(pod), node: node, reasons: reasons))
            }
            let selecting = budgets.filter { $0.selects(pod) }
            if selecting.count > 1 {
                survey.overlappingBudgets.append(OverlappingBudgets(pod: PodName(pod), node: node, budgets: selecting.map(\.name).sorted()))
            } else if let budget = selecting.first {
                covered["\(budget.namespace)/\(budget.name)", default: []].append(PodName(pod))
            }
            if let workload = workloads.owner(of: pod) {
                let ready = pods.filter { $0.ready && workloads.owner(of: $0) == workload }
                if ready.count == 1, ready.first?.name == pod.name {
                    survey.singleReadyReplicas.append(
                        SingleReadyReplica(
                            kind: workload.kind, namespace: pod.namespace, name: workload.name, pod: PodName(pod), node: node))
                }
            }
        }

        for budget in budgets.sorted(by: { ($0.namespace, $0.name) < ($1.namespace, $1.name) }) {
            guard let coveredPods = covered["\(budget.namespace)/\(budget.name)"] else { continue }
            let block = { (reason: String) in BudgetBlock(budget: BudgetState(budget), pods: coveredPods, reason: reason) }
            if let reason = Self.neverAllows(budget, scale: workloads.scale(of: pods.filter(budget.selects), budget: budget)) {
                survey.neverAllowing.append(block(reason))
            } else if budget.disruptionsAllowed == 0 {
                survey.blockingNow.append(block("\(budget.currentHealthy) healthy of \(budget.desiredHealthy) desired"))
            }
        }
        return survey
    }

    /// A list, empty when the API server does not serve the kind (a cluster without it).
    private func listIfServed(apiVersion: String, kind: String) async throws -> [JSONValue] {
        do {
            return try await kube.list(apiVersion: apiVersion, kind: kind)
        } catch let error as KubernetesError where error.isNotFound {
            return []
        }
    }

    /// Why `budget` can never allow an eviction of the `scale` pods it selects, nil if it can.
    static func neverAllows(_ budget: PodDisruptionBudget, scale: Int) -> String? {
        if let failure = budget.syncFailure { return "the disruption controller cannot compute it: \(failure)" }
        if let maxUnavailable = budget.maxUnavailable, maxUnavailable.resolved(total: scale) <= 0 {
            return "maxUnavailable is \(maxUnavailable)"
        }
        if let minAvailable = budget.minAvailable, budget.maxUnavailable == nil, scale > 0, minAvailable.resolved(total: scale) >= scale {
            return "minAvailable \(minAvailable) needs all \(scale) pod\(scale == 1 ? "" : "s") it selects"
        }
        return nil
    }
}
