import AWSClient
import AWSSigner
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import StrataTestSupport
import Testing

/// Apply under a misbehaving AWS: injected throttling and 5xx are absorbed; a resource AWS
/// refuses fails alone, its dependents are skipped, independent work completes, and the error
/// shows the AWS code and request id. Faults hit every caller of a sandbox, so these tests run
/// on a private sandbox of their own, never on the shared one other tests use.
@Suite(.serialized) struct ApplyFaultTests {
    @Test func applySucceedsUnderThrottlingAndServerErrors() async throws {
        let sandbox = try PrivateSandbox()
        defer { sandbox.stop() }
        let copy = try StackCopy(of: "demo")
        defer { copy.remove() }
        let env = copy.environment(sandbox.environment)
        try sandbox.control("POST", "/_sandbox/faults", #"[{"throttle_rate": 0.3, "seed": 11}, {"error_rate": 0.05, "seed": 12}]"#)
        let apply = try StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
        try sandbox.control("DELETE", "/_sandbox/faults")
        #expect(apply.status == 0, "apply under faults failed:\n\(apply.stdout)\n\(apply.stderr)")
        let census = try await StackCensus.take(sandbox.client(), stack: copy.stack)
        #expect(census.vpcs == 1 && census.subnets == 4 && census.roles == 1, "\(census)")
        let plan = try StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
        #expect(plan.status == 0, "\(plan.stdout)")
        let destroy = try StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: env)
        #expect(destroy.status == 0, "\(destroy.stdout)\n\(destroy.stderr)")
    }

    @Test func aRefusedResourceSkipsItsDependentsAndIndependentWorkCompletes() async throws {
        let sandbox = try PrivateSandbox()
        defer { sandbox.stop() }
        let copy = try StackCopy(of: "demo")
        defer { copy.remove() }
        let env = copy.environment(sandbox.environment)
        // AWS refuses every CreateRouteTable (HTTP 500 each time, retries included).
        try sandbox.control("POST", "/_sandbox/faults", #"{"service": "ec2", "action": "CreateRouteTable", "error_rate": 1.0, "seed": 1}"#)
        let failed = try StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
        try sandbox.control("DELETE", "/_sandbox/faults")
        #expect(failed.status == 1)
        let out = failed.stdout
        #expect(out.contains("aws_route_table.public_routes[0]: create failed"), "\(out)")
        #expect(out.contains("[code "), "the failure should show the AWS error code: \(out)")
        #expect(out.contains("request id"), "the failure should show the request id: \(out)")
        // Dependents skipped (the route, both associations), each once, without repeating the error.
        #expect(out.contains("aws_route.public_internet[0]: skipped (depends on module.network.aws_route_table.public_routes[0]"))
        #expect(out.contains("aws_route_table_association.public_association[0]: skipped"))
        #expect(out.components(separatedBy: "create failed").count == 2, "the error is reported once: \(out)")
        #expect(out.contains("Apply failed: 9 created"), "\(out)")
        // Independent work is done.
        let census = try await StackCensus.take(sandbox.client(), stack: copy.stack)
        #expect(census.vpcs == 1 && census.subnets == 4 && census.roles == 1 && census.internetGateways == 1, "\(census)")
        #expect(census.routeTables == 0)

        // Without the fault, apply again finishes the job and the stack converges.
        let again = try StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
        #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
        #expect(again.stdout.contains("Apply complete: 4 created"), "\(again.stdout)")
        let destroy = try StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: env)
        #expect(destroy.status == 0, "\(destroy.stdout)\n\(destroy.stderr)")
    }
}

/// A sandbox process of one test's own (the shared one serves other tests at the same time), on
/// a free port, at time scale 0.01 with signatures verified; stopped by `stop()`.
final class PrivateSandbox: @unchecked Sendable {
    let url: URL
    private let process: Process

    init() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let port = try Self.freePort()
        url = URL(string: "http://127.0.0.1:\(port)")!
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "sandbox/run", "--port", "\(port)", "--verify-signatures", "--time-scale", "0.01"]
        process.currentDirectoryURL = root
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let wait = try Self.python(["\(root.path)/sandbox/wait_ready.py", url.absoluteString, "60"])
        guard wait == 0 else {
            stop()
            throw SandboxStartError(description: "private sandbox on \(url) did not become ready")
        }
    }

    struct SandboxStartError: Error, CustomStringConvertible { var description: String }

    var environment: [String: String] {
        [
            "AWS_ENDPOINT_URL": url.absoluteString, "AWS_ACCESS_KEY_ID": Sandbox.accessKeyID,
            "AWS_SECRET_ACCESS_KEY": Sandbox.secretAccessKey, "AWS_REGION": Sandbox.region, "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_PROFILE": "", "AWS_CONFIG_FILE": "/nonexistent/strata-test/config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/strata-test/credentials", "AWS_SESSION_TOKEN": "",
        ]
    }

    func client() -> AWSClient {
        let credentials = AWSCredentials(accessKeyID: Sandbox.accessKeyID, secretAccessKey: Sandbox.secretAccessKey)
        let url = self.url
        return AWSClient(
            configuration: AWSClient.Configuration(
                region: Sandbox.region, credentials: { credentials }, endpoint: { _, _ in url }, retry: RetryPolicy(),
                rateLimits: .unlimited))
    }

    /// A control call (`/_sandbox/...`), through Python's standard library.
    func control(_ method: String, _ path: String, _ body: String = "") throws {
        let script = """
            import sys, urllib.request
            data = sys.argv[3].encode() if sys.argv[3] else None
            request = urllib.request.Request(sys.argv[1], data=data, method=sys.argv[2], headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=30).read()
            """
        let status = try Self.python(["-c", script, url.absoluteString + path, method, body])
        guard status == 0 else { throw SandboxStartError(description: "\(method) \(path) failed on the private sandbox") }
    }

    func stop() {
        // SIGKILL: a process spawned from a Swift thread inherits a mask that blocks SIGTERM.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    private static func python(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    private static func freePort() throws -> Int {
        let script = "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard let port = Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw SandboxStartError(description: "no free port")
        }
        return port
    }
}
