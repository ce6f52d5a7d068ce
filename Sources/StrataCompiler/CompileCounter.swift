import Foundation

/// How many compiles and evaluations this process ran and how long they took: what the command
/// line reports as the run's profile (`run.profile` in `--events`), so "one compile per plan"
/// is observable from outside, as a user or a benchmark sees it.
public final class CompileCounter: @unchecked Sendable {
    public static let shared = CompileCounter()

    public struct Figures: Sendable, Equatable {
        /// Stacks loaded and parsed from files.
        public var compiles = 0
        /// Programs evaluated (a compile evaluates once with nothing live).
        public var evaluations = 0
        /// Wall time inside compiles (their first evaluation included) and evaluations.
        public var seconds = 0.0
    }

    private let lock = NSLock()
    private var figures = Figures()
    /// Nesting depth, so a compile's own evaluation is not timed twice.
    private var depth = 0

    public var current: Figures { lock.withLock { figures } }

    func compiling<T>(_ body: () -> T) -> T { timed(\.compiles, body) }

    func evaluating<T>(_ body: () -> T) -> T { timed(\.evaluations, body) }

    private func timed<T>(_ count: WritableKeyPath<Figures, Int>, _ body: () -> T) -> T {
        let outermost = lock.withLock {
            figures[keyPath: count] += 1
            depth += 1
            return depth == 1
        }
        let clock = ContinuousClock()
        let start = clock.now
        let result = body()
        let elapsed = clock.now - start
        lock.withLock {
            depth -= 1
            if outermost {
                figures.seconds += elapsed / .seconds(1)
            }
        }
        return result
    }
}
