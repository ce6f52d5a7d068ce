import Foundation
import StrataTestSupport

/// Runs the `strata` executable that `swift build` put next to the test bundle.
enum StrataBinary {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The products folder: the test bundle lives in it, and so does `strata`.
    static var url: URL {
        let runner = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        var dir = runner.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("strata").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("strata")
    }

    /// Runs strata to the end. The wait happens on a thread of its own: tests run concurrently
    /// on a cooperative pool as wide as the machine's cores (two here), and a test blocking a
    /// pool thread for a whole apply would stall every other test's timers and timeouts.
    static func run(_ arguments: [String], environment: [String: String] = [:], in directory: URL? = nil) async throws -> Result {
        try await offPool { try runBlocking(arguments, environment: environment, in: directory) }
    }

    /// Runs blocking work (a child process, a polling loop) on a dedicated thread and awaits it.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Swift.Result { try work() })
            }
        }
    }

    /// Runs any executable to the end on a thread of its own (``ChildProcess/run``: pipes that
    /// cannot leak, a deadline that kills it).
    static func runToEnd(
        _ executable: URL, _ arguments: [String], environment: [String: String] = [:], in directory: URL? = nil,
        timeout: Duration = .seconds(600)
    ) async throws -> ChildProcess.Finished {
        try await offPool { try ChildProcess.run(executable, arguments, environment: environment, in: directory, timeout: timeout) }
    }

    private static func runBlocking(_ arguments: [String], environment: [String: String], in directory: URL?) throws -> Result {
        let run = try ChildProcess.run(
            url, arguments, environment: environment.merging(["NO_COLOR": "1"]) { mine, _ in mine }, in: directory)
        return Result(
            status: run.status, stdout: String(decoding: run.stdout, as: UTF8.self), stderr: String(decoding: run.stderr, as: UTF8.self))
    }
}
