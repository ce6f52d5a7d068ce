import AWSSigner
import Foundation
import StrataModel

/// The one way strata talks to AWS: address → sign → send → retry → read.
///
/// Per-service surfaces (the calls strata makes, typed) are built on ``send(_:)``; the generic
/// per-protocol paths (``query(_:action:parameters:idempotent:)``, ``json(_:action:body:idempotent:)``,
/// ``rest(_:action:method:path:query:body:idempotent:)``) serve `strata aws request` and new code.
/// Every request is signed, `x-amz-content-sha256` included.
public final class AWSClient: Sendable {
    /// What a client needs: where, as whom, over what, and how patiently.
    public struct Configuration: Sendable {
        /// The region calls go to and are signed for (IAM is always signed for us-east-1).
        public var region: String
        /// Supplies credentials for each send; called again on retries, so rotating credentials
        /// (a credential chain with refresh) are picked up.
        public var credentials: @Sendable () async throws -> AWSCredentials
        /// The endpoint of a service in a region; it throws when a configured override is malformed.
        public var endpoint: @Sendable (AWSService, String) throws -> URL
        public var transport: any HTTPTransport
        public var retry: RetryPolicy
        public var rateLimits: RateLimits
        /// Deadline of each attempt, connect included.
        public var timeout: Duration
        /// The signing clock.
        public var now: @Sendable () -> Date
        /// Uniform in [0, 1): the jitter source.
        public var random: @Sendable () -> Double
        /// Waits between retries, and for the rate limiter.
        public var sleep: @Sendable (Duration) async throws -> Void
        /// The rate limiter's clock: any monotonic time.
        public var monotonicNow: @Sendable () -> Duration
        /// Told, every ``slowCallInterval`` while one attempt has had no answer, which call it
        /// waits for, where, and for how long: a user watching an endpoint that does not answer
        /// sees why nothing happens instead of minutes of silence. Nil tells no one.
        public var slowCallNotice: (@Sendable (String) -> Void)?
        public var slowCallInterval: Duration = .seconds(15)

        public init(
            region: String,
            credentials: @escaping @Sendable () async throws -> AWSCredentials,
            endpoint: @escaping @Sendable (AWSService, String) throws -> URL = { $0.defaultEndpoint(region: $1) },
            transport: any HTTPTransport = CurlTransport(),
            retry: RetryPolicy = RetryPolicy(),
            rateLimits: RateLimits = .standard,
            timeout: Duration = .seconds(60),
            now: @escaping @Sendable () -> Date = { Date() },
            random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
            sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
            monotonicNow: @escaping @Sendable () -> Duration = RateLimiter.monotonicNow
        ) {
            self.region = region
            self.credentials = credentials
            self.endpoint = endpoint
            self.transport = transport
            self.retry = retry
            self.rateLimits = rateLimits
            self.timeout = timeout
            self.now = now
            self.random = random
            self.sleep = sleep
            self.monotonicNow = monotonicNow
        }

        /// Credentials from a provider (the default chain, a role, ...), asked before every send.
        public init(
            region: String, credentialProvider: any CredentialProvider,
            endpoint: @escaping @Sendable (AWSService, String) throws -> URL = { $0.defaultEndpoint(region: $1) },
            transport: any HTTPTransport = CurlTransport()
        ) {
            self.init(region: region, credentials: { try await credentialProvider.credentials() }, endpoint: endpoint, transport: transport)
        }
    }

    public let configuration: Configuration
    /// Shared by every call of this client.
    public let retryBudget: RetryBudget
    public let rateLimiter: RateLimiter

    public init(configuration: Configuration) {
        self.configuration = configuration
        self.retryBudget = RetryBudget()
        self.rateLimiter = RateLimiter(
            limits: configuration.rateLimits, adaptive: configuration.retry.mode == .adaptive,
            now: configuration.monotonicNow, sleep: configuration.sleep)
    }

    public var region: String { configuration.region }

    // MARK: - Generic calls per protocol

    /// An EC2/IAM/STS call; the XML answer.
    public func query(_ service: AWSService, action: String, parameters: [(name: String, value: String)] = [], idempotent: Bool? = nil)
        async throws -> XMLNode
    {
        try await send(.query(service, action: action, parameters: parameters, idempotent: idempotent)).xml()
    }

    /// A JSON 1.0/1.1 call; the JSON answer.
    public func json(_ service: AWSService, action: String, body: JSONValue = [:], idempotent: Bool? = nil) async throws -> JSONValue {
        try await send(.json(service, action: action, body: body, idempotent: idempotent)).json()
    }

    /// A REST-JSON call; the JSON answer.
    public func rest(
        _ service: AWSService, action: String, method: String, path: String, query: [(name: String, value: String)] = [],
        body: JSONValue? = nil, idempotent: Bool? = nil
    ) async throws -> JSONValue {
        try await send(.rest(service, action: action, method: method, path: path, query: query, body: body, idempotent: idempotent)).json()
    }

    // MARK: - The pipeline

    /// The HTTP request this operation becomes, signed now. What `--dry-run` prints.
    public func signedRequest(for operation: AWSOperation) async throws -> HTTPRequest {
        let credentials = try await configuration.credentials()
        return try sign(operation, credentials: credentials, date: configuration.now())
    }

    func sign(_ operation: AWSOperation, credentials: AWSCredentials, date: Date) throws -> HTTPRequest {
        let endpoint = try configuration.endpoint(operation.service, configuration.region)
        guard let url = operation.url(at: endpoint) else {
            throw AWSClientError.badEndpoint("\(endpoint.absoluteString)\(operation.path)")
        }
        let signer = SigV4Signer(
            credentials: credentials, region: operation.service.signingRegion(for: configuration.region),
            service: operation.service.signingName)
        let headers = signer.sign(
            method: operation.method, url: url, headers: operation.headers, body: operation.body, date: date,
            payload: .signed, signPayloadHeader: true)
        return HTTPRequest(method: operation.method, url: url, headers: headers, body: operation.body, timeout: configuration.timeout)
    }

    /// Sends one call with rate limiting and retries; returns a 2xx answer or throws ``AWSError``
    /// (AWS said no), ``TransportError`` (no answer) or ``AWSClientError``.
    public func send(_ operation: AWSOperation) async throws -> AWSResponse {
        let adaptive = configuration.retry.mode == .adaptive
        var attempt = 0
        var spent = 0
        // Failures other than throttling: their limit counts only them. A call throttled three
        // times (never run) and then answered 500 has failed once, not four times.
        var transientFailures = 0
        while true {
            attempt += 1
            try await rateLimiter.acquire(for: operation)
            let failure: any Error
            do {
                let credentials = try await configuration.credentials()
                let request = try sign(operation, credentials: credentials, date: configuration.now())
                let response = try await noticingSlowness(of: operation, at: request.url) {
                    try await configuration.transport.send(request)
                }
                if (200..<300).contains(response.status) {
                    if adaptive { await rateLimiter.record(operation, throttled: false) }
                    retryBudget.deposit(attempt == 1 ? 1 : spent)
                    return AWSResponse(
                        service: operation.service, action: operation.action, status: response.status,
                        headers: response.headers, body: response.body, attempts: attempt)
                }
                failure = AWSError.parse(response, service: operation.service)
            } catch {
                failure = error
            }
            let reason = RetryPolicy.reason(for: failure)
            if adaptive { await rateLimiter.record(operation, throttled: reason == .throttled) }
            guard let reason else { throw failure }
            if reason != .throttled { transientFailures += 1 }
            guard attempt < configuration.retry.maxAttempts,
                (reason == .throttled ? attempt : transientFailures) < configuration.retry.attempts(for: reason),
                RetryPolicy.mayRetry(reason, idempotent: operation.idempotent),
                let cost = retryBudget.withdraw(for: reason)
            else { throw failure }
            spent += cost
            let delay = configuration.retry.delay(retry: attempt - 1, reason: reason, unitRandom: configuration.random())
            if delay > .zero { try await configuration.sleep(delay) }
        }
    }

    /// Runs one attempt, telling ``Configuration/slowCallNotice`` while it goes unanswered.
    private func noticingSlowness<T: Sendable>(
        of operation: AWSOperation, at url: URL, _ attempt: @Sendable () async throws -> T
    ) async throws -> T {
        guard let notice = configuration.slowCallNotice else { return try await attempt() }
        let interval = configuration.slowCallInterval
        // The query string may carry a presigned signature; the notice needs only where.
        let place = url.absoluteString.split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
        let call = "\(operation.service.name) \(operation.action)"
        let watcher = Task {
            var waited = Duration.zero
            while true {
                try await Task.sleep(for: interval)
                waited += interval
                notice("still waiting for \(call) at \(place) (\(Self.secondsText(waited)))")
            }
        }
        defer { watcher.cancel() }
        return try await attempt()
    }

    private static func secondsText(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        return seconds >= 1 && seconds == seconds.rounded() ? "\(Int(seconds)) s" : String(format: "%.1f s", seconds)
    }

    /// Follows a paginated call page by page. `operation` builds the call for a token (nil for
    /// the first page); `nextToken` reads the next token from a page (nil at the end).
    public func pages(
        _ operation: @escaping @Sendable (String?) -> AWSOperation,
        nextToken: @escaping @Sendable (AWSResponse) throws -> String?
    ) -> AWSPages {
        AWSPages(client: self, operation: operation, nextToken: nextToken)
    }
}

/// Failures of the client itself, before anything was sent.
public enum AWSClientError: Error, Sendable, CustomStringConvertible {
    case badEndpoint(String)
    case unknownService(String)
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .badEndpoint(let url): return "not a usable endpoint URL: \(url)"
        case .unknownService(let name): return "unknown service '\(name)'"
        case .invalidArgument(let text): return text
        }
    }
}
