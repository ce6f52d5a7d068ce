/// A drain's state for a live view: per node, the pods left and what holds them.
public struct DrainProgress: Sendable, Equatable {
    public struct Node: Sendable, Equatable {
        public var name: String
        /// Pods the drain still has to move off it (DaemonSet and mirror pods not counted); nil
        /// while the node waits its turn.
        public var podsLeft: Int?
        /// One line per pod an eviction was refused for: "shop/db-0: PodDisruptionBudget shop/db ...".
        public var blocked: [String]
        public var drained: Bool
    }

    public var nodes: [Node]
    public var evicted: Int
}
