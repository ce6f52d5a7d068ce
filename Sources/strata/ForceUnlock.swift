import ArgumentParser
import Foundation
import StrataExecutor

/// `strata force-unlock STACK RUN_ID`: removes a dead run's lock.
struct ForceUnlockCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "force-unlock",
        abstract: "Remove a stack's lock held by a run that is gone.",
        discussion: """
            Deletes the lock only if RUN_ID (printed by the run, and in the error of any run it \
            blocked) holds it. A crashed run's lease also expires by itself (60 s by default). \
            STACK is a stack file or folder, or a stack name. Exit codes: 0 removed, 1 error.
            """)

    @Argument(help: "The stack: a stack file or folder, or its name.")
    var stack: String

    @Argument(help: "The run id holding the lock.")
    var runID: String

    @Option(help: "The region (default: the stack's, or AWS_REGION for a stack name).")
    var region: String?

    func run() async throws {
        var name = stack
        var stackRegion = region
        if FileManager.default.fileExists(atPath: stack) {
            let graph = try StackOptions.parse([stack]).compile()
            name = graph.stack
            stackRegion = stackRegion ?? graph.region
        }
        do {
            let resolvedRegion =
                stackRegion ?? ProcessInfo.processInfo.environment["AWS_REGION"]
                ?? ProcessInfo.processInfo.environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
            let client = try ClientFactory.client(stackRegion: resolvedRegion)
            try await StackLock.forceUnlock(client: client, stack: name, runID: runID)
            print("Removed the lock on stack \(name) held by run \(runID).")
        } catch {
            ErrorReport.print(error)
            throw ExitCode.failure
        }
    }
}
