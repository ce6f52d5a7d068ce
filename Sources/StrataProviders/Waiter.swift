import Foundation

/// Polls an asynchronous AWS state until it is reached, with a deadline, saying what it waits
/// for. The one way providers wait (NAT available, cluster ACTIVE, node group deleted, ...).
public struct Waiter: Sendable {
    public var policy: WaitPolicy

    public init(policy: WaitPolicy) {
        self.policy = policy
    }

    /// Calls `poll` until it returns a value, or throws ``WaitTimeout`` naming `what` once
    /// `deadline` (scaled by the policy) has passed. `poll` returns nil to keep waiting and throws
    /// to stop (a failed state: `CREATE_FAILED` is not worth waiting out).
    public func wait<T: Sendable>(
        for what: String, deadline: Duration, poll: @Sendable () async throws -> T?
    ) async throws -> T {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: deadline * policy.deadlineScale)
        while true {
            try Task.checkCancellation()
            if let value = try await poll() { return value }
            if clock.now >= end { throw WaitTimeout(what: what, deadline: deadline * policy.deadlineScale) }
            try await Task.sleep(for: policy.interval)
        }
    }
}

/// A wait that ran out of time: names what it waited for and for how long.
public struct WaitTimeout: Error, CustomStringConvertible, Sendable {
    public var what: String
    public var deadline: Duration

    public var description: String { "timed out after \(deadline) waiting for \(what)" }
}
