/// What draining a set of nodes would do, read live from the cluster and changing nothing: the
/// input of a rollout's preflight and of `strata upgrade --dry-run`. Every problem carries a
/// `message` naming the pod or budget and a `fix` the user can apply; ``problems`` lists them all
/// in one shape for turning into plan findings.
public struct DrainSurvey: Sendable, Equatable, Codable {
    /// Per node, in the order asked.
    public var nodes: [Node]
    /// Budgets that refuse an eviction right now (0 disruptions allowed) though they could allow
    /// one later: the drain waits on them.
    public var blockingNow: [BudgetBlock]
    /// Budgets that can never allow an eviction as the workload stands: the drain cannot finish
    /// without a change (or `--force-drain`).
    public var neverAllowing: [BudgetBlock]
    /// Pods the Eviction API always refuses because more than one budget selects them.
    public var overlappingBudgets: [OverlappingBudgets]
    /// Pods a drain refuses to move unless forced.
    public var unmovable: [UnmovablePod]
    /// Workloads whose only Ready pod is on these nodes: while it moves, nothing serves.
    public var singleReadyReplicas: [SingleReadyReplica]

    public init(
        nodes: [Node], blockingNow: [BudgetBlock] = [], neverAllowing: [BudgetBlock] = [], overlappingBudgets: [OverlappingBudgets] = [],
        unmovable: [UnmovablePod] = [], singleReadyReplicas: [SingleReadyReplica] = []
    ) {
        self.nodes = nodes
        self.blockingNow = blockingNow
        self.neverAllowing = neverAllowing
        self.overlappingBudgets = overlappingBudgets
        self.unmovable = unmovable
        self.singleReadyReplicas = singleReadyReplicas
    }

    /// One node's part.
    public struct Node: Sendable, Equatable, Codable {
        public var name: String
        /// Pods its drain evicts (``DrainSurvey/unmovable`` pods are not among them: a drain
        /// refuses them, and evicts them only when forced).
        public var evicts: [PodName]
        /// DaemonSet and mirror pods, which stay until the node goes.
        public var leavesBehind: [PodName]

        public init(name: String, evicts: [PodName], leavesBehind: [PodName]) {
            self.name = name
            self.evicts = evicts
            self.leavesBehind = leavesBehind
        }
    }

    /// How many pods the whole drain evicts.
    public var evictionCount: Int { nodes.reduce(0) { $0 + $1.evicts.count } }

    /// Every problem, the ones that stop a drain first.
    public var problems: [DrainProblem] {
        neverAllowing.map { $0.problem(never: true) } + overlappingBudgets.map(\.problem) + unmovable.map(\.problem)
            + blockingNow.map { $0.problem(never: false) } + singleReadyReplicas.map(\.problem)
    }
}

/// One problem of a ``DrainSurvey`` in a common shape.
public struct DrainProblem: Sendable, Equatable, Codable {
    /// `pdb-never-allows`, `pdb-overlap`, `pod-unmovable`, `pdb-blocks-now`, `single-ready-replica`.
    public var code: String
    /// True when the drain cannot finish without a change or `--force-drain` (the others only slow
    /// it down or cost availability).
    public var stopsDrain: Bool
    public var message: String
    public var fix: String

    public init(code: String, stopsDrain: Bool, message: String, fix: String) {
        self.code = code
        self.stopsDrain = stopsDrain
        self.message = message
        self.fix = fix
    }
}

/// A budget that refuses evictions of pods on the surveyed nodes, and why.
public struct BudgetBlock: Sendable, Equatable, Codable {
    public var budget: BudgetState
    /// The pods on the surveyed nodes it covers.
    public var pods: [PodName]
    /// Why: "maxUnavailable is 0", "minAvailable 3 equals the 3 pods it selects", ...
    public var reason: String

    public init(budget: BudgetState, pods: [PodName], reason: String) {
        self.budget = budget
        self.pods = pods
        self.reason = reason
    }

    func problem(never: Bool) -> DrainProblem {
        let podList = pods.map(\.description).joined(separator: ", ")
        if never {
            return DrainProblem(
                code: "pdb-never-allows", stopsDrain: true,
                message: "PodDisruptionBudget \(budget) can never allow an eviction (\(reason)); it covers \(podList)",
                fix: "let the budget allow one disruption (maxUnavailable: 1, or minAvailable below the replicas), "
                    + "scale the workload above minAvailable, or pass --force-drain to delete its pods at the drain timeout")
        }
        return DrainProblem(
            code: "pdb-blocks-now", stopsDrain: false,
            message: "PodDisruptionBudget \(budget) allows no eviction now (\(reason)); the drain waits on it for \(podList)",
            fix: "make the budget's pods Ready (or scale the workload up) before the drain timeout passes")
    }
}

/// A pod selected by several budgets: the Eviction API refuses it (HTTP 500) until only one does.
public struct OverlappingBudgets: Sendable, Equatable, Codable {
    public var pod: PodName
    public var node: String
    public var budgets: [String]

    public init(pod: PodName, node: String, budgets: [String]) {
        self.pod = pod
        self.node = node
        self.budgets = budgets
    }

    var problem: DrainProblem {
        DrainProblem(
            code: "pdb-overlap", stopsDrain: true,
            message: "pod \(pod) on \(node) is selected by \(budgets.count) PodDisruptionBudgets (\(budgets.joined(separator: ", "))), "
                + "which the Eviction API refuses",
            fix: "delete or narrow all but one of those budgets, or pass --force-drain to delete the pod at the drain timeout")
    }
}

/// A pod a drain will not move unless forced.
public struct UnmovablePod: Sendable, Equatable, Codable {
    public enum Reason: Sendable, Equatable, Codable, CustomStringConvertible {
        /// No controller recreates it: evicted, it is gone for good.
        case noController
        /// Its `emptyDir` volumes (named) are lost with it.
        case emptyDirData([String])

        public var description: String {
            switch self {
            case .noController: "it has no controller to recreate it"
            case .emptyDirData(let volumes): "its emptyDir data (\(volumes.joined(separator: ", "))) would be lost"
            }
        }
    }

    public var pod: PodName
    public var node: String
    public var reasons: [Reason]

    public init(pod: PodName, node: String, reasons: [Reason]) {
        self.pod = pod
        self.node = node
        self.reasons = reasons
    }

    public var message: String {
        "pod \(pod) on \(node) cannot be moved: " + reasons.map(\.description).joined(separator: "; ")
    }

    public var fix: String {
        var fixes: [String] = []
        if reasons.contains(.noController) { fixes.append("run it under a Deployment, StatefulSet or Job") }
        if reasons.contains(where: { if case .emptyDirData = $0 { true } else { false } }) {
            fixes.append("annotate it \(PodDisposition.safeToEvictAnnotation)=true if that data is scratch")
        }
        fixes.append("or pass --force-drain to evict it anyway")
        return fixes.joined(separator: ", ")
    }

    var problem: DrainProblem { DrainProblem(code: "pod-unmovable", stopsDrain: true, message: message, fix: fix) }
}

/// A workload whose only Ready pod sits on a surveyed node: while that pod moves, the workload
/// has no Ready pod (a budget cannot help: it would block the drain instead).
public struct SingleReadyReplica: Sendable, Equatable, Codable {
    /// `Deployment`, or the controller kind when no Deployment owns it.
    public var kind: String
    public var namespace: String
    public var name: String
    public var pod: PodName
    public var node: String

    public init(kind: String, namespace: String, name: String, pod: PodName, node: String) {
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.pod = pod
        self.node = node
    }

    var problem: DrainProblem {
        DrainProblem(
            code: "single-ready-replica", stopsDrain: false,
            message: "\(kind) \(namespace)/\(name) has one Ready pod (\(pod.name) on \(node)): it serves nothing while that pod moves",
            fix: "scale it to 2 or more replicas with a PodDisruptionBudget of maxUnavailable: 1 before the upgrade")
    }
}
