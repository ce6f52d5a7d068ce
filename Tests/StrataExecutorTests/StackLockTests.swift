import AWSClient
import Foundation
import StrataTestSupport
import Testing

@testable import StrataExecutor

/// The stack lock against the sandbox's DynamoDB: one winner among concurrent runs, the loser
/// told who holds it; an expired lease taken over; renewal; release; force-unlock by run id.
@Suite struct StackLockTests {
    static func stack() -> String { "lock-" + UUID().uuidString.prefix(8).lowercased() }

    @Test func concurrentAcquisitionsHaveOneWinnerAndTheLoserNamesIt() async throws {
        let client = try await Sandbox.shared().client()
        let stack = Self.stack()
        let locks = (0..<6).map { StackLock(client: client, stack: stack, runID: "run-\($0)", owner: "user\($0)@host") }
        let results = await withTaskGroup(of: (Int, Result<LockHolder, any Error>).self) { group in
            for (index, lock) in locks.enumerated() {
                group.addTask {
                    do { return (index, .success(try await lock.acquire())) } catch { return (index, .failure(error)) }
                }
            }
            var all: [(Int, Result<LockHolder, any Error>)] = []
            for await result in group { all.append(result) }
            return all
        }
        let winners = results.compactMap { index, result -> Int? in if case .success = result { index } else { nil } }
        #expect(winners.count == 1, "exactly one run may hold the lock: \(winners)")
        let winner = try #require(winners.first)
        for (index, result) in results where index != winner {
            guard case .failure(let error) = result, case LockError.held(_, let holder) = error else {
                Issue.record("run-\(index) should have failed with lockHeld, got \(result)")
                continue
            }
            #expect(holder.runID == "run-\(winner)")
            #expect(holder.owner == "user\(winner)@host")
            let text = "\(error)"
            #expect(
                text.contains("run-\(winner)") && text.contains("user\(winner)@host") && text.contains("since") && text.contains("expires"))
        }
        try await locks[winner].release()
        #expect(try await StackLock.holder(client: client, stack: stack) == nil)
    }

    /// Once `release()` returns, the renewal is over: no renewal callback fires after it, not
    /// even one whose PutItem was in flight (it would report the lease lost once the item is
    /// gone, while the process exits). Many short leases, released at every phase of a renewal.
    @Test func noRenewalCallbackFiresAfterReleaseReturns() async throws {
        let client = try await Sandbox.shared().client()
        var rounds: [LateCallbacks] = []
        for round in 0..<80 {
            let late = LateCallbacks()
            rounds.append(late)
            let lock = StackLock(client: client, stack: Self.stack(), runID: "run-\(round)", lease: .milliseconds(30))
            try await lock.acquire()
            await lock.startRenewing(onRenewed: { _ in late.fired() }, onLost: { _ in late.fired() })
            // Across a renewal period (10 ms) in steps of 0.5 ms: some releases meet a renewal's
            // PutItem in flight.
            try await Task.sleep(for: .microseconds(500 * (round % 21)))
            try await lock.release()
            late.released()
        }
        // A late callback would come within a renewal's round trip of its release: this waits
        // for one to show, it orders nothing.
        try await Task.sleep(for: .milliseconds(300))
        let late = rounds.map(\.count).reduce(0, +)
        #expect(late == 0, "\(late) renewal callbacks fired after release() returned")
    }

    /// Counts one round's renewal callbacks that fire after its release() returned.
    final class LateCallbacks: @unchecked Sendable {
        private let lock = NSLock()
        private var holding = true
        private var late = 0
        var count: Int { lock.withLock { late } }
        func released() { lock.withLock { holding = false } }
        func fired() { lock.withLock { if !holding { late += 1 } } }
    }

    @Test func anExpiredLeaseIsTakenOverAndTheOldRunCannotRenewOrRelease() async throws {
        let client = try await Sandbox.shared().client()
        let stack = Self.stack()
        // A run that took the lock two minutes ago with a 60 s lease and then died.
        let dead = StackLock(client: client, stack: stack, runID: "dead-run", now: { Date().addingTimeInterval(-120) })
        try await dead.acquire()
        let next = StackLock(client: client, stack: stack, runID: "next-run")
        let holder = try await next.acquire()
        #expect(holder.runID == "next-run")
        #expect(try await StackLock.holder(client: client, stack: stack)?.runID == "next-run")
        await #expect(throws: LockError.self) { try await dead.renew() }
        await #expect(throws: LockError.self) { try await dead.release() }
        #expect(try await StackLock.holder(client: client, stack: stack)?.runID == "next-run")
        try await next.release()
    }

    @Test func aLiveLeaseIsRenewedWhileTheRunLasts() async throws {
        let client = try await Sandbox.shared().client()
        let stack = Self.stack()
        // A 3 s lease renews every second: short enough to see two renewals soon, long enough
        // that a renewal slowed by a loaded machine (the whole suite runs at once) still lands
        // before the lease would lapse.
        let lock = StackLock(client: client, stack: stack, runID: "long-run", lease: .seconds(3))
        let first = try await lock.acquire()
        let renewals = Counter()
        await lock.startRenewing(onRenewed: { _ in Task { await renewals.add() } }, onLost: { _ in })
        // Wait (with a deadline) for two renewals: each moves the expiry forward.
        let deadline = Date().addingTimeInterval(20)
        while await renewals.value < 2, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(await renewals.value >= 2)
        let now = try #require(try await StackLock.holder(client: client, stack: stack))
        #expect(now.expires > first.expires)
        // Another run, at a moment past the first lease but within the renewed one, is refused.
        // (Its clock is set there rather than read: on a loaded machine real time could also
        // pass a renewal delayed beyond a 3 s lease, which says nothing about renewing.)
        let between = first.expires.addingTimeInterval(now.expires.timeIntervalSince(first.expires) / 2)
        await #expect(throws: LockError.self) {
            try await StackLock(client: client, stack: stack, runID: "other", now: { between }).acquire()
        }
        try await lock.release()
    }

    actor Counter {
        var value = 0
        func add() { value += 1 }
    }

    @Test func forceUnlockNeedsTheHoldingRunID() async throws {
        let client = try await Sandbox.shared().client()
        let stack = Self.stack()
        try await StackLock(client: client, stack: stack, runID: "stuck-run").acquire()
        do {
            try await StackLock.forceUnlock(client: client, stack: stack, runID: "wrong-run")
            Issue.record("force-unlock with the wrong run id must fail")
        } catch let error as LockError {
            #expect("\(error)".contains("stuck-run"))
        }
        try await StackLock.forceUnlock(client: client, stack: stack, runID: "stuck-run")
        #expect(try await StackLock.holder(client: client, stack: stack) == nil)
        // Unlocked now: a force-unlock finds nothing to remove and says so.
        await #expect(throws: LockError.self) { try await StackLock.forceUnlock(client: client, stack: stack, runID: "stuck-run") }
    }
}
