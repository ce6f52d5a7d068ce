import AWSClient
import ArgumentParser
import Foundation
import StrataCompiler
import StrataPlanner
import StrataProviders
import StrataRollouts

/// `strata plan STACK`: what apply would change, from the stack files and the live account.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what apply would change in AWS.",
        discussion: """
            Compiles the stack, reads what it owns in the account (one tag-filtered describe per \
            resource type, in parallel) and prints every create, update, replacement and deletion. \
            --json prints Terraform's plan JSON (format 1.2) for policy tools. --out saves the plan \
            for `strata apply FILE`, which applies it only if the live state is unchanged. --destroy \
            plans what `strata destroy` would delete (the controller sweep's survey is made when it \
            runs). A version bump is shown as a rollout (docs/rollouts.md) with its preflight: what \
            each drain will meet is read from the cluster when its API server can be reached. Exit codes: 0 success, 1 error, 2 with --detailed-exitcode when there are changes.
            """)

    @OptionGroup var options: StackOptions

    @Option(help: ArgumentHelp("Save the plan (JSON, mode 0600, secrets redacted) for `strata apply FILE`.", valueName: "FILE"))
    var out: String?

    @Flag(help: "Print Terraform's plan JSON (format_version 1.2) instead of the human plan.")
    var json = false

    @Flag(help: "Exit 2 when the plan has changes (0 when none, 1 on error).")
    var detailedExitcode = false

    @Flag(help: "Plan the deletion of everything the stack owns, as `strata destroy` would (Terraform's plan -destroy).")
    var destroy = false

    @Flag(
        help: ArgumentHelp(
            "Plan drains that delete the pods PodDisruptionBudgets still protect when drain_timeout passes: the preflight "
                + "then warns about budgets that never allow and unmovable pods instead of blocking (apply --force-drain does it)."))
    var forceDrain = false

    @Option(
        help: ArgumentHelp(
            "Write the run's profile (run.profile: compiles, time in AWS calls, ...) as a JSON line to FILE.", valueName: "FILE"))
    var events: String?

    func run() async throws {
        RunProfile.start()
        let profile = try RunProfile.Reporter(eventsPath: events)
        defer { profile.report() }
        let (graph, program) = try options.compileProgram()
        // A key that cannot sign is an error before any call, not a plan file saved unsigned.
        let key = out == nil ? nil : try Failing.report { try PlanKey.from(environment: ProcessInfo.processInfo.environment) }
        // Where the calls go, before the first one; on standard error when standard output is JSON.
        let header = try Failing.report { try ClientFactory.endpointHeader() }
        if json {
            FileHandle.standardError.write(Data(header.utf8))
        } else {
            print(header, terminator: "")
        }
        var plan =
            destroy ? try await options.destroyPlan(graph, program: program) : try await options.livePlan(graph, program: program)
        if !plan.rollouts.isEmpty {
            // What each drain will meet, read from the cluster (a warning when it cannot be reached).
            let client = try ClientFactory.client(stackRegion: graph.region)
            let context = ProviderContext(client: client, stack: graph.stack, region: graph.region)
            plan = await RolloutPreflight(context: context, forceDrain: forceDrain).check(plan).plan
        }
        if let out { try Failing.report { try PlanFile.write(plan, to: URL(fileURLWithPath: out), key: key) } }
        if json {
            print(TerraformPlanJSON(strataVersion: StrataVersion.current).document(plan).pretty, terminator: "")
        } else {
            print(PlanRenderer(colour: Self.colourOnStandardOutput).render(plan), terminator: "")
            if let out { print("\nSaved the plan to \(out). Apply exactly this plan with: strata apply \(out)") }
        }
        if detailedExitcode && plan.hasChanges { throw ExitCode(2) }
    }

    /// Colour only on a terminal, and never with `NO_COLOR` (https://no-color.org) or TERM=dumb.
    static var colourOnStandardOutput: Bool {
        let environment = ProcessInfo.processInfo.environment
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        if environment["TERM"] == "dumb" { return false }
        return isatty(STDOUT_FILENO) == 1
    }
}
