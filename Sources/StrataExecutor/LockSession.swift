import Foundation

/// One run of apply or destroy under the stack's lock: takes it (waiting up to `timeout` for
/// another run's to go), renews it while the work runs, cancels the work if the lease is lost,
/// and releases it however the work ends. The command line only says when to stop (its
/// ``StopRequest``) and renders the events and the outcome; it never touches the lock itself.
public struct LockSession: Sendable {
    /// What became of the work, and of giving the lock back.
    public struct Outcome<T: Sendable>: Sendable {
        public var result: Result<T, any Error>
        /// Why the lock could not be released (it then expires with its lease), nil when it was.
        public var releaseError: (any Error)?
    }

    /// How often a held lock is asked for again while waiting for it.
    static let retryInterval: Duration = .milliseconds(500)

    public let lock: StackLock
    public let events: EventEmitter
    /// How long to wait for another run's lock; zero fails at once, naming the holder.
    public let timeout: Duration
    /// Once stopped (an interrupted run), waiting for the lock ends with the holder's error.
    public let stop: StopRequest

    public init(lock: StackLock, events: EventEmitter, timeout: Duration = .zero, stop: StopRequest = StopRequest()) {
        self.lock = lock
        self.events = events
        self.timeout = timeout
        self.stop = stop
    }

    /// Takes the lock, waiting while another run holds it until `timeout` passes or the run is
    /// stopped; throws ``LockError/held(stack:holder:)`` then, or what AWS answered.
    public func acquire() async throws {
        let clock = ContinuousClock()
        let giveUp = clock.now.advanced(by: timeout)
        while true {
            do {
                let holder = try await lock.acquire()
                events.emit(
                    .lockAcquired,
                    [
                        "stack": lock.stack, "owner": holder.owner,
                        "leaseSeconds": String(format: "%g", StackLock.seconds(lock.lease)), "expires": Event.timestampText(holder.expires),
                    ])
                return
            } catch LockError.held where clock.now < giveUp && !stop.isStopped {
                // Polled: the holder may release long before its lease says, and no one tells us.
                try await Task.sleep(for: min(Self.retryInterval, giveUp - clock.now))
            }
        }
    }

    /// Runs `work` holding the lock (taken with ``acquire()`` first): renewed every lease/3, and
    /// the work cancelled if a renewal finds the lock taken. `started` is handed what cuts the
    /// work off and what releases the lock, for a caller that must leave without waiting (a
    /// second interrupt). The lock is released whatever the work's result.
    public func run<T: Sendable>(
        started: (_ cutOff: @escaping @Sendable () -> Void, _ release: @escaping @Sendable () async -> Void) -> Void = { _, _ in },
        _ work: @escaping @Sendable () async throws -> T
    ) async -> Outcome<T> {
        let task = Task { try await work() }
        let (lock, events, stack) = (self.lock, self.events, self.lock.stack)
        started({ task.cancel() }, { try? await lock.release() })
        await lock.startRenewing(
            onRenewed: { expires in events.emit(.lockRenewed, ["stack": stack, "expires": Event.timestampText(expires)]) },
            onLost: { error in
                events.emit(.lockLost, ["stack": stack, "error": "\(error)"])
                task.cancel()
            })
        let result = await task.result
        do {
            try await lock.release()
            events.emit(.lockReleased, ["stack": stack])
            return Outcome(result: result, releaseError: nil)
        } catch {
            return Outcome(result: result, releaseError: error)
        }
    }
}
