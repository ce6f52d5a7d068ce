import Foundation
import StrataExecutor

/// What the engine needs from the Kubernetes side of a blue/green step (the drain part's
/// `Drain/` implements it): cordon with the rollout's record, drain within a timeout, uncordon,
/// and the nodes carrying a record (orphans are found by them). A protocol so the engine's
/// order of steps can be read, and tested, apart from how pods are moved.
public protocol NodeDrainer: Sendable {
    /// Marks `nodes` unschedulable with the annotation ``RolloutRecord/annotation`` = `record`,
    /// in one patch per node (a cordon is never without its record).
    func cordon(_ nodes: [String], record: String) async throws
    /// Removes the cordon and the annotation from `nodes`, in one patch per node.
    func uncordon(_ nodes: [String]) async throws
    /// Evicts every pod but DaemonSet and mirror pods from `nodes` within the budgets; returns
    /// when they host nothing else. At `timeout` it throws ``DrainBlocked`` naming what stays
    /// (or, with `force`, deletes what the budgets still protect and reports it).
    func drain(_ nodes: [String], timeout: Duration, force: Bool, stop: StopRequest) async throws -> DrainSummary
    /// Every node carrying ``RolloutRecord/annotation``, with its value.
    func recordedNodes() async throws -> [(node: String, record: String)]
}

/// What a finished drain did.
public struct DrainSummary: Sendable, Equatable {
    public var evicted: Int
    /// Pods deleted past their budget because of `--force-drain`, as `namespace/name`.
    public var forceDeleted: [String]

    public init(evicted: Int, forceDeleted: [String] = []) {
        self.evicted = evicted
        self.forceDeleted = forceDeleted
    }
}

/// A drain that reached its timeout with pods a PodDisruptionBudget still protects: each pod,
/// the budget and its counts. Nothing was deleted; the pods still run on blue.
public struct DrainBlocked: Error, Sendable, CustomStringConvertible {
    public struct Pod: Sendable, Equatable {
        public var namespace: String
        public var name: String
        public var node: String
        /// The budget that refused its eviction (nil: none did; the pod is still terminating,
        /// or several budgets select it).
        public var pdb: String?
        public var currentHealthy: Int?
        public var desiredHealthy: Int?
        public var disruptionsAllowed: Int?
        public var reason: String

        public init(
            namespace: String, name: String, node: String, pdb: String?, currentHealthy: Int? = nil, desiredHealthy: Int? = nil,
            disruptionsAllowed: Int? = nil, reason: String
        ) {
            self.namespace = namespace
            self.name = name
            self.node = node
            self.pdb = pdb
            self.currentHealthy = currentHealthy
            self.desiredHealthy = desiredHealthy
            self.disruptionsAllowed = disruptionsAllowed
            self.reason = reason
        }
    }

    public var pods: [Pod]
    public var timeout: Duration

    public init(pods: [Pod], timeout: Duration) {
        self.pods = pods
        self.timeout = timeout
    }

    public var description: String {
        let lines = pods.map { pod in
            let budget = pod.pdb.map { pdb in
                " blocked by PodDisruptionBudget \(pod.namespace)/\(pdb)"
                    + (pod.currentHealthy.map { " (\($0) healthy, needs \(pod.desiredHealthy ?? 0), allows \(pod.disruptionsAllowed ?? 0))" } ?? "")
            }
            return "  pod \(pod.namespace)/\(pod.name) on \(pod.node)\(budget ?? ""): \(pod.reason)"
        }
        return "the drain did not finish within its drain_timeout of \(Int(timeout / .seconds(1))) s; still in place:\n"
            + lines.joined(separator: "\n")
    }
}
