import ArgumentParser
import Foundation
import StrataCompiler
import StrataExecutor
import StrataPlanner
import StrataProviders

/// `strata destroy STACK`: deletes everything the stack owns in the account.
struct DestroyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy",
        abstract: "Delete every AWS resource the stack owns.",
        discussion: """
            Finds every resource tagged for the stack (and IAM under /strata/<stack>/), shows the \
            list and asks for 'yes' unless --auto-approve. Deletes dependents first; before the \
            subnets and the VPC it removes what controllers left in them (Karpenter instances and \
            launch templates, Load Balancer Controller security groups, available ENIs). SIGINT or \
            SIGTERM stops new deletions and waits up to STRATA_INTERRUPT_GRACE_SECONDS (30) for running \
            ones; a second signal stops at once. Exit codes: 0 success, 1 error, 130/143 interrupted.
            """)

    @OptionGroup var options: StackOptions
    @OptionGroup var run: RunOptions

    @Flag(help: "Destroy without asking for confirmation.")
    var autoApprove = false

    @Option(help: "How many deletions run at once (1 to 1000).")
    var parallelism = 10

    func validate() throws {
        try RunOptions.validateParallelism(parallelism)
    }

    func run() async throws {
        let graph = try options.compile()
        let session = try RunSession(options: run, stack: graph.stack, region: graph.region)
        let report: ExecutionReport = try await session.locked {
            let destroyer = Destroyer(
                context: session.context, events: session.events, parallelism: parallelism,
                deleteDeadline: session.deleteDeadline, stop: session.interruption.stop)
            let plan = try await destroyer.plan(graph: graph, stackAt: URL(fileURLWithPath: options.stack), vars: try options.overrides())
            guard !plan.changes.isEmpty else {
                print("Nothing to destroy: stack \(graph.stack) owns no resources in the account.")
                return ExecutionReport(runID: session.runID)
            }
            print("strata will delete \(plan.changes.count) resource\(plan.changes.count == 1 ? "" : "s") of stack \(graph.stack):")
            for change in plan.changes { print("  - \(change.address) (\(change.live?.id ?? "?"))") }
            if !autoApprove {
                try session.interruption.prompting {
                    try Confirmation.ask("Do you really want to destroy all resources of stack \(graph.stack)?", flag: "--auto-approve")
                }
            }
            print("")
            return await destroyer.destroy(plan, graph: graph)
        }
        try session.finish(report, "Destroy")
    }
}
