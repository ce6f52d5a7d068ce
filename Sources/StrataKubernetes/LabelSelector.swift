import StrataModel

/// A `metav1.LabelSelector` (`matchLabels` and `matchExpressions`), as PodDisruptionBudgets
/// and workloads select pods. Matching follows the API server: every requirement must hold, and
/// an empty selector selects everything (a PodDisruptionBudget with `selector: {}` covers every
/// pod of its namespace), while a missing one selects nothing (the caller's nil).
public struct LabelSelector: Sendable, Equatable {
    public struct Requirement: Sendable, Equatable {
        public enum Operator: String, Sendable { case `in` = "In", notIn = "NotIn", exists = "Exists", doesNotExist = "DoesNotExist" }
        public var key: String
        public var op: Operator
        public var values: [String]
    }

    public var matchLabels: [String: String]
    public var matchExpressions: [Requirement]

    public init(matchLabels: [String: String] = [:], matchExpressions: [Requirement] = []) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    /// The selector in `object`, nil when it is absent or null. An operator the API server
    /// would have refused never matches, so a drain errs on the side of "a budget covers this".
    public init?(object: JSONValue?) {
        guard let object, case .object = object else { return nil }
        matchLabels = [:]
        if case .object(let members)? = object["matchLabels"] { matchLabels = members.compactMapValues(\.stringValue) }
        matchExpressions = (object["matchExpressions"]?.arrayValue ?? []).map { expression in
            Requirement(
                key: expression["key"]?.stringValue ?? "",
                op: expression["operator"]?.stringValue.flatMap(Requirement.Operator.init(rawValue:)) ?? .exists,
                values: expression["values"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
    }

    /// Whether a pod (or any object) with these labels is selected.
    public func matches(_ labels: [String: String]) -> Bool {
        for (key, value) in matchLabels where labels[key] != value { return false }
        for requirement in matchExpressions {
            let value = labels[requirement.key]
            let holds: Bool
            switch requirement.op {
            case .in: holds = value.map(requirement.values.contains) ?? false
            case .notIn: holds = value.map { !requirement.values.contains($0) } ?? true
            case .exists: holds = value != nil
            case .doesNotExist: holds = value == nil
            }
            if !holds { return false }
        }
        return true
    }
}
