import AWSClient
import Foundation
import StrataModel

/// The API server said no: the `metav1.Status` it answered, with the request that got it.
/// Classify with ``isNotFound``, ``isConflict``, ``isTooManyRequests`` rather than comparing codes.
public struct KubernetesError: Error, Sendable, CustomStringConvertible {
    /// HTTP status of the answer.
    public var httpStatus: Int
    /// `Status.reason` (`NotFound`, `Conflict`, `TooManyRequests`, ...), or the HTTP reason.
    public var reason: String
    /// `Status.message`, or the body's start when the answer was not a Status.
    public var message: String
    /// `Status.code` (usually the HTTP status).
    public var code: Int
    /// `Status.details.causes[].message`, in order (eviction names the budget there).
    public var causes: [String]
    public var method: String
    /// The request path, without the query (which may carry selectors but never secrets).
    public var path: String

    public init(httpStatus: Int, reason: String, message: String, code: Int, causes: [String] = [], method: String, path: String) {
        self.httpStatus = httpStatus
        self.reason = reason
        self.message = message
        self.code = code
        self.causes = causes
        self.method = method
        self.path = path
    }

    public var description: String {
        var text = "\(method) \(path): \(reason) (HTTP \(httpStatus)): \(message)"
        let extra = causes.filter { !$0.isEmpty && !message.contains($0) }
        if !extra.isEmpty { text += " [" + extra.joined(separator: "; ") + "]" }
        return text
    }

    public var isNotFound: Bool { httpStatus == 404 }
    public var isConflict: Bool { httpStatus == 409 }
    public var isTooManyRequests: Bool { httpStatus == 429 }
    public var isUnauthorized: Bool { httpStatus == 401 }

    /// Reads a failed answer; bodies that are not a Status still give a readable error.
    static func parse(status: Int, body: Data, method: String, path: String) -> KubernetesError {
        let fallbackReason = httpReasons[status] ?? "HTTP\(status)"
        guard let json = try? JSONValue.parse(body), json["kind"]?.stringValue == "Status" else {
            let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return KubernetesError(
                httpStatus: status, reason: fallbackReason, message: text.isEmpty ? fallbackReason : text, code: status,
                method: method, path: path)
        }
        let causes = json["details"]?["causes"]?.arrayValue?.compactMap { $0["message"]?.stringValue } ?? []
        return KubernetesError(
            httpStatus: status, reason: json["reason"]?.stringValue ?? fallbackReason,
            message: json["message"]?.stringValue ?? fallbackReason, code: json["code"]?.intValue.map { Int($0) } ?? status,
            causes: causes, method: method, path: path)
    }

    static let httpReasons: [Int: String] = [
        400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
        409: "Conflict", 410: "Expired", 415: "UnsupportedMediaType", 422: "Invalid", 429: "TooManyRequests",
        500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout",
    ]
}

/// A request the client cannot build (an object without `apiVersion`, a kind discovery does not know).
public struct KubernetesClientError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
