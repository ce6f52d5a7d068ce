/// Runs `body` for every element with at most `width` in flight: per-resource reads AWS has no
/// batched form of (tags of a queue, a key's policy) without a burst the rate limiter would queue.
public func concurrentMap<T: Sendable, R: Sendable>(
    _ items: [T], width: Int = 8, _ body: @escaping @Sendable (T) async throws -> R
) async throws -> [R] {
    try await withThrowingTaskGroup(of: (Int, R).self) { group in
        var results = [R?](repeating: nil, count: items.count)
        var next = 0
        func add(_ group: inout ThrowingTaskGroup<(Int, R), any Error>) {
            let index = next
            let item = items[index]
            group.addTask { (index, try await body(item)) }
            next += 1
        }
        while next < min(width, items.count) { add(&group) }
        while let (index, result) = try await group.next() {
            results[index] = result
            if next < items.count { add(&group) }
        }
        return results.compactMap { $0 }
    }
}
