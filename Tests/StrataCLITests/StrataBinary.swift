import Foundation

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

    private static func runBlocking(_ arguments: [String], environment: [String: String], in directory: URL?) throws -> Result {
        let run = try runToEnd(url, arguments, environment: environment.merging(["NO_COLOR": "1"]) { mine, _ in mine }, in: directory)
        return Result(
            status: run.status, stdout: String(decoding: run.stdout, as: UTF8.self), stderr: String(decoding: run.stderr, as: UTF8.self))
    }

    /// Runs any executable to the end, blocking (call it through ``offPool(_:)``): the process's
    /// environment plus `environment`, both pipes drained at once so a chatty child never blocks
    /// on a full one.
    static func runToEnd(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], in directory: URL? = nil) throws
        -> (status: Int32, stdout: Data, stderr: Data)
    {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, given in given }
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errors = ErrorStream()
        let drained = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            errors.data = err.fileHandleForReading.readDataToEndOfFile()
            drained.signal()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        process.waitUntilExit()
        return (process.terminationStatus, outData, errors.data)
    }

    /// Standard error as the draining thread read it (written once, read after it signalled).
    private final class ErrorStream: @unchecked Sendable {
        var data = Data()
    }
}
