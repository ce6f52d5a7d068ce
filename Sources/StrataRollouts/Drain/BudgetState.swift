import StrataKubernetes

/// A PodDisruptionBudget as a drain reports it: its name, rule and live counts.
public struct BudgetState: Sendable, Hashable, Codable, CustomStringConvertible {
    public var namespace: String
    public var name: String
    /// `minAvailable` / `maxUnavailable` as written (`2`, `50%`), nil when unset.
    public var minAvailable: String?
    public var maxUnavailable: String?
    public var currentHealthy: Int
    public var desiredHealthy: Int
    public var disruptionsAllowed: Int
    public var expectedPods: Int

    public init(_ budget: PodDisruptionBudget) {
        namespace = budget.namespace
        name = budget.name
        minAvailable = budget.minAvailable?.description
        maxUnavailable = budget.maxUnavailable?.description
        currentHealthy = budget.currentHealthy
        desiredHealthy = budget.desiredHealthy
        disruptionsAllowed = budget.disruptionsAllowed
        expectedPods = budget.expectedPods
    }

    /// The budget as it stood when it refused an eviction: the live object for its rule, the
    /// refusal's counts (nothing allowed, by definition) for the moment itself.
    init(_ budget: PodDisruptionBudget, refusal: BudgetRefusal?) {
        self.init(budget)
        guard let refusal, refusal.budget == budget.name else { return }
        currentHealthy = refusal.currentHealthy
        desiredHealthy = refusal.desiredHealthy
        disruptionsAllowed = 0
    }

    /// "shop/web (minAvailable 2): 2 healthy, 2 desired, 0 disruptions allowed".
    public var description: String {
        let rule = minAvailable.map { "minAvailable \($0)" } ?? maxUnavailable.map { "maxUnavailable \($0)" } ?? "no rule"
        return "\(namespace)/\(name) (\(rule)): \(currentHealthy) healthy, \(desiredHealthy) desired, "
            + "\(disruptionsAllowed) disruption\(disruptionsAllowed == 1 ? "" : "s") allowed"
    }

    /// The event payload fields of a blocked eviction.
    var payload: [String: String] {
        [
            "pdb": name, "currentHealthy": "\(currentHealthy)", "desiredHealthy": "\(desiredHealthy)",
            "disruptionsAllowed": "\(disruptionsAllowed)",
        ]
    }
}
