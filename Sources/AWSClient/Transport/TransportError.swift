import Foundation

/// Why no HTTP response came back. Thrown by an ``HTTPTransport``; an HTTP error status is not a
/// transport error (it is a response, and the protocol layer reads it).
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// The broad class of failure, which decides whether a retry can help.
    public enum Kind: String, Sendable {
        /// Nothing listened on the address (or a firewall refused).
        case connectionRefused
        /// The connection broke mid-exchange, or the server closed it without answering.
        case connectionReset
        /// The connect or total deadline passed.
        case timedOut
        /// The host (or the proxy) name did not resolve.
        case nameResolution
        /// The TLS handshake or the peer's certificate failed.
        case tls
        /// The URL or a request option was rejected before anything was sent.
        case invalidRequest
        /// The response body passed the request's ``HTTPRequest/maxResponseBytes``; reading stopped.
        case responseTooLarge
        /// Anything else libcurl reported.
        case other
    }

    public var kind: Kind
    /// The URL the request was for (no query string: presigned URLs carry signatures there).
    public var url: String
    /// libcurl's own words, when it had any.
    public var detail: String

    public init(kind: Kind, url: String, detail: String) {
        self.kind = kind
        self.url = url
        self.detail = detail
    }

    /// True when sending the same request again may succeed: refused, reset, timed out or a name
    /// that did not resolve (a resolver hiccup). TLS and invalid requests fail the same way twice.
    public var isRetryable: Bool {
        switch kind {
        case .connectionRefused, .connectionReset, .timedOut, .nameResolution: return true
        case .tls, .invalidRequest, .responseTooLarge, .other: return false
        }
    }

    public var description: String {
        detail.isEmpty ? "\(kind.rawValue) (\(url))" : "\(kind.rawValue): \(detail) (\(url))"
    }
}
