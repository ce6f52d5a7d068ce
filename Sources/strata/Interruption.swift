import ArgumentParser
import Foundation
import StrataExecutor

/// SIGINT and SIGTERM while apply or destroy holds the stack's lock: Ctrl-C, and what CI
/// runners send when a job is cancelled.
///
/// The first signal stops new operations and waits up to `grace` for running ones, whose AWS
/// calls are left to finish, so the report can say what was created; past `grace` they are cut
/// off and reported as in an unknown state. The run then reports and releases the lock as
/// usual. A second signal cuts off at once. At the confirmation prompt nothing has started, and
/// the prompt would block the run: a signal there releases the lock and leaves at once. The exit
/// status is 128 + the first signal's number (130 for SIGINT, 143 for SIGTERM), as shells report
/// a process a signal ended.
final class Interruption: @unchecked Sendable {
    static let signals = [SIGINT, SIGTERM]
    /// After a second signal the run has this long to report and release the lock before the
    /// process leaves regardless (something may block: a prompt reading the terminal).
    static let backstop: Duration = .seconds(3)

    let stop = StopRequest()
    let grace: Duration
    private let lock = NSLock()
    private var received: [Int32] = []
    private var sources: [any DispatchSourceSignal] = []
    private var cutOff: @Sendable () -> Void = {}
    private var asking = false
    private var releaseLock: @Sendable () async -> Void = {}

    init(grace: Duration) { self.grace = grace }

    /// The first signal received, nil while none was.
    var signal: Int32? { lock.withLock { received.first } }

    /// 128 + the first signal, nil while none was received.
    var exitCode: Int32? { signal.map { 128 + $0 } }

    /// From here on the signals are handled here instead of ending the process.
    func install() {
        for number in Self.signals {
            Foundation.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in receive(number) }
            source.resume()
            lock.withLock { sources.append(source) }
        }
    }

    /// What cuts running operations off (cancels the run's task), and what releases the lock
    /// when the process must leave without the run's own release.
    func onCutOff(_ cut: @escaping @Sendable () -> Void, releasingLock release: @escaping @Sendable () async -> Void) {
        let late = lock.withLock {
            cutOff = cut
            releaseLock = release
            return received.count >= 2
        }
        if late { cut() }
    }

    /// Asks `question` on the terminal; a signal meanwhile ends the run at once (see above).
    func prompting(_ question: () throws -> Void) throws {
        try lock.withLock {
            guard received.isEmpty else { throw ExitCode(128 + received[0]) }
            asking = true
        }
        defer { lock.withLock { asking = false } }
        try question()
    }

    private func receive(_ number: Int32) {
        let (count, atPrompt) = lock.withLock {
            received.append(number)
            return (received.count, asking)
        }
        let name = number == SIGINT ? "SIGINT" : "SIGTERM"
        if atPrompt {
            say("\nInterrupted (\(name)) at the prompt: nothing was changed; releasing the lock.\n")
            leave(after: .zero)
        } else if count == 1 {
            stop.stop()
            say(
                "\nInterrupted (\(name)): no new operation starts; waiting up to \(Self.seconds(grace)) for the running ones to "
                    + "finish, then releasing the lock. Send it again to stop at once.\n")
            let grace = self.grace
            Task.detached { [self] in
                try? await Task.sleep(for: grace)
                say("\nStopped waiting after \(Self.seconds(grace)): operations still running are reported as in an unknown state.\n")
                lock.withLock { cutOff }()
            }
        } else if count == 2 {
            say("\n\(name) again: stopping at once; operations still running are reported as in an unknown state.\n")
            lock.withLock { cutOff }()
            leave(after: Self.backstop)
        }
    }

    /// Leaves the process after `delay` unless the run has ended by then, releasing the lock
    /// first (for at most 2 s): what the run's own release would have done. A thread of its own
    /// leaves regardless 2 s later: the release is a task, and tasks may be starved while the
    /// threads that run them block (a prompt reading the terminal holds one).
    private func leave(after delay: Duration) {
        let (release, code) = lock.withLock { (releaseLock, 128 + (received.first ?? SIGINT)) }
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: StackLock.seconds(delay) + 2)
            _exit(code)
        }
        Task.detached {
            try? await Task.sleep(for: delay)
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await release() }
                group.addTask { try? await Task.sleep(for: .seconds(2)) }
                await group.next()
                group.cancelAll()
            }
            _exit(code)
        }
    }

    private func say(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    private static func seconds(_ duration: Duration) -> String { String(format: "%g s", StackLock.seconds(duration)) }
}
