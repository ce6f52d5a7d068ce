import Foundation
import StrataTestSupport

/// Where a crash test kills its runs, as counts of events of an uninterrupted run (a kill after
/// K events). The range is cut in equal slices with one point drawn in each by a seeded
/// generator; then every stretch where a phase that matters runs gets a point well inside it if
/// none is there yet, in place of the nearest point not itself placed that way, so short phases
/// that fall between two slices' points are killed in all the same.
enum KillPoints {
    static func draw(count: Int, first: Int, last: Int, stretches: [ClosedRange<Int>], seed: UInt64) -> [Int] {
        var generator = SplitMix64(seed: seed)
        var plan: [Int] = []
        for slice in 0..<count {
            let low = first + (last - first + 1) * slice / count
            let high = max(low, first + (last - first + 1) * (slice + 1) / count - 1)
            plan.append(Int.random(in: low...high, using: &generator))
        }
        var pinned: Set<Int> = []
        for stretch in stretches {
            let inner =
                stretch.count >= 5 ? (stretch.lowerBound + stretch.count / 5)...(stretch.upperBound - stretch.count / 5) : stretch
            if let inside = plan.indices.first(where: { inner.contains(plan[$0]) && !pinned.contains($0) }) {
                pinned.insert(inside)
                continue
            }
            let middle = (inner.lowerBound + inner.upperBound) / 2
            let free = plan.indices.filter { !pinned.contains($0) }
            if let nearest = free.min(by: { abs(plan[$0] - middle) < abs(plan[$1] - middle) }) {
                plan[nearest] = Int.random(in: inner, using: &generator)
                pinned.insert(nearest)
            }
        }
        return plan.sorted()
    }

    /// Where operations on `types` run in `reference`: from the first `starting` event to the
    /// last `ending` one.
    static func stretch(
        of types: Set<String>, in reference: [ApplyCrashTests.EventLine], starting: String, ending: String
    ) -> ClosedRange<Int>? {
        guard let start = reference.firstIndex(where: { $0.kind == starting && types.contains($0.type) }),
            let end = reference.lastIndex(where: { $0.kind == ending && types.contains($0.type) })
        else { return nil }
        return (start + 1)...max(start + 1, end)
    }

    /// The seed `variable` names (a replay), or a new one.
    static func seed(from variable: String) -> UInt64 {
        ProcessInfo.processInfo.environment[variable].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64(UInt32.max))
    }

    /// The one point `variable` names, to run only that.
    static func only(from variable: String) -> Int? {
        ProcessInfo.processInfo.environment[variable].flatMap(Int.init)
    }
}
