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
            subnets and the VPC it removes what controllers made for the stack's clusters in them \
            (Karpenter's instances and launch templates, the Load Balancer Controller's load \
            balancers, target groups and security groups, the VPC CNI's available ENIs), found \
            by the controllers' ownership tags and listed before asking. Anything else in the \
            stack's subnets or VPCs is foreign: listed, never deleted. SIGINT or SIGTERM stops new \
            deletions and waits up to STRATA_INTERRUPT_GRACE_SECONDS (30) for running ones; a second \
            signal stops at once. Exit codes: 0 success, 1 error, 130/143 interrupted.
            """)

    @OptionGroup var options: StackOptions
    @OptionGroup var run: RunOptions

    @Flag(help: "Destroy without asking for confirmation.")
    var autoApprove = false

    @Flag(
        help: ArgumentHelp(
            "Stop before deleting anything if the stack's subnets or VPCs hold resources that are not the stack's.",
            discussion: "Without it, destroy deletes everything of the stack it can and fails on the subnets or VPC those resources hold."))
    var failOnForeign = false

    @Option(help: "How many deletions run at once (1 to 1000).")
    var parallelism = 10

    func validate() throws {
        try RunOptions.validateParallelism(parallelism)
    }

    func run() async throws {
        let (graph, sources) = try options.compiled()
        let session = try RunSession(options: run, stack: graph.stack, region: graph.region, sources: sources)
        let (report, unread): (ExecutionReport, [String]) = try await session.locked {
            let destroyer = Destroyer(
                context: session.context, events: session.events, parallelism: parallelism,
                deleteDeadline: session.deleteDeadline, stop: session.interruption.stop)
            let preview = try await destroyer.preview(
                graph: graph, stackAt: URL(fileURLWithPath: options.stack), vars: try options.overrides())
            let plan = preview.plan
            let unread = preview.unreadableManifests.map(\.description)
            guard !plan.changes.isEmpty else {
                print("Nothing to destroy: stack \(graph.stack) owns no resources in the account.")
                return (ExecutionReport(runID: session.runID), unread)
            }
            print("strata will delete \(plan.changes.count) resource\(plan.changes.count == 1 ? "" : "s") of stack \(graph.stack):")
            for change in plan.changes { print("  - \(change.address) (\(change.live?.id ?? "?"))") }
            Self.show(preview)
            if failOnForeign, !preview.sweep.foreign.isEmpty {
                FileHandle.standardError.write(
                    Data(
                        ("error: --fail-on-foreign: nothing was deleted; the stack's network holds \(preview.sweep.foreign.count) "
                            + "resource(s) that are not the stack's. Remove them, or destroy without --fail-on-foreign:\n"
                            + preview.sweep.foreign.map { "  - \($0)\n" }.joined()).utf8))
                throw ExitCode.failure
            }
            if !autoApprove {
                try session.interruption.prompting {
                    try Confirmation.ask("Do you really want to destroy all resources of stack \(graph.stack)?", flag: "--auto-approve")
                }
            }
            print("")
            return (await destroyer.destroy(plan, graph: graph, survey: preview.sweep), unread)
        }
        // Repeated at the end, where a CI log is read: the cluster took these objects with it
        // (when it was deleted) without strata seeing them.
        try session.finish(
            report, "Destroy", notes: unread.map { "  warning: manifests not read, deleted with their cluster: \($0)" })
    }

    /// The sweep's targets, the foreign resources it leaves, and the manifests no one could read.
    static func show(_ preview: Destroyer.Preview) {
        let sweep = preview.sweep
        if !sweep.targets.isEmpty {
            print("\nand, before the subnets and VPCs, \(sweep.targets.count) resource(s) controllers made for the stack's clusters:")
            for target in sweep.targets { print("  - \(target)") }
        }
        if !sweep.foreign.isEmpty {
            print("\nNot the stack's, left alone (\(sweep.foreign.count)): they keep their subnet or VPC in use, so deleting it will fail")
            print("unless they are removed first (--fail-on-foreign stops before deleting anything):")
            for target in sweep.foreign { print("  - \(target)") }
        }
        if !preview.unreadableManifests.isEmpty {
            print("\nwarning: the stack's manifests could not be read; they are not deleted one by one but go with their cluster:")
            for refusal in preview.unreadableManifests { print("  - \(refusal)") }
            for address in preview.unreadManifestAddresses { print("  - not read: \(address)") }
        }
    }
}
