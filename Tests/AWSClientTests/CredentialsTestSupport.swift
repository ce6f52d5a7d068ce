import AWSClient
import AWSSigner
import Foundation
import StrataTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A temporary directory holding a test's config, credentials and token files.
struct CredentialsScratch {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("strata-credentials-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// An environment pointing at this directory's files, with nothing of the developer's own.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = [
            "HOME": directory.path,
            "AWS_CONFIG_FILE": path("config"),
            "AWS_SHARED_CREDENTIALS_FILE": path("credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
        ]
        environment.merge(extra) { _, new in new }
        return environment
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}

/// A transport that records what was sent and forwards it (or answers from a closure).
final class RecordingTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var sent: [HTTPRequest] = []
    private let answer: @Sendable (HTTPRequest) async throws -> HTTPResponse

    init(forwardingTo base: any HTTPTransport) {
        answer = { try await base.send($0) }
    }

    init(answer: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) {
        self.answer = answer
    }

    var requests: [HTTPRequest] {
        lock.lock()
        defer { lock.unlock() }
        return sent
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        lock.withLock { sent.append(request) }
        return try await answer(request)
    }
}

/// A Python process started by a test, stopped when the test is done or when this test process
/// ends (its stdin is a pipe from here; the wrapper exits when the pipe closes).
final class PythonProcess: @unchecked Sendable {
    private let child: ChildProcess.Running
    let firstLine: String

    /// Runs `python3 -c <script> <arguments>`; waits (up to 60 s) for the script's first stdout line.
    init(script: String, arguments: [String] = []) throws {
        let watchdog = """
            import os, sys, threading
            threading.Thread(target=lambda: (sys.stdin.buffer.read(), os._exit(0)), daemon=True).start()
            """
        child = try ChildProcess.launch(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-u", "-c", watchdog + "\n" + script] + arguments, stdinPipe: true,
            output: .pipe)
        firstLine = try child.readLine(timeout: .seconds(60)) ?? ""
    }

    func stop() {
        child.closeInput()
        child.terminate()
        _ = try? child.waitForExit(timeout: .seconds(10))
    }
}

/// A local stand-in for the EC2 instance metadata service (IMDSv2: session token required) and
/// the container credentials endpoint (Authorization required). `GET /__log` lists what it served.
final class MetadataServer: @unchecked Sendable {
    let process: PythonProcess
    let url: URL

    static let script = """
        import datetime, http.server, json, sys
        mode, expected_auth = sys.argv[1], sys.argv[2]
        TOKEN = "imds-session-token-1"
        log = []
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args): pass
            def reply(self, code, body, kind="text/plain"):
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            def record(self):
                log.append({"method": self.command, "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()}})
            def credentials(self):
                expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
                return json.dumps({"Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "ASIA" + mode.upper().replace("-", ""),
                                   "SecretAccessKey": "secret-from-" + mode, "Token": "token-from-" + mode,
                                   "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ")})
            def do_PUT(self):
                self.record()
                if self.path == "/latest/api/token" and self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                    return self.reply(200, TOKEN)
                self.reply(400, "missing X-aws-ec2-metadata-token-ttl-seconds")
            def do_GET(self):
                if self.path == "/__log":
                    return self.reply(200, json.dumps(log), "application/json")
                self.record()
                if mode.startswith("imds"):
                    if self.headers.get("X-aws-ec2-metadata-token") != TOKEN:
                        return self.reply(401, "IMDSv2 session token required")
                    if self.path == "/latest/meta-data/iam/security-credentials/":
                        return self.reply(404, "") if mode == "imds-no-role" else self.reply(200, "strata-node-role\\n")
                    if self.path == "/latest/meta-data/iam/security-credentials/strata-node-role":
                        return self.reply(200, self.credentials(), "application/json")
                    return self.reply(404, "")
                if mode == "sso":
                    if self.headers.get("x-amz-sso_bearer_token") != expected_auth:
                        return self.reply(401, json.dumps({"message": "Session token not found or invalid"}), "application/json")
                    if self.path != "/federation/credentials?account_id=111122223333&role_name=PlatformAdmin":
                        return self.reply(404, "")
                    expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
                    return self.reply(200, json.dumps({"roleCredentials": {
                        "accessKeyId": "ASIASSO", "secretAccessKey": "secret-from-sso", "sessionToken": "token-from-sso",
                        "expiration": int(expires.timestamp() * 1000)}}), "application/json")
                if self.headers.get("Authorization") != expected_auth:
                    return self.reply(401, json.dumps({"code": "Unauthorized"}), "application/json")
                if self.path == "/v2/credentials/pod":
                    return self.reply(200, self.credentials(), "application/json")
                self.reply(404, "")
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """

    /// `mode`: `imds`, `imds-no-role`, `container` (which wants `Authorization: <authorization>`)
    /// or `sso` (the SSO portal, which wants `x-amz-sso_bearer_token: <authorization>`).
    init(mode: String, authorization: String = "") throws {
        process = try PythonProcess(script: Self.script, arguments: [mode, authorization])
        guard let port = Int(process.firstLine), let url = URL(string: "http://127.0.0.1:\(port)") else {
            process.stop()
            throw CredentialsError(source: "test", message: "metadata server did not start: \(process.firstLine)")
        }
        self.url = url
    }

    struct Served: Decodable {
        var method: String
        var path: String
        var headers: [String: String]
    }

    func served(over transport: any HTTPTransport) async throws -> [Served] {
        let response = try await transport.send(HTTPRequest(method: "GET", url: url.appendingPathComponent("__log")))
        return try JSONDecoder().decode([Served].self, from: response.body)
    }

    func stop() { process.stop() }
}

/// moto's server for STS, on a free port in 4700-4749, shared by the tests of this process; or
/// the project's sandbox when `STRATA_SANDBOX_URL` is set.
actor LocalSTS {
    static let shared = LocalSTS()
    private var started: (url: URL, process: PythonProcess?)?

    func url(transport: any HTTPTransport) async throws -> URL {
        if let started { return started.url }
        if let configured = ProcessInfo.processInfo.environment["STRATA_SANDBOX_URL"], !configured.isEmpty,
            let url = URL(string: configured)
        {
            started = (url, nil)
            return url
        }
        for port in Array(4700...4749).shuffled().prefix(8) where Self.canBind(port) {
            let process = try PythonProcess(
                script: """
                    print("starting", flush=True)
                    from moto.server import main
                    main(["-H", "127.0.0.1", "-p", sys.argv[1]])
                    """, arguments: [String(port)])
            guard let url = URL(string: "http://127.0.0.1:\(port)") else { continue }
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline {
                let probe = HTTPRequest(method: "GET", url: url.appendingPathComponent("moto-api/"), timeout: .seconds(2))
                if let response = try? await transport.send(probe), response.status < 500 {
                    started = (url, process)
                    return url
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            process.stop()
        }
        throw CredentialsError(source: "test", message: "could not start moto on a port in 4700-4749")
    }

    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}

/// A provider that counts its calls and hands out credentials expiring `lifetime` after the
/// injected clock's now, optionally slowly, optionally failing.
final class CountingProvider: CredentialProvider, @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    private var failing = false
    let clock: TestClock
    let lifetime: TimeInterval
    let delay: Duration

    init(clock: TestClock, lifetime: TimeInterval, delay: Duration = .zero) {
        self.clock = clock
        self.lifetime = lifetime
        self.delay = delay
    }

    var calls: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }

    func fail(_ value: Bool) {
        lock.lock()
        failing = value
        lock.unlock()
    }

    func credentials() async throws -> AWSCredentials {
        let (number, shouldFail) = lock.withLock { () -> (Int, Bool) in
            count += 1
            return (count, failing)
        }
        if delay > .zero { try await Task.sleep(for: delay) }
        if shouldFail { throw CredentialsError(source: "test", message: "refresh failed") }
        return AWSCredentials(
            accessKeyID: "ASIA\(number)", secretAccessKey: "secret\(number)", sessionToken: "token\(number)",
            expiration: clock.now.addingTimeInterval(lifetime))
    }
}

/// A clock tests move by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = start
    }

    var now: Date {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    func advance(_ seconds: TimeInterval) {
        lock.lock()
        current = current.addingTimeInterval(seconds)
        lock.unlock()
    }
}
