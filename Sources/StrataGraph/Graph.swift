/// A directed graph of dependencies between nodes of any ordered, hashable key type. An edge
/// `a → b` means "a depends on b": b is created before a and deleted after it.
///
/// Generic on purpose: it knows nothing of AWS, YAML or addresses, and every answer it gives
/// (orders, cycles, DOT) is deterministic, with ties broken by the nodes' own order.
public struct Graph<Node: Hashable & Comparable & Sendable>: Sendable {
    private var dependencyEdges: [Node: Set<Node>] = [:]
    private var dependentEdges: [Node: Set<Node>] = [:]

    public init() {}

    /// Every node, sorted.
    public var nodes: [Node] { dependencyEdges.keys.sorted() }

    public var count: Int { dependencyEdges.count }

    public func contains(_ node: Node) -> Bool { dependencyEdges[node] != nil }

    public mutating func add(_ node: Node) {
        if dependencyEdges[node] == nil { dependencyEdges[node] = [] }
        if dependentEdges[node] == nil { dependentEdges[node] = [] }
    }

    /// Records that `dependent` depends on `dependency`, adding either node if new.
    public mutating func addEdge(from dependent: Node, to dependency: Node) {
        add(dependent)
        add(dependency)
        dependencyEdges[dependent, default: []].insert(dependency)
        dependentEdges[dependency, default: []].insert(dependent)
    }

    /// What `node` depends on, sorted.
    public func dependencies(of node: Node) -> [Node] { (dependencyEdges[node] ?? []).sorted() }

    /// What depends on `node`, sorted.
    public func dependents(of node: Node) -> [Node] { (dependentEdges[node] ?? []).sorted() }

    /// Every edge as (dependent, dependency), sorted.
    public var edges: [(from: Node, to: Node)] {
        nodes.flatMap { node in dependencies(of: node).map { (from: node, to: $0) } }
    }

    // MARK: - Cycles

    /// Every cycle, one per strongly connected component (or self-loop), each as the path
    /// `[a, b, c]` meaning a → b → c → a, starting at the component's smallest node and following
    /// the smallest next step. Sorted by first node.
    public func cycles() -> [[Node]] {
        var result: [[Node]] = []
        for component in stronglyConnectedComponents() {
            let members = Set(component)
            guard let start = component.min() else { continue }
            if component.count == 1 {
                if dependencyEdges[start]?.contains(start) == true { result.append([start]) }
                continue
            }
            result.append(cyclePath(from: start, within: members))
        }
        return result.sorted { $0[0] < $1[0] }
    }

    /// Breadth-first from `start` back to itself inside one component: the shortest cycle through
    /// it, with deterministic choices.
    private func cyclePath(from start: Node, within members: Set<Node>) -> [Node] {
        var previous: [Node: Node] = [:]
        var queue: [Node] = [start]
        var head = 0
        var closing: Node?
        search: while head < queue.count {
            let node = queue[head]
            head += 1
            for next in dependencies(of: node) where members.contains(next) {
                if next == start {
                    closing = node
                    break search
                }
                if previous[next] == nil {
                    previous[next] = node
                    queue.append(next)
                }
            }
        }
        guard var node = closing else { return [start] }
        var path: [Node] = [node]
        while node != start, let before = previous[node] {
            path.append(before)
            node = before
        }
        return path.reversed()
    }

    /// Tarjan's algorithm, iterative so a long chain of 50,000 nodes cannot overflow the stack.
    private func stronglyConnectedComponents() -> [[Node]] {
        var index = 0
        var indices: [Node: Int] = [:]
        var lowlinks: [Node: Int] = [:]
        var onStack = Set<Node>()
        var stack: [Node] = []
        var components: [[Node]] = []
        for root in nodes where indices[root] == nil {
            // Each frame: the node and its remaining successors.
            var work: [(Node, [Node], Int)] = [(root, dependencies(of: root), 0)]
            indices[root] = index
            lowlinks[root] = index
            index += 1
            stack.append(root)
            onStack.insert(root)
            while !work.isEmpty {
                let (node, successors, position) = work[work.count - 1]
                if position < successors.count {
                    work[work.count - 1].2 += 1
                    let next = successors[position]
                    if indices[next] == nil {
                        indices[next] = index
                        lowlinks[next] = index
                        index += 1
                        stack.append(next)
                        onStack.insert(next)
                        work.append((next, dependencies(of: next), 0))
                    } else if onStack.contains(next), let low = lowlinks[node], let nextIndex = indices[next] {
                        lowlinks[node] = min(low, nextIndex)
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last?.0, let low = lowlinks[parent], let childLow = lowlinks[node] {
                    lowlinks[parent] = min(low, childLow)
                }
                if lowlinks[node] == indices[node] {
                    var component: [Node] = []
                    while let member = stack.popLast() {
                        onStack.remove(member)
                        component.append(member)
                        if member == node { break }
                    }
                    components.append(component)
                }
            }
        }
        return components
    }

    // MARK: - Orders

    /// Dependencies first; among nodes ready at the same time, the smallest first. `nil` when the
    /// graph has a cycle (ask `cycles()` which).
    public func topologicalOrder() -> [Node]? {
        var remaining: [Node: Int] = [:]
        var ready = Heap<Node>()
        for (node, dependencies) in dependencyEdges {
            remaining[node] = dependencies.count
            if dependencies.isEmpty { ready.insert(node) }
        }
        var order: [Node] = []
        order.reserveCapacity(dependencyEdges.count)
        while let node = ready.popMin() {
            order.append(node)
            for dependent in dependentEdges[node] ?? [] {
                let left = (remaining[dependent] ?? 1) - 1
                remaining[dependent] = left
                if left == 0 { ready.insert(dependent) }
            }
        }
        return order.count == dependencyEdges.count ? order : nil
    }

    /// The order to delete in: dependents before what they depend on.
    public func reverseTopologicalOrder() -> [Node]? {
        topologicalOrder()?.reversed()
    }
}

/// A binary min-heap: the ready set of the topological sort, so ties break by node order in
/// O(log n) rather than by re-sorting.
struct Heap<Element: Comparable> {
    private var storage: [Element] = []

    mutating func insert(_ element: Element) {
        storage.append(element)
        var child = storage.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard storage[child] < storage[parent] else { break }
            storage.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMin() -> Element? {
        guard !storage.isEmpty else { return nil }
        storage.swapAt(0, storage.count - 1)
        let minimum = storage.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < storage.count, storage[left] < storage[smallest] { smallest = left }
            if right < storage.count, storage[right] < storage[smallest] { smallest = right }
            if smallest == parent { break }
            storage.swapAt(parent, smallest)
            parent = smallest
        }
        return minimum
    }
}
