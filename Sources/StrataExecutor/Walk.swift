/// Runs a DAG of operations with bounded parallelism, starting each node the moment its last
/// dependency finishes (not level by level), so a run takes about as long as the graph's
/// critical path. Generic over node ids: it knows nothing of AWS.
///
/// A failed node skips every node that depends on it, directly or not, without running them
/// and without repeating the error; independent nodes keep running. A ``StopRequest`` stops
/// new starts and lets running operations finish; cancelling the task that runs the walk also
/// stops new starts, and running operations see the cancellation (reported as interrupted:
/// started, not seen to finish). What never started is reported as cancelled.
public struct Walk<Node: Hashable & Comparable & Sendable>: Sendable {
    public var nodes: [Node]
    /// For each node, the nodes that must finish first. Dependencies outside `nodes` count as
    /// already finished (a no-op in a plan).
    public var dependencies: [Node: Set<Node>]
    public var parallelism: Int
    /// Once stopped, nothing more starts.
    public var stop: StopRequest?

    public init(nodes: [Node], dependencies: [Node: Set<Node>], parallelism: Int = 10, stop: StopRequest? = nil) {
        self.nodes = Array(Set(nodes)).sorted()
        self.dependencies = dependencies
        self.parallelism = max(1, parallelism)
        self.stop = stop
    }

    /// Runs `operation` on every node in dependency order. `onSkip(node, cause)` is called when a
    /// node will not run because `cause` failed. Never throws: the outcome says what happened.
    public func run(
        _ operation: @escaping @Sendable (Node) async throws -> Void,
        onSkip: (Node, Node) -> Void = { _, _ in }
    ) async -> WalkOutcome<Node> {
        let members = Set(nodes)
        var waitingOn: [Node: Int] = [:]
        var dependents: [Node: [Node]] = [:]
        for node in nodes {
            let inside = (dependencies[node] ?? []).filter { members.contains($0) && $0 != node }
            waitingOn[node] = inside.count
            for dependency in inside { dependents[dependency, default: []].append(node) }
        }
        var ready = nodes.filter { waitingOn[$0] == 0 }
        var outcome = WalkOutcome<Node>()
        var running = 0
        var stopped = false

        await withTaskGroup(of: (Node, Result<Void, any Error>).self) { group in
            while true {
                if Task.isCancelled || stop?.isStopped == true { stopped = true }
                while !stopped, running < parallelism, !ready.isEmpty {
                    let node = ready.removeFirst()
                    running += 1
                    outcome.started.append(node)
                    group.addTask {
                        do {
                            try await operation(node)
                            return (node, .success(()))
                        } catch {
                            return (node, .failure(error))
                        }
                    }
                }
                guard let (node, result) = await group.next() else { break }
                running -= 1
                switch result {
                case .success:
                    outcome.completed.append(node)
                    for dependent in dependents[node] ?? [] where outcome.skipped[dependent] == nil {
                        waitingOn[dependent, default: 0] -= 1
                        if waitingOn[dependent] == 0 { Self.insertSorted(dependent, into: &ready) }
                    }
                case .failure(let error) where error is CancellationError:
                    outcome.interrupted.append(node)
                    stopped = true
                case .failure(let error):
                    outcome.failures[node] = error
                    // Breadth-first over dependents: each is skipped once, naming the first cause.
                    var queue = dependents[node] ?? []
                    while !queue.isEmpty {
                        let next = queue.removeFirst()
                        guard outcome.skipped[next] == nil else { continue }
                        outcome.skipped[next] = node
                        ready.removeAll { $0 == next }
                        onSkip(next, node)
                        queue.append(contentsOf: dependents[next] ?? [])
                    }
                }
            }
        }
        let finished = Set(outcome.started).union(outcome.skipped.keys)
        for node in nodes where !finished.contains(node) {
            if stopped || Task.isCancelled || stop?.isStopped == true {
                outcome.cancelled.append(node)
            } else {
                outcome.blocked.append(node)
            }
        }
        return outcome
    }

    private static func insertSorted(_ node: Node, into list: inout [Node]) {
        let index = list.firstIndex { node < $0 } ?? list.endIndex
        list.insert(node, at: index)
    }
}

/// What a ``Walk`` did with each node.
public struct WalkOutcome<Node: Hashable & Sendable>: Sendable {
    /// In the order they started.
    public var started: [Node] = []
    /// In the order they finished.
    public var completed: [Node] = []
    /// Nodes whose operation threw (other than a cancellation).
    public var failures: [Node: any Error] = [:]
    /// Nodes not run because a node they depend on failed: node → the failed node.
    public var skipped: [Node: Node] = [:]
    /// Nodes not started because the walk was stopped or cancelled.
    public var cancelled: [Node] = []
    /// Nodes started whose operation was cut off by cancellation: not seen to finish.
    public var interrupted: [Node] = []
    /// Nodes that could never start because their dependencies form a cycle.
    public var blocked: [Node] = []

    public init() {}

    /// Every node completed.
    public var succeeded: Bool { failures.isEmpty && skipped.isEmpty && cancelled.isEmpty && interrupted.isEmpty && blocked.isEmpty }
}
