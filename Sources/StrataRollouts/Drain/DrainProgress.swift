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

    /// One line per node for a live view or a CI log: "ip-10-0-0-4: 2 pods left; shop/db-0: ...".
    public var lines: [String] {
        nodes.map { node in
            if node.drained { return "\(node.name): drained" }
            guard let left = node.podsLeft else { return "\(node.name): waiting its turn" }
            return (["\(node.name): \(left) pod\(left == 1 ? "" : "s") left"] + node.blocked).joined(separator: "; ")
        }
    }
}
