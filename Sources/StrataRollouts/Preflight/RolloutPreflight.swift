import StrataKubernetes
import StrataModel
import StrataProviders

/// The Kubernetes half of a rollout's preflight (the planner made the AWS half: version skew,
/// add-on versions, subnet addresses): for each node pool a rollout moves, what draining its
/// nodes will do, read live with the drain part's ``DrainSurveyor`` and changing nothing. Budgets
/// that can never allow an eviction and pods no drain may move are blocking findings (warnings
/// with `--force-drain`, which deletes them); budgets that block now are warnings. A cluster
/// whose API server cannot be reached (a private endpoint) is a warning, never a failed plan.
public struct RolloutPreflight: Sendable {
    public var context: ProviderContext
    public var forceDrain: Bool
    public var makeKubernetes: @Sendable (String, ProviderContext) async throws -> KubernetesClient

    public init(
        context: ProviderContext, forceDrain: Bool = false,
        makeKubernetes: @escaping @Sendable (String, ProviderContext) async throws -> KubernetesClient = RolloutEngine.eksKubernetes
    ) {
        self.context = context
        self.forceDrain = forceDrain
        self.makeKubernetes = makeKubernetes
    }

    /// What one pool's drain will do: the survey of its blue nodes now.
    public struct PoolSurvey: Sendable, Equatable, Codable {
        public var target: ResourceAddress
        /// The blue group drained first.
        public var group: String
        public var survey: DrainSurvey
    }

    /// `plan` with the survey's findings added to its rollouts (those of cluster `only`, when
    /// given), and each surveyed pool.
    public func check(_ plan: Plan, only: String? = nil) async -> (plan: Plan, pools: [PoolSurvey]) {
        var plan = plan
        var pools: [PoolSurvey] = []
        for index in plan.rollouts.indices where only == nil || plan.rollouts[index].clusterName == only {
            let checked = await check(plan.rollouts[index])
            plan.rollouts[index] = checked.rollout
            pools += checked.pools
        }
        return (plan, pools)
    }

    /// The rollout with the survey's findings added, and each pool's survey.
    public func check(_ rollout: RolloutPlan) async -> (rollout: RolloutPlan, pools: [PoolSurvey]) {
        var rollout = rollout
        // The pool as it is now: the first step of each pool drains the nodes it has today.
        var first: [ResourceAddress: RolloutStep] = [:]
        for step in rollout.steps where [.nodePoolBlueGreen, .nodePoolInPlace].contains(step.kind) && first[step.target] == nil {
            first[step.target] = step
        }
        guard !first.isEmpty else { return (rollout, []) }
        let kubernetes: KubernetesClient
        do {
            kubernetes = try await makeKubernetes(rollout.clusterName, context)
            _ = try await kubernetes.nodes(labelSelector: "\(RolloutRecord.nodegroupLabel)=\(first.values.first?.name ?? "")")
        } catch {
            rollout.findings.append(.unreachable(rollout, error))
            return (rollout, [])
        }
        var pools: [PoolSurvey] = []
        for step in first.values.sorted(by: { $0.target < $1.target }) {
            do {
                let nodes = try await kubernetes.nodes(labelSelector: "\(RolloutRecord.nodegroupLabel)=\(step.name)").map(\.name).sorted()
                let survey = try await DrainSurveyor(kube: kubernetes).survey(nodes: nodes)
                pools.append(PoolSurvey(target: step.target, group: step.name, survey: survey))
                for problem in survey.problems {
                    rollout.findings.append(.drain(problem, pool: step, forced: forceDrain))
                }
            } catch {
                rollout.findings.append(.unreachable(rollout, error))
            }
        }
        return (rollout, pools)
    }
}

extension RolloutFinding {
    /// A problem of a pool's drain survey: blocking when it stops the drain, unless forced.
    static func drain(_ problem: DrainProblem, pool: RolloutStep, forced: Bool) -> RolloutFinding {
        RolloutFinding(
            severity: problem.stopsDrain && !forced ? .blocking : .warning, code: problem.code,
            message: "node pool \(pool.name): \(problem.message)"
                + (problem.stopsDrain && forced ? " (--force-drain deletes these pods when the drain times out)" : ""),
            fix: problem.fix, target: pool.target)
    }

    static func unreachable(_ rollout: RolloutPlan, _ error: any Error) -> RolloutFinding {
        RolloutFinding(
            severity: .warning, code: "kubernetes-unreachable",
            message: "cluster \(rollout.clusterName)'s Kubernetes API could not be read (\(error)): the drain survey "
                + "(pods each drain evicts, budgets that block) was not made",
            fix:
                "run the plan from where the API server is reachable (inside the VPC for a private endpoint); apply surveys again before each drain",
            target: rollout.cluster)
    }
}
