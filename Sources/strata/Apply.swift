import ArgumentParser
import Foundation
import StrataCompiler
import StrataExecutor
import StrataModel
import StrataPlanner
import StrataProviders

/// `strata apply STACK|PLANFILE`: plan (or read a saved plan), show it, ask, then execute it in
/// parallel under the stack's lock.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Create, update and delete AWS resources so the account matches the stack.",
        discussion: """
            With STACK: plans (exactly as `strata plan`), shows the plan and asks for 'yes' unless \
            --auto-approve (without a terminal, --auto-approve is required). With PLANFILE (from \
            `strata plan --out`): applies that plan if the file is as strata wrote it (signed with \
            STRATA_PLAN_KEY when that is set), matches its program, account and region, and the live \
            state is unchanged since it was made; a plan file keeps no --var values, so give the ones it \
            was planned with again. A plan file carries the compiled stack: it applies from any \
            directory, with no stack file present. The stack's lock (DynamoDB table strata-locks) is held for the run. \
            SIGINT or SIGTERM stops new operations and waits up to STRATA_INTERRUPT_GRACE_SECONDS (30) \
            for running ones; a second signal stops at once. Exit codes: 0 success, 1 error (every \
            failed operation is listed with its AWS error code and request id), 130/143 interrupted by \
            SIGINT/SIGTERM.
            """)

    @OptionGroup var options: StackOptions
    @OptionGroup var run: RunOptions

    @Flag(help: "Apply without asking for confirmation.")
    var autoApprove = false

    @Option(help: "How many operations run at once (1 to 1000).")
    var parallelism = 10

    func validate() throws {
        try RunOptions.validateParallelism(parallelism)
    }

    func run() async throws {
        RunProfile.start()
        let url = URL(fileURLWithPath: options.stack)
        var isDirectory: ObjCBool = false
        let isPlanFile =
            FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
            && PlanFile.looksLikePlan(url)
        let saved: Plan?
        let compiled: (graph: CompiledGraph, program: Program)?
        let stack: String
        let region: String
        if isPlanFile {
            // Checked whole before any call: the file is as strata wrote it (and signed, with
            // STRATA_PLAN_KEY), its --var values are given again and are the planned ones, and its
            // changes are what the program it carries evaluates to with them. No stack file is read.
            let plan = try Failing.report {
                let plan = try PlanFile.read(from: url, key: try PlanKey.from(environment: ProcessInfo.processInfo.environment))
                    .givenVars(options.overrides())
                try PlanBinding.check(plan, file: url.path, catalog: ResourceCatalog.all)
                return plan
            }
            (saved, compiled) = (plan, nil)
            (stack, region) = (plan.stack, plan.region)
        } else {
            // Compiled once: the planner evaluates this program from here on.
            let stackProgram = try options.compileProgram()
            (saved, compiled) = (nil, stackProgram)
            (stack, region) = (stackProgram.graph.stack, stackProgram.graph.region)
        }
        let session = try RunSession(options: run, stack: stack, region: region)
        defer { RunProfile.shared.emit(to: session.events) }
        if let saved {
            try await Failing.report { try await PlanBinding.checkAccount(saved, file: url.path, client: session.context.client) }
        }
        let vars = try options.overrides()
        let report: ExecutionReport = try await session.locked {
            let plan: Plan
            if let saved {
                try await Planner(context: session.context).verifyUnchanged(saved)
                plan = saved
                print(PlanRenderer(colour: PlanCommand.colourOnStandardOutput).render(plan), terminator: "")
                if saved.isDestroy { return await destroy(saved, session, file: url.path) }
            } else if let compiled {
                plan = try await Planner(context: session.context).plan(compiled.graph, program: compiled.program, vars: vars)
                print(PlanRenderer(colour: PlanCommand.colourOnStandardOutput).render(plan), terminator: "")
                if plan.hasChanges && !autoApprove {
                    try session.interruption.prompting {
                        try Confirmation.ask(
                            "Do you want to perform these actions?\n  strata will perform the actions described above.",
                            flag: "--auto-approve")
                    }
                }
            } else {
                return ExecutionReport(runID: session.runID)
            }
            // Nothing to change may still leave something a killed run left coming up (an
            // add-on CREATING): apply waits for it, which changes nothing to confirm.
            guard plan.hasChanges || !Applier.unsettled(plan).isEmpty else { return ExecutionReport(runID: session.runID) }
            print("")
            return await Applier(
                context: session.context, events: session.events, parallelism: parallelism,
                deleteDeadline: session.deleteDeadline, stop: session.interruption.stop
            ).apply(plan)
        }
        try session.finish(report, saved?.isDestroy == true ? "Destroy" : "Apply")
    }

    /// A saved destroy plan (`plan --destroy --out`), carried out as `strata destroy` does: the
    /// clusters its program declares tell the controller sweep whose leftovers to wait for.
    private func destroy(_ plan: Plan, _ session: RunSession, file: String) async -> ExecutionReport {
        let graph = try? plan.carriedProgram(file: file).evaluate(vars: plan.vars, catalog: ResourceCatalog.all).graph
        print("")
        return await Destroyer(
            context: session.context, events: session.events, parallelism: parallelism,
            deleteDeadline: session.deleteDeadline, stop: session.interruption.stop
        ).destroy(plan, graph: graph)
    }
}

/// Flags shared by apply and destroy.
struct RunOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Write every event as one JSON line to FILE.", valueName: "FILE"))
    var events: String?

    @Option(
        help: ArgumentHelp(
            "The lock's lease in seconds, 1 to 86400 (default 60, or STRATA_LOCK_LEASE_SECONDS): how long a crashed run "
                + "blocks the stack.",
            valueName: "SECONDS"))
    var lockLease: Double?

    @Option(
        help: ArgumentHelp(
            "Wait up to this long (0 to 86400) for another run's lock instead of failing at once.", valueName: "SECONDS"))
    var lockTimeout: Double = 0

    static let leaseRange: ClosedRange<Double> = 1...86400
    static let lockTimeoutRange: ClosedRange<Double> = 0...86400
    static let parallelismRange = 1...1000

    // `contains` is false for nan and the infinities, so these also keep them out.
    func validate() throws {
        if let lockLease, !Self.leaseRange.contains(lockLease) {
            throw ValidationError("--lock-lease must be a number of seconds between 1 and 86400, got \(lockLease)")
        }
        guard Self.lockTimeoutRange.contains(lockTimeout) else {
            throw ValidationError("--lock-timeout must be a number of seconds between 0 and 86400, got \(lockTimeout)")
        }
    }

    /// `--parallelism` of apply and destroy.
    static func validateParallelism(_ value: Int) throws {
        guard parallelismRange.contains(value) else {
            throw ValidationError("--parallelism must be between 1 and 1000, got \(value)")
        }
    }

    /// `--lock-lease`, else `STRATA_LOCK_LEASE_SECONDS`, else 60 s.
    func lease(environment: [String: String]) throws -> Duration {
        let seconds =
            try lockLease
            ?? EnvironmentNumber.read("STRATA_LOCK_LEASE_SECONDS", in: Self.leaseRange, unit: "seconds", environment: environment)
            ?? 60
        return .milliseconds(Int64(seconds * 1000))
    }
}

/// A number from an environment variable. Unset or empty means the default; anything else must
/// be a finite number in the accepted range, or the run stops with an error naming the
/// variable, the value and the range (a typo is not silently replaced by the default).
struct EnvironmentNumber: Error, CustomStringConvertible {
    let variable: String
    let value: String
    let expected: String

    var description: String { "\(variable) is \"\(value)\": expected \(expected)" }

    static func read(
        _ variable: String, in range: ClosedRange<Double>, unit: String, environment: [String: String]
    ) throws -> Double? {
        guard let text = environment[variable], !text.isEmpty else { return nil }
        guard let value = Double(text), range.contains(value) else {
            let expected = "a number of \(unit) between \(format(range.lowerBound)) and \(format(range.upperBound))"
            throw EnvironmentNumber(variable: variable, value: text, expected: expected)
        }
        return value
    }

    static func read(_ variable: String, in range: ClosedRange<Int>, unit: String, environment: [String: String]) throws -> Int? {
        guard let text = environment[variable], !text.isEmpty else { return nil }
        guard let value = Int(text), range.contains(value) else {
            let expected = "a whole number of \(unit) between \(range.lowerBound) and \(range.upperBound)"
            throw EnvironmentNumber(variable: variable, value: text, expected: expected)
        }
        return value
    }

    private static func format(_ value: Double) -> String { String(format: "%g", value) }
}

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

    /// Reads the numeric settings and builds the client (both may fail, printing why), then
    /// prints the endpoint header; nothing has been sent yet.
    init(options: RunOptions, stack: String, region: String) throws {
        self.options = options
        self.stack = stack
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
            return .milliseconds(Int64(seconds * 1000))
        }
        return .seconds(300)
    }

    /// How long an interrupted run waits for its running operations: 30 s, or
    /// `STRATA_INTERRUPT_GRACE_SECONDS` (0 to 3600).
    static func interruptGrace(environment: [String: String]) throws -> Duration {
        let variable = "STRATA_INTERRUPT_GRACE_SECONDS"
        if let seconds = try EnvironmentNumber.read(variable, in: 0...3600, unit: "seconds", environment: environment) {
            return .milliseconds(Int64(seconds * 1000))
        }
        return .seconds(30)
    }

    /// Runs `body` holding the stack's lock (renewed meanwhile; the run is cancelled if the lock
    /// is lost), and releases it however `body` ends, interrupted included (``Interruption``).
    /// Errors are printed and exit 1 (128 + the signal when interrupted).
    func locked<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let lock = StackLock(client: context.client, stack: stack, runID: runID, lease: lease)
        let events = self.events
        let interruption = self.interruption
        interruption.install()
        do {
            let clock = ContinuousClock()
            let giveUp = clock.now.advanced(by: .milliseconds(Int64(options.lockTimeout * 1000)))
            while true {
                do {
                    let holder = try await lock.acquire()
                    events.emit(
                        .lockAcquired,
                        [
                            "stack": stack, "owner": holder.owner, "leaseSeconds": String(format: "%g", StackLock.seconds(lease)),
                            "expires": Event.timestampText(holder.expires),
                        ])
                    break
                } catch ExecutorError.lockHeld(let stack, let holder) where clock.now < giveUp && !interruption.stop.isStopped {
                    _ = stack
                    _ = holder
                    try await Task.sleep(for: .milliseconds(500))
                }
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(interruption.exitCode ?? 1)
        }
        let work = Task { try await body() }
        interruption.onCutOff({ work.cancel() }, releasingLock: { try? await lock.release() })
        await lock.startRenewing(
            onRenewed: { expires in events.emit(.lockRenewed, ["stack": stack, "expires": Event.timestampText(expires)]) },
            onLost: { error in
                events.emit(.lockLost, ["stack": stack, "error": "\(error)"])
                work.cancel()
            })
        let result = await work.result
        do {
            try await lock.release()
            events.emit(.lockReleased, ["stack": stack])
        } catch {
            FileHandle.standardError.write(Data("warning: releasing the lock failed: \(error)\n".utf8))
        }
        switch result {
        case .success(let value): return value
        case .failure(let error as ExitCode): throw interruption.exitCode.map { ExitCode($0) } ?? error
        case .failure(let error):
            view.stop()
            // Cut off before the walk (while planning): nothing was changed.
            let message = error is CancellationError && interruption.signal != nil ? "interrupted before any change was made" : "\(error)"
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            throw ExitCode(interruption.exitCode ?? 1)
        }
    }

    /// Prints the run's last line (`Apply complete: ...`, `... failed: ...`, `... interrupted: ...`)
    /// and `notes` after it, and exits as it went: 0, 1, or 128 + the signal that interrupted it.
    func finish(_ report: ExecutionReport, _ run: String, notes: [String] = []) throws {
        view.stop()
        let outcome = interruption.signal != nil ? "interrupted" : report.succeeded ? "complete" : "failed"
        print("\n\(run) \(outcome): " + report.summary)
        for note in notes { print(note) }
        if let code = interruption.exitCode { throw ExitCode(code) }
        if !report.succeeded { throw ExitCode.failure }
    }
}

/// Asking before changing anything.
enum Confirmation {
    /// Asks on the terminal; only `yes` goes on. Without a terminal there is no one to ask:
    /// that is an error naming the flag that skips the question.
    static func ask(_ question: String, flag: String) throws {
        guard isatty(STDIN_FILENO) == 1 else {
            FileHandle.standardError.write(
                Data("error: no terminal to ask for confirmation on; pass \(flag) to proceed without asking\n".utf8))
            throw ExitCode.failure
        }
        print("\n\(question)\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: ", terminator: "")
        fflush(nil)
        guard readLine()?.trimmingCharacters(in: .whitespaces) == "yes" else {
            print("\nCancelled: nothing was changed.")
            throw ExitCode.failure
        }
    }
}

/// Prints an error the way every command does and exits 1.
enum Failing {
    static func report<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    static func report<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ExitCode {
            throw error
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
