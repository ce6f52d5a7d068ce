import AWSClient
import AWSSigner
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The local AWS (``sandbox/run``) as integration tests see it.
///
/// If `STRATA_SANDBOX_URL` is set, that server is used as is. Otherwise the first caller starts
/// `python3 sandbox/run --port <free port in 4750-4799> --verify-signatures --time-scale 0.01` from
/// the repository root, once per test process; it is killed when the process exits (and, should
/// the process die without exiting cleanly, when the pipe to it closes).
///
/// The shared sandbox is one stateful server that every test uses at once, each under stack
/// names of its own; so nothing may reset it, inject faults into it or count its requests. Tests
/// that need to do that run inside ``exclusive(_:)``, which hands them a second sandbox that only
/// one test holds at a time.
public final class Sandbox: Sendable {
    /// Where the sandbox listens, e.g. `http://127.0.0.1:4750`.
    public let url: URL
    /// True when the `/_sandbox/...` control endpoints answer (false for a bare moto server).
    public let hasControlEndpoints: Bool
    private let transport: CurlTransport

    /// The access key and secret the sandbox accepts (any pair verifies, as long as it signs).
    public static let accessKeyID = "test"
    public static let secretAccessKey = "test"
    public static let region = "us-east-1"

    private init(url: URL, hasControlEndpoints: Bool, transport: CurlTransport) {
        self.url = url
        self.hasControlEndpoints = hasControlEndpoints
        self.transport = transport
    }

    /// The shared sandbox, started on first use. Throws (never skips) when it cannot start.
    public static func shared() async throws -> Sandbox {
        try await SandboxLauncher.instance.sandbox()
    }

    /// Runs `body` with a sandbox of its own that no other test touches meanwhile: for anything
    /// that resets, injects faults, or reads the request log. It is a second server, started on
    /// first use, so the tests running on the shared one lose nothing. (With `STRATA_SANDBOX_URL`
    /// set there is no second server: the body gets the configured one, and only takes turns.)
    ///
    /// `timeScale` multiplies AWS's durations on that server (`--time-scale`): 0.001 brings a
    /// whole prod apply (cluster 0.54 s) within seconds, for tests that apply it twenty times.
    /// One server is started per scale asked for, each held by one test at a time (so a long
    /// test at 0.001 does not hold up the ones at 0.01); with `STRATA_SANDBOX_URL` all take turns
    /// on the one server.
    ///
    /// A test's `.timeLimit` counts its turn in that queue too (the prod crash tests wait minutes
    /// for each other): the limits are backstops against a hang, set well above a whole queue.
    /// The rollout suites take turns at 0.002, apart from the crash tests' queue at 0.001.
    public func exclusive<T: Sendable>(timeScale: Double = 0.01, _ body: @Sendable (Sandbox) async throws -> T) async throws -> T {
        let lock = SandboxLock.forServer(timeScale: SandboxLauncher.configuredURL == nil ? timeScale : 0)
        await lock.acquire()
        do {
            let own = try await SandboxLauncher.instance.exclusiveSandbox(timeScale: timeScale, fallback: self)
            // Whatever the last holder left (it may have failed half-way), this one starts with
            // the clock running and no faults.
            if own.hasControlEndpoints {
                try await own.freezeClock(false)
                try await own.clearFaults()
            }
            let value = try await body(own)
            await lock.release()
            return value
        } catch {
            await lock.release()
            throw error
        }
    }

    /// Environment for launching the `strata` binary against this sandbox.
    public var environment: [String: String] {
        [
            "AWS_ENDPOINT_URL": url.absoluteString,
            "AWS_ACCESS_KEY_ID": Self.accessKeyID,
            "AWS_SECRET_ACCESS_KEY": Self.secretAccessKey,
            "AWS_REGION": Self.region,
            "AWS_EC2_METADATA_DISABLED": "true",
            // Keep the developer's own profile and config files out of tests.
            "AWS_PROFILE": "",
            "AWS_CONFIG_FILE": "/nonexistent/strata-test/config",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/strata-test/credentials",
            "AWS_SESSION_TOKEN": "",
        ]
    }

    /// Forgets every resource (`POST /_sandbox/reset`).
    public func reset() async throws {
        try await control("POST", "/_sandbox/reset")
    }

    /// Every request the sandbox served since the last ``clearRequests()``, oldest first.
    public func requests() async throws -> [SandboxRequest] {
        let body = try await control("GET", "/_sandbox/requests")
        struct Log: Decodable { var requests: [SandboxRequest] }
        do {
            if let log = try? JSONDecoder().decode(Log.self, from: body) { return log.requests }
            return try JSONDecoder().decode([SandboxRequest].self, from: body)
        } catch {
            throw SandboxError("cannot read /_sandbox/requests: \(error): \(String(decoding: body.prefix(300), as: UTF8.self))")
        }
    }

    /// Every request the Kubernetes API server of EKS cluster `cluster` served, oldest first
    /// (`/_sandbox/kube/clusters/<region>/<name>/requests`).
    public func kubernetesRequests(cluster: String) async throws -> [KubernetesRequest] {
        let body = try await control("GET", "/_sandbox/kube/clusters/\(Self.region)/\(cluster)/requests")
        struct Log: Decodable { var requests: [KubernetesRequest] }
        return try JSONDecoder().decode(Log.self, from: body).requests
    }

    /// Withdraws the caller's access to EKS cluster `cluster`'s Kubernetes API, as EKS answers
    /// once an access entry is removed: every request answered `refuse` (401 or 403); nil serves again.
    public func kubernetesAccess(cluster: String, refuse: Int?) async throws {
        let body = Data(#"{"refuse": \#(refuse.map(String.init) ?? "null")}"#.utf8)
        try await control("POST", "/_sandbox/kube/clusters/\(Self.region)/\(cluster)/access", body: body)
    }

    /// Empties the request log.
    public func clearRequests() async throws {
        try await control("DELETE", "/_sandbox/requests")
    }

    /// Injects faults (latency, throttling, 5xx) for the matching service/action.
    public func setFaults(_ faults: SandboxFaults) async throws {
        let body = try JSONEncoder().encode(faults)
        try await control("POST", "/_sandbox/faults", body: body)
    }

    /// How many requests each fault rule matched so far, in the order the rules were added. A
    /// request counts as it arrives, before its injected latency: a test can tell a slowed call
    /// is in flight (AWS is working on it) rather than not sent yet.
    public func faultMatches() async throws -> [Int] {
        struct Rules: Decodable {
            struct Rule: Decodable { var matched: Int }
            var rules: [Rule]
        }
        return try JSONDecoder().decode(Rules.self, from: try await control("GET", "/_sandbox/faults")).rules.map(\.matched)
    }

    /// Removes every injected fault.
    public func clearFaults() async throws {
        try await control("DELETE", "/_sandbox/faults")
    }

    /// Stops (true) or restarts (false) the lifecycle clock: while stopped, a cluster CREATING
    /// or a NAT gateway pending stays so, as on AWS where they take minutes.
    public func freezeClock(_ frozen: Bool) async throws {
        try await control("POST", "/_sandbox/clock", body: Data(#"{"freeze": \#(frozen)}"#.utf8))
    }

    /// Stops the lifecycle clock the moment the `count`-th next successful `action` of
    /// `service` is answered: a test that stopped it itself on seeing the answer could be late
    /// on a loaded machine, and find what it wanted caught mid-create already done.
    public func freezeClock(afterAnswering action: String, of service: String, count: Int = 1) async throws {
        let trigger: [String: Any] = ["freeze_after": ["service": service, "action": action, "count": count]]
        try await control("POST", "/_sandbox/clock", body: try JSONSerialization.data(withJSONObject: trigger))
    }

    @discardableResult
    public func control(_ method: String, _ path: String, body: Data = Data()) async throws -> Data {
        guard hasControlEndpoints else {
            throw SandboxError("\(url) has no /_sandbox control endpoints (a bare moto server?): cannot \(method) \(path)")
        }
        var headers: [(name: String, value: String)] = []
        if !body.isEmpty { headers.append((name: "Content-Type", value: "application/json")) }
        let request = HTTPRequest(
            method: method, url: url.appendingPathComponent(String(path.dropFirst())), headers: headers, body: body,
            timeout: .seconds(30))
        let response = try await transport.send(request)
        guard (200..<300).contains(response.status) else {
            throw SandboxError(
                "\(method) \(path) answered HTTP \(response.status): \(String(decoding: response.body.prefix(300), as: UTF8.self))")
        }
        return response.body
    }

    fileprivate static func connect(to url: URL, transport: CurlTransport, deadline: ContinuousClock.Instant, launched: SandboxProcess?)
        async throws -> Sandbox
    {
        let health = HTTPRequest(method: "GET", url: url.appendingPathComponent("_sandbox/health"), timeout: .seconds(5))
        var lastProblem = "no answer yet"
        while ContinuousClock.now < deadline {
            if let launched, let status = launched.exitStatus() {
                throw SandboxError("sandbox exited with status \(status) before it was healthy:\n\(launched.logTail())")
            }
            do {
                let response = try await transport.send(health)
                if response.status == 200 {
                    // Another sandbox on the same port (started at the same moment by this or
                    // another test process) answers too: ours lost the port and exits.
                    if let launched, !launched.answered(response.body) { throw SandboxPortTaken() }
                    return Sandbox(url: url, hasControlEndpoints: true, transport: transport)
                }
                // Someone else's server (a bare moto) answers, just not our health check.
                if launched == nil {
                    return Sandbox(url: url, hasControlEndpoints: false, transport: transport)
                }
                lastProblem = "health answered HTTP \(response.status)"
            } catch let error as SandboxPortTaken {
                throw error
            } catch {
                lastProblem = "\(error)"
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let log = launched.map { "\n" + $0.logTail() } ?? ""
        throw SandboxError("sandbox at \(url) not healthy before the deadline (\(lastProblem))\(log)")
    }
}

/// One entry of the sandbox's request log. Fields the sandbox adds beyond these are ignored.
/// One request a cluster's Kubernetes API server served.
public struct KubernetesRequest: Decodable, Sendable {
    public var method: String
    public var path: String
}

public struct SandboxRequest: Decodable, Sendable {
    public var service: String?
    public var action: String?
    public var method: String?
    public var path: String?
    public var status: Int?
    /// Who signed it: a test that signs with a key of its own counts its calls by it.
    public var accessKeyID: String?
    /// The mutation a ``SandboxFaults/mangleRate`` fault put its answer through, if any.
    public var mangled: String?

    enum CodingKeys: String, CodingKey {
        case service, action, method, path, status, mangled
        case accessKeyID = "access_key_id"
    }
}

/// Faults to inject (`POST /_sandbox/faults`). Nil fields are left out.
public struct SandboxFaults: Encodable, Sendable {
    public var service: String?
    public var action: String?
    public var latencyMs: Int?
    /// Probability of answering with the service's throttling error.
    public var throttleRate: Double?
    /// Probability of answering with a 5xx (``errorStatus``, 500 or 503).
    public var errorRate: Double?
    public var errorStatus: Int?
    /// When true, a request chosen to fail is run first and then answered with the 5xx: a write
    /// AWS committed though its caller hears an error.
    public var errorAfter: Bool?
    /// Probability of dropping the connection without an answer.
    public var dropRate: Double?
    /// Probability of breaking a successful answer's body (the request ran): cut short, bytes
    /// flipped, nested or grown past reason, ... (`sandbox/strata_sandbox/mangle.py`).
    public var mangleRate: Double?
    /// The one mutation to use (a name from `mangle.py`); nil chooses one per answer.
    public var mangle: String?
    /// At most this many requests are faulted.
    public var count: Int?
    public var seed: Int?

    public init(
        service: String? = nil, action: String? = nil, latencyMs: Int? = nil, throttleRate: Double? = nil,
        errorRate: Double? = nil, errorStatus: Int? = nil, errorAfter: Bool? = nil, dropRate: Double? = nil,
        mangleRate: Double? = nil, mangle: String? = nil, count: Int? = nil, seed: Int? = nil
    ) {
        self.service = service
        self.action = action
        self.latencyMs = latencyMs
        self.throttleRate = throttleRate
        self.errorRate = errorRate
        self.errorStatus = errorStatus
        self.errorAfter = errorAfter
        self.dropRate = dropRate
        self.mangleRate = mangleRate
        self.mangle = mangle
        self.count = count
        self.seed = seed
    }

    enum CodingKeys: String, CodingKey {
        case service, action, seed, count, mangle
        case latencyMs = "latency_ms"
        case throttleRate = "throttle_rate"
        case errorRate = "error_rate"
        case errorStatus = "error_status"
        case errorAfter = "error_after"
        case dropRate = "drop_rate"
        case mangleRate = "mangle_rate"
    }
}

/// Health was answered by a server other than the one just launched.
struct SandboxPortTaken: Error {}

/// A sandbox that could not be started or answered wrongly.
public struct SandboxError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Starts the sandbox at most once per process.
private actor SandboxLauncher {
    static let instance = SandboxLauncher()
    private var started: Task<Sandbox, any Error>?

    private var exclusiveStarted: [Double: Task<Sandbox, any Error>] = [:]

    func sandbox() async throws -> Sandbox {
        if let started { return try await started.value }
        let task = Task { try await Self.start(useConfigured: true) }
        started = task
        return try await task.value
    }

    /// The second server that ``Sandbox/exclusive(timeScale:_:)`` hands out (one per time
    /// scale); `fallback` when a configured sandbox is in use.
    func exclusiveSandbox(timeScale: Double, fallback: Sandbox) async throws -> Sandbox {
        if Self.configuredURL != nil { return fallback }
        if let started = exclusiveStarted[timeScale] { return try await started.value }
        let task = Task { try await Self.start(useConfigured: false, timeScale: timeScale) }
        exclusiveStarted[timeScale] = task
        return try await task.value
    }

    static var configuredURL: String? {
        ProcessInfo.processInfo.environment["STRATA_SANDBOX_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    private static func start(useConfigured: Bool, timeScale: Double = 0.01) async throws -> Sandbox {
        let transport = CurlTransport()
        let deadline = ContinuousClock.now + .seconds(90)
        if useConfigured, let configured = configuredURL {
            guard let url = URL(string: configured) else { throw SandboxError("STRATA_SANDBOX_URL is not a URL: \(configured)") }
            return try await Sandbox.connect(to: url, transport: transport, deadline: deadline, launched: nil)
        }
        let root = repositoryRoot()
        let script = root.appendingPathComponent("sandbox/run")
        guard FileManager.default.fileExists(atPath: script.path) else {
            throw SandboxError("no sandbox at \(script.path) and STRATA_SANDBOX_URL is not set")
        }
        // Servers started at the same moment (the shared one and exclusive ones, or another
        // test process's) can pick the same free port: the one that lost it is found out by the
        // health check's pid and started again elsewhere.
        for _ in 1...5 {
            guard let port = freePort(in: 4750...4799) else { throw SandboxError("no free port in 4750-4799") }
            let process = try SandboxProcess.launch(
                arguments: ["python3", script.path, "--port", "\(port)", "--verify-signatures", "--time-scale", "\(timeScale)"],
                in: root)
            guard let url = URL(string: "http://127.0.0.1:\(port)") else { throw SandboxError("bad port \(port)") }
            do {
                return try await Sandbox.connect(to: url, transport: transport, deadline: deadline, launched: process)
            } catch is SandboxPortTaken {
                process.stop()
            }
        }
        throw SandboxError("five sandboxes in a row lost their port to another one")
    }

    /// Ports this process has handed to a sandbox: never picked twice.
    nonisolated(unsafe) private static var claimed: Set<Int> = []
    private static let claimedLock = NSLock()

    /// The repository root: this file is Tests/StrataTestSupport/Sandbox.swift.
    private static func repositoryRoot() -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    private static func freePort(in range: ClosedRange<Int>) -> Int? {
        claimedLock.lock()
        defer { claimedLock.unlock() }
        let ports = Array(range).shuffled()
        for port in ports where !claimed.contains(port) && canBind(port) {
            claimed.insert(port)
            return port
        }
        return nil
    }

    private static func canBind(_ port: Int) -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return result == 0
    }
}

/// The launched sandbox: a small Python supervisor, in a process group of its own, that
/// runs the sandbox as its child, and kills the whole group when its stdin (a pipe from this
/// process) reaches end of file, which happens however this process ends.
final class SandboxProcess: @unchecked Sendable {
    private let child: ChildProcess.Running
    private let logURL: URL

    // ChildProcess starts it in a process group of its own with no signal blocked; the group
    // is what it kills, whatever the sandbox started.
    private static let supervisor = """
        import os, signal, subprocess, sys, threading
        child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL)
        def watch():
            sys.stdin.buffer.read()
            child.terminate()
            try:
                child.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(0, signal.SIGKILL)
            os.killpg(0, signal.SIGTERM)
        threading.Thread(target=watch, daemon=True).start()
        sys.exit(child.wait())
        """

    private init(child: ChildProcess.Running, logURL: URL) {
        self.child = child
        self.logURL = logURL
    }

    static func launch(arguments: [String], in directory: URL) throws -> SandboxProcess {
        let logURL = FileManager.default.temporaryDirectory.appendingPathComponent(
            "strata-sandbox-\(getpid())-\(UUID().uuidString.prefix(8)).log")
        let child = try ChildProcess.launch(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", supervisor] + arguments, in: directory, stdinPipe: true,
            output: .file(logURL))
        SandboxReaper.register(pid: child.pid)
        return SandboxProcess(child: child, logURL: logURL)
    }

    /// True when a health answer comes from the sandbox this supervisor runs (its pid's parent
    /// is the supervisor), false when another server holds the port.
    func answered(_ health: Data) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: health) as? [String: Any], let pid = object["pid"] as? Int,
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return true }  // no /proc (macOS) or an older sandbox: cannot tell, trust it
        // pid (comm) state ppid ...: the fields after the command name, which may hold spaces.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 && Int32(fields[1]) == child.pid
    }

    /// Ends the supervisor (and with it the sandbox), when it lost its port.
    func stop() {
        child.terminate()
    }

    /// The exit status once the supervisor has exited, nil while it runs.
    func exitStatus() -> Int32? {
        child.exitStatus
    }

    /// The last lines the sandbox wrote, for failure messages.
    func logTail() -> String {
        let text = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(30).joined(separator: "\n")
    }
}

/// Kills the sandbox's process group when the test process exits normally.
private enum SandboxReaper {
    nonisolated(unsafe) private static var groups: [pid_t] = []
    private static let lock = NSLock()

    static func register(pid: pid_t) {
        lock.lock()
        let first = groups.isEmpty
        groups.append(pid)
        lock.unlock()
        if first {
            atexit {
                SandboxReaper.killAll()
            }
        }
    }

    static func killAll() {
        lock.lock()
        let all = groups
        groups.removeAll()
        lock.unlock()
        for group in all { kill(-group, SIGTERM) }
    }
}

/// A FIFO async mutex, so sandbox-mutating tests take turns.
private actor SandboxLock {
    nonisolated(unsafe) private static var locks: [Double: SandboxLock] = [:]
    private static let guardLock = NSLock()

    /// The lock of the exclusive server at this time scale.
    static func forServer(timeScale: Double) -> SandboxLock {
        guardLock.lock()
        defer { guardLock.unlock() }
        if let lock = locks[timeScale] { return lock }
        let lock = SandboxLock()
        locks[timeScale] = lock
        return lock
    }

    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !held {
            held = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            held = false
        } else {
            waiters.removeFirst().resume()
        }
    }
}

extension Sandbox {
    /// A client for this sandbox with the test credentials. Rate limits are off unless given:
    /// tests measure the sandbox, not the limiter.
    public func client(
        secretAccessKey: String = Sandbox.secretAccessKey, retry: RetryPolicy = RetryPolicy(), rateLimits: RateLimits = .unlimited
    ) -> AWSClient {
        let credentials = AWSCredentials(accessKeyID: Sandbox.accessKeyID, secretAccessKey: secretAccessKey)
        let url = self.url
        return AWSClient(
            configuration: AWSClient.Configuration(
                region: Sandbox.region, credentials: { credentials }, endpoint: { _, _ in url }, retry: retry,
                rateLimits: rateLimits))
    }

    /// A key of its own: an IAM user made for the caller, its access key, and a client signing
    /// with it, so the request log (`SandboxRequest.accessKeyID`) tells the caller's calls from
    /// those of tests running alongside on the same sandbox.
    public func keyOfItsOwn(user: String) async throws -> OwnKey {
        let admin = client()
        _ = try await admin.query(.iam, action: "CreateUser", parameters: [(name: "UserName", value: user)])
        let key = try await admin.query(.iam, action: "CreateAccessKey", parameters: [(name: "UserName", value: user)])
        guard let keyID = key.first(named: "AccessKeyId")?.text, let secret = key.first(named: "SecretAccessKey")?.text else {
            throw SandboxError("CreateAccessKey for \(user) answered no key")
        }
        let credentials = AWSCredentials(accessKeyID: keyID, secretAccessKey: secret)
        let url = self.url
        let signed = AWSClient(
            configuration: AWSClient.Configuration(
                region: Sandbox.region, credentials: { credentials }, endpoint: { _, _ in url }, rateLimits: .unlimited))
        return OwnKey(accessKeyID: keyID, secretAccessKey: secret, client: signed)
    }
}

/// An access key made for one test (``Sandbox/keyOfItsOwn(user:)``) and a client signing with it.
public struct OwnKey: Sendable {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var client: AWSClient
}
