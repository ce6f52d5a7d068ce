import ArgumentParser
import Foundation
import StrataCompiler
import StrataModel
import StrataPlanner
import StrataProviders
import StrataRollouts

/// `strata upgrade STACK --cluster NAME --to X.Y`: the rollout a version bump would be, without
/// editing the stack files. `--dry-run` shows it and changes nothing; otherwise the plan is
/// applied through `strata apply`'s saved-plan path.
struct UpgradeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upgrade",
        abstract: "Roll a cluster to a new Kubernetes minor, or show what that would do (--dry-run).",
        discussion: """
            Plans the stack with cluster NAME's version, and the version of each node pool that \
            follows it, set to X.Y (the stack files are not edited): per minor hop the control plane, \
            the add-ons that minor needs, then the node pools (blue/green or rolling, as each pool's \
            rollout strategy says). The preflight reads the cluster: the pods each drain will evict, \
            the PodDisruptionBudgets that block now and those that can never allow an eviction. \
            --dry-run prints that with an estimate per step and in total (--json for pipelines) and \
            makes no change. Without it the plan is applied as `strata apply` applies a saved plan, \
            after asking (unless --auto-approve). Afterwards the stack files still name the old \
            version: the next plan changes nothing and says which line to update (docs/rollouts.md). \
            Exit codes: 0 success, 1 error or a blocked rollout.
            """)

    @OptionGroup var options: StackOptions
    @OptionGroup var run: RunOptions

    @Option(help: ArgumentHelp("The EKS name of the cluster to upgrade.", valueName: "NAME"))
    var cluster: String

    @Option(help: ArgumentHelp("The Kubernetes minor to reach (several minors are planned as hops).", valueName: "X.Y"))
    var to: String

    @Flag(help: "Show the rollout and the live drain survey; change nothing.")
    var dryRun = false

    @Flag(help: "With --dry-run: print the preview as JSON.")
    var json = false

    @Flag(help: "Apply without asking for confirmation.")
    var autoApprove = false

    @Flag(help: "When a drain reaches its drain_timeout, delete the pods budgets still protect (counted and reported).")
    var forceDrain = false

    @Option(help: "How many operations run at once (1 to 1000).")
    var parallelism = 10

    func validate() throws {
        try RunOptions.validateParallelism(parallelism)
        guard to.split(separator: ".").count == 2, to.split(separator: ".").allSatisfy({ Int($0) != nil }) else {
            throw ValidationError("--to expects a Kubernetes minor like 1.32, got `\(to)`")
        }
        if json && !dryRun { throw ValidationError("--json goes with --dry-run (apply's output is the live progress)") }
    }

    func run() async throws {
        let (graph, program) = try options.compileProgram()
        let vars = try options.overrides()
        let upgraded = try Failing.report { try VersionOverride.upgrading(program, graph: graph, cluster: cluster, to: to) }
        let upgradedGraph = try Failing.report {
            let result = upgraded.evaluate(vars: vars, catalog: ResourceCatalog.all)
            guard let graph = result.graph, !result.hasErrors else { throw PlanError.compileWithLiveValues(result.renderedErrors) }
            return graph
        }
        let header = try Failing.report { try ClientFactory.endpointHeader() }
        FileHandle.standardError.write(Data(header.utf8))
        let client = try ClientFactory.client(stackRegion: graph.region)
        let context = ProviderContext(client: client, stack: graph.stack, region: graph.region)
        let planned = try await Failing.report { try await Planner(context: context).plan(upgradedGraph, program: upgraded, vars: vars) }
        // The Kubernetes half of the preflight, for this cluster's rollout.
        let (plan, pools) = await RolloutPreflight(context: context, forceDrain: forceDrain).check(planned, only: cluster)
        let rollout = plan.rollouts.first { $0.clusterName == cluster && !$0.steps.isEmpty }
        let covered = Set(plan.rollouts.flatMap(\.steps).map(\.target)).union(plan.rollouts.map(\.cluster))
        let preview = UpgradePreview(
            cluster: cluster, rollout: rollout ?? plan.rollouts.first { $0.clusterName == cluster }, pools: pools,
            otherChanges: plan.actionable.filter { !covered.contains($0.address) })

        if dryRun {
            if json {
                print(preview.json.pretty, terminator: "")
            } else {
                print("Dry run of strata upgrade \(cluster) to \(to): nothing is changed.\n")
                print(preview.text(PlanRenderer(colour: PlanCommand.colourOnStandardOutput)), terminator: "")
            }
            if rollout?.isBlocked == true { throw ExitCode.failure }
            return
        }
        print(preview.text(PlanRenderer(colour: PlanCommand.colourOnStandardOutput)), terminator: "")
        guard let rollout, !rollout.isBlocked else {
            if rollout?.isBlocked == true {
                FileHandle.standardError.write(Data("error: the rollout is blocked: fix the blocking findings above\n".utf8))
                throw ExitCode.failure
            }
            return
        }
        if !autoApprove {
            try Confirmation.ask(
                "Do you want to roll cluster \(cluster) to \(to)?\n  strata will perform the steps above.", flag: "--auto-approve")
        }
        try await apply(plan)
    }

    /// Through `strata apply PLANFILE`: the plan carries the upgraded program, so apply (now, or
    /// a run continuing it) checks it against the account and performs exactly its steps.
    private func apply(_ plan: Plan) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strata-upgrade-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("upgrade.plan")
        try Failing.report {
            try PlanFile.write(plan, to: file, key: try PlanKey.from(environment: ProcessInfo.processInfo.environment))
        }
        var arguments = [file.path, "--auto-approve", "--parallelism", String(parallelism), "--lock-timeout", String(run.lockTimeout)]
        for assignment in options.vars { arguments += ["--var", assignment] }
        if let events = run.events { arguments += ["--events", events] }
        if let lease = run.lockLease { arguments += ["--lock-lease", String(lease)] }
        if forceDrain { arguments.append("--force-drain") }
        let apply = try ApplyCommand.parse(arguments)
        try await apply.run()
    }
}
