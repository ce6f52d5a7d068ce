import Foundation

/// One HTTP request as strata sends it: already signed when it goes to AWS.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    /// In send order; names compared case-insensitively by servers.
    public var headers: [(name: String, value: String)]
    public var body: Data
    /// PEM of an extra CA to trust for this request only (the EKS cluster CA for the Kubernetes API).
    public var extraCAPEM: String?
    /// Deadline for the whole exchange, connect included.
    public var timeout: Duration
    /// The most response body the transport reads before it gives up with
    /// ``TransportError/Kind/responseTooLarge``: an endpoint that streams without end (a
    /// misconfigured proxy, a hostile server) must not grow strata until the runner dies.
    public var maxResponseBytes: Int

    /// Far above any answer AWS or a Kubernetes API server gives one paginated call (pages of
    /// at most a few MiB; a Kubernetes list of 500 objects), far below what hurts a CI runner.
    public static let defaultMaxResponseBytes = 256 << 20

    public init(
        method: String, url: URL, headers: [(name: String, value: String)] = [], body: Data = Data(),
        extraCAPEM: String? = nil, timeout: Duration = .seconds(60), maxResponseBytes: Int = HTTPRequest.defaultMaxResponseBytes
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.extraCAPEM = extraCAPEM
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }

    /// The first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// One HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: Data

    public init(status: Int, headers: [(name: String, value: String)], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// The one-method seam between strata and the network. The production implementation is libcurl's;
/// everything above it (signing, protocols, retries) is written against this.
public protocol HTTPTransport: Sendable {
    /// Sends one request and returns the response, whatever its status. Throws only when no
    /// response came back (connection refused or reset, timeout, TLS failure).
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}
