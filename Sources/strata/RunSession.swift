import ArgumentParser
import Foundation
import StrataExecutor
import StrataProviders
import StrataRollouts
import StrataSyntax

/// One apply or destroy run: the run id, the client, where events go, the lock.
struct RunSession {
    let runID = UUID().uuidString.lowercased()
    let options: RunOptions
    let stack: String
    let context: ProviderContext
    let view: ProgressView
    let events: EventEmitter
    let lease: Duration
    /// How long a delete refused with DependencyViolation is retried: 5 minutes, or
    /// `STRATA_DELETE_DEADLINE_SECONDS` (tests that expect a blocked delete shorten it).
    let deleteDeadline: Duration
    /// SIGINT and SIGTERM while the lock is held; its `stop` goes to the applier or destroyer.
    let interruption: Interruption
    /// The stack files' text, when the run compiled them: failures quote the line at fault.
    /// Empty for a plan file (it carries no sources yet), so failures name file:line:col only.
    let sources: SourceFiles

    /// Reads the numeric settings and builds the client (both may fail, printing why), then
    /// prints the endpoint header; nothing has been sent yet.
    init(options: RunOptions, stack: String, region: String, sources: SourceFiles = SourceFiles()) throws {
        self.options = options
        self.stack = stack
        self.sources = sources
        let environment = ProcessInfo.processInfo.environment
        let (lease, deleteDeadline, grace, waits, client, header) = try Failing.report {
            (
                try options.lease(environment: environment), try Self.deleteDeadline(environment: environment),
                try Self.interruptGrace(environment: environment), try Self.waitPolicy(environment: environment),
                try ClientFactory.client(stackRegion: region), try ClientFactory.endpointHeader()
            )
        }
        (self.lease, self.deleteDeadline) = (lease, deleteDeadline)
        interruption = Interruption(grace: grace)
        print(header, terminator: "")
        context = ProviderContext(client: client, stack: stack, region: region, waits: waits)
        view = ProgressView.forStandardOutput()
        var sinks: [any EventSink] = [view]
        if let path = options.events {
            sinks.append(try Failing.report { try JSONLinesEventSink(url: URL(fileURLWithPath: path)) })
        }
        events = EventEmitter(runID: runID, sink: FanoutEventSink(sinks))
    }

    /// The rollout engine the applier hands a plan's rollouts to, its drains shown in the view.
    func rolloutRunner(forceDrain: Bool) -> EngineRunner {
        let view = self.view
        return EngineRunner(options: RolloutOptions(forceDrain: forceDrain, onDrainProgress: { view.drainProgress($0) }))
    }

    /// Polling interval for AWS waits: 5 s against AWS; `STRATA_POLL_INTERVAL_MS` shortens it
    /// for the sandbox, whose lifecycles run on a scaled clock.
    static func waitPolicy(environment: [String: String]) throws -> WaitPolicy {
        let variable = "STRATA_POLL_INTERVAL_MS"
        if let millis = try EnvironmentNumber.read(variable, in: 1...600_000, unit: "milliseconds", environment: environment) {
            return WaitPolicy(interval: .milliseconds(millis))
        }
        return WaitPolicy()
    }

    static func deleteDeadline(environment: [String: String]) throws -> Duration {
        let variable = "STRATA_DELETE_DEADLINE_SECONDS"
        if let seconds = try EnvironmentNumber.read(variable, in: 0...86400, unit: "seconds", environment: environment) {
            return .seconds(seconds)
        }
        return .seconds(300)
    }

    /// How long an interrupted run waits for its running operations: 30 s, or
    /// `STRATA_INTERRUPT_GRACE_SECONDS` (0 to 3600).
    static func interruptGrace(environment: [String: String]) throws -> Duration {
        let variable = "STRATA_INTERRUPT_GRACE_SECONDS"
        if let seconds = try EnvironmentNumber.read(variable, in: 0...3600, unit: "seconds", environment: environment) {
            return .seconds(seconds)
        }
        return .seconds(30)
    }

    /// Runs `body` holding the stack's lock (``LockSession``: waited for up to `--lock-timeout`,
    /// renewed meanwhile, the run cancelled if the lock is lost, released however `body` ends),
    /// with SIGINT and SIGTERM handled by ``Interruption``. Errors are printed and exit 1
    /// (128 + the signal when interrupted).
    func locked<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let session = LockSession(
            lock: StackLock(client: context.client, stack: stack, runID: runID, lease: lease), events: events,
            timeout: .seconds(options.lockTimeout), stop: interruption.stop)
        let interruption = self.interruption
        interruption.install()
        do {
            try await session.acquire()
        } catch {
            ErrorReport.print(error)
            throw ExitCode(interruption.exitCode ?? 1)
        }
        let outcome = await session.run(started: { cut, release in interruption.onCutOff(cut, releasingLock: release) }, body)
        if let error = outcome.releaseError {
            FileHandle.standardError.write(Data("warning: releasing the lock failed (it expires with its lease): \(error)\n".utf8))
        }
        switch outcome.result {
        case .success(let value): return value
        case .failure(let error as ExitCode): throw interruption.exitCode.map { ExitCode($0) } ?? error
        case .failure(let error):
            view.stop()
            // Cut off before the walk (while planning): nothing was changed.
            if error is CancellationError && interruption.signal != nil {
                FileHandle.standardError.write(Data("error: interrupted before any change was made\n".utf8))
            } else {
                ErrorReport.print(error, sources: sources)
            }
            throw ExitCode(interruption.exitCode ?? 1)
        }
    }

    /// Prints the run's last line (`Apply complete: ...`, `... failed: ...`, `... interrupted: ...`),
    /// what did not run, and `notes` after it; each failure goes to standard error as a
    /// diagnostic (``ErrorReport``). Exits as it went: 0, 1, or 128 + the signal that interrupted it.
    func finish(_ report: ExecutionReport, _ run: String, notes: [String] = []) throws {
        view.stop()
        let outcome = interruption.signal != nil ? "interrupted" : report.succeeded ? "complete" : "failed"
        print("\n\(run) \(outcome): " + report.headline)
        for line in report.outcomeNotes { print(line) }
        for note in notes { print(note) }
        ErrorReport.print(report.failures, sources: sources)
        if let code = interruption.exitCode { throw ExitCode(code) }
        if !report.succeeded { throw ExitCode.failure }
    }
}
