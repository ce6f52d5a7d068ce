/// What a 429 from the Eviction API says of the budget that refused: the API server's cause
/// reads "The disruption budget web needs 2 healthy pods and has 2 currently", the budget's
/// counts at the moment it refused (a list read after would already see replacements Ready).
public struct BudgetRefusal: Sendable, Equatable {
    public var budget: String
    public var desiredHealthy: Int
    public var currentHealthy: Int

    public init?(message: String) {
        let words = message.split(separator: " ")
        guard let at = words.firstIndex(of: "budget"), words.count > at + 8, words[at + 2] == "needs",
            let desired = Int(words[at + 3]), words[at + 7] == "has", let current = Int(words[at + 8])
        else { return nil }
        budget = String(words[at + 1])
        desiredHealthy = desired
        currentHealthy = current
    }
}
