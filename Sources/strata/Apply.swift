import ArgumentParser
import Foundation
import StrataCompiler
import StrataExecutor
import StrataModel
import StrataPlanner
import StrataProviders
import StrataSyntax

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
            for running ones; a second signal stops at once. A version bump of a cluster or node pool \
            runs as a rollout (docs/rollouts.md): a stop before any pod moved rolls the node pool back, \
            a stop while pods move leaves the rollout recorded and the next apply continues it. Exit codes: 0 success, 1 error (every \
            failed operation is listed with its AWS error code and request id), 130/143 interrupted by \
            SIGINT/SIGTERM.
            """)

    @OptionGroup var options: StackOptions
    @OptionGroup var run: RunOptions

    @Flag(help: "Apply without asking for confirmation.")
    var autoApprove = false

    @Option(help: "How many operations run at once (1 to 1000).")
    var parallelism = 10

    @Flag(
        help: ArgumentHelp(
            "When a node pool's drain reaches its drain_timeout, delete the pods PodDisruptionBudgets still protect "
                + "(counted and reported) instead of stopping the rollout."))
    var forceDrain = false

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
        // The program the run evaluates (the compiled one, or the plan file's, decoded once); a
        // failure quotes its stack line from its sources.
        let program: Program
        if isPlanFile {
            // Checked whole before any call: the file is as strata wrote it (and signed, with
            // STRATA_PLAN_KEY), its --var values are given again and are the planned ones, and its
            // changes are what the program it carries evaluates to with them. No stack file is read.
            let (plan, carried) = try Failing.report {
                let plan = try PlanFile.read(from: url, key: try PlanKey.from(environment: ProcessInfo.processInfo.environment))
                    .givenVars(options.overrides())
                let carried = try plan.carriedProgram(file: url.path)
                try PlanBinding.check(plan, file: url.path, program: carried, catalog: ResourceCatalog.all)
                return (plan, carried)
            }
            (saved, compiled, program) = (plan, nil, carried)
            (stack, region) = (plan.stack, plan.region)
        } else {
            // Compiled once: the planner evaluates this program from here on.
            let stackProgram = try options.compileProgram()
            (saved, compiled, program) = (nil, stackProgram, stackProgram.program)
            (stack, region) = (stackProgram.graph.stack, stackProgram.graph.region)
        }
        let session = try RunSession(options: run, stack: stack, region: region, sources: program.sources)
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
                if saved.isDestroy { return await destroy(saved, program, session) }
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
                deleteDeadline: session.deleteDeadline, stop: session.interruption.stop,
                rollouts: session.rolloutRunner(forceDrain: forceDrain)
            ).apply(plan, program: program)
        }
        try session.finish(report, saved?.isDestroy == true ? "Destroy" : "Apply")
    }

    /// A saved destroy plan (`plan --destroy --out`), carried out as `strata destroy` does: the
    /// clusters its program declares tell the controller sweep whose leftovers to wait for.
    private func destroy(_ plan: Plan, _ program: Program, _ session: RunSession) async -> ExecutionReport {
        let graph = program.evaluate(vars: plan.vars, catalog: ResourceCatalog.all).graph
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
        return .seconds(seconds)
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
        guard answer()?.trimmingCharacters(in: .whitespaces) == "yes" else {
            print("\nCancelled: nothing was changed.")
            throw ExitCode.failure
        }
    }

    /// One line from the terminal, read with read(2) rather than `readLine`: stdio's reader holds
    /// standard input's lock while it waits, and every `fflush(nil)` (the live progress view
    /// redraws each second) then waits for it too, blocking a thread the run's tasks need (a
    /// Ctrl-C at the prompt could not leave). Nil at end of input.
    private static func answer() -> String? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(STDIN_FILENO, &byte, 1) == 1 {
            if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
        return line.isEmpty ? nil : String(decoding: line, as: UTF8.self)
    }
}
