import AWSClient
import Foundation
import StrataTestSupport
import Testing

@testable import StrataExecutor

/// A run under the stack's lock, as the executor holds it (the command line only prints): it
/// waits for another run's lease within `--lock-timeout`, fails at once without one, cancels
/// its work when the lease is lost, and gives the lock back when the work ends.
@Suite struct LockSessionTests {
    static func session(_ client: AWSClient, _ stack: String, run: String, lease: Duration = .seconds(60), timeout: Duration = .zero)
        -> (LockSession, CollectingEventSink)
    {
        let sink = CollectingEventSink()
        let lock = StackLock(client: client, stack: stack, runID: run, lease: lease)
        return (LockSession(lock: lock, events: EventEmitter(runID: run, sink: sink), timeout: timeout), sink)
    }

    @Test func withoutATimeoutAHeldLockFailsAtOnceNamingItsHolder() async throws {
        let client = try await Sandbox.shared().client()
        let stack = StackLockTests.stack()
        try await StackLock(client: client, stack: stack, runID: "holder").acquire()
        let holder = try #require(try await StackLock.holder(client: client, stack: stack))
        let (session, _) = Self.session(client, stack, run: "late")
        await #expect(throws: LockError.held(stack: stack, holder: holder)) { try await session.acquire() }
        try await StackLock.forceUnlock(client: client, stack: stack, runID: "holder")
    }

    /// A crashed holder's lease (600 ms, never renewed) is waited out within the timeout: the
    /// lock is taken only once that lease has expired.
    @Test(.timeLimit(.minutes(1))) func aHeldLockIsWaitedForWithinTheTimeout() async throws {
        let client = try await Sandbox.shared().client()
        let stack = StackLockTests.stack()
        let crashed = try await StackLock(client: client, stack: stack, runID: "crashed", lease: .milliseconds(600)).acquire()
        let (session, events) = Self.session(client, stack, run: "patient", timeout: .seconds(20))
        try await session.acquire()
        #expect(Date() >= crashed.expires)
        #expect(events.events.map(\.kind) == [.lockAcquired])
        #expect(try await StackLock.holder(client: client, stack: stack)?.runID == "patient")
        try await session.lock.release()
    }

    /// A run whose lease another run took is cancelled (its work sees the cancellation), says
    /// so in a `lock.lost` event, and reports that it could not give back a lock it no longer holds.
    @Test(.timeLimit(.minutes(1))) func aLostLeaseCancelsTheWork() async throws {
        let client = try await Sandbox.shared().client()
        let stack = StackLockTests.stack()
        let (session, events) = Self.session(client, stack, run: "unlucky", lease: .milliseconds(300))
        try await session.acquire()
        let outcome = await session.run {
            // Taken over in one conditional write, by a run whose clock is past any lease the
            // session wrote: a force-unlock first would leave a moment with no lock, and a
            // renewal landing there loses the lease before the usurper holds it.
            let later = Date().addingTimeInterval(3600)
            try await StackLock(client: client, stack: stack, runID: "usurper", now: { later }).acquire()
            // Cancelled when a renewal finds the lock taken; the deadline only bounds a failure.
            try await Task.sleep(for: .seconds(30))
        }
        guard case .failure(let error) = outcome.result else {
            Issue.record("the work should have been cancelled")
            return
        }
        #expect(error is CancellationError)
        #expect(events.events.contains { $0.kind == .lockLost })
        #expect(outcome.releaseError is LockError)
        #expect(try await StackLock.holder(client: client, stack: stack)?.runID == "usurper")
        try await StackLock.forceUnlock(client: client, stack: stack, runID: "usurper")
    }

    /// The lock is released when the work ends, with a `lock.released` event.
    @Test func theLockIsReleasedWhenTheWorkEnds() async throws {
        let client = try await Sandbox.shared().client()
        let stack = StackLockTests.stack()
        let (session, events) = Self.session(client, stack, run: "tidy")
        try await session.acquire()
        let outcome = await session.run { 42 }
        #expect(try outcome.result.get() == 42)
        #expect(outcome.releaseError == nil)
        #expect(events.events.map(\.kind) == [.lockAcquired, .lockReleased])
        #expect(try await StackLock.holder(client: client, stack: stack) == nil)
    }
}
