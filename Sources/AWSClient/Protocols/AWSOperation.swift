import Foundation
import StrataModel

/// One AWS API call, encoded for its protocol but not yet addressed or signed. The client adds
/// the endpoint, signs, sends, retries and reads the answer.
///
/// Retries resend these exact bytes (re-signed with a fresh date). Whether that is safe is the
/// caller's statement in ``idempotent``: reads are; a create is only when it carries a client
/// token (`ClientToken`, `clientRequestToken`) derived from what it creates, so AWS answers a
/// repeat with the first result. A call not marked idempotent is retried only when AWS provably
/// did not run it (throttled before execution, or the connection was refused).
public struct AWSOperation: Sendable {
    public var service: AWSService
    /// The operation name (`DescribeVpcs`, `CreateCluster`): for errors, logs and rate limits.
    public var action: String
    public var method: String
    /// The wire path, percent-encoded, starting with `/`.
    public var path: String
    /// Query parameters, not yet encoded.
    public var query: [(name: String, value: String)]
    public var headers: [(name: String, value: String)]
    public var body: Data
    /// Safe to send more than once: see the type's documentation.
    public var idempotent: Bool

    public init(
        service: AWSService, action: String, method: String, path: String, query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [], body: Data = Data(), idempotent: Bool
    ) {
        self.service = service
        self.action = action
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.idempotent = idempotent
    }

    /// A read: a REST `GET`/`HEAD`, or an action named like one. Picks the rate-limit bucket.
    public var isReadOnly: Bool {
        method == "GET" || method == "HEAD" || Self.isRead(action)
    }

    /// Reads (`Describe*`, `List*`, `Get*`, ...) are idempotent by their nature.
    public static func isRead(_ action: String) -> Bool {
        ["Describe", "List", "Get", "Search", "Lookup", "BatchGet", "Query", "Scan"].contains { action.hasPrefix($0) }
    }

    /// An EC2 or query-protocol (IAM, STS) call: `Action` and `Version` plus flattened parameters
    /// in a form body. `parameters` use wire names (`Filter.1.Name`); ``QueryValue`` flattens
    /// nested values.
    public static func query(
        _ service: AWSService, action: String, parameters: [(name: String, value: String)] = [], idempotent: Bool? = nil
    ) -> AWSOperation {
        var form = [(name: "Action", value: action), (name: "Version", value: service.apiVersion)]
        form += parameters
        let body = FormEncoding.encode(form)
        return AWSOperation(
            service: service, action: action, method: "POST", path: "/",
            headers: [(name: "Content-Type", value: "application/x-www-form-urlencoded; charset=utf-8")],
            body: Data(body.utf8), idempotent: idempotent ?? isRead(action))
    }

    /// A JSON 1.0/1.1 call: POST `/` with `X-Amz-Target: <prefix>.<action>`.
    public static func json(_ service: AWSService, action: String, body: JSONValue = [:], idempotent: Bool? = nil) -> AWSOperation {
        let version: String
        if case .json(let v) = service.wireProtocol { version = v } else { version = "1.1" }
        let target = "\(service.targetPrefix ?? service.name).\(action)"
        return AWSOperation(
            service: service, action: action, method: "POST", path: "/",
            headers: [
                (name: "Content-Type", value: "application/x-amz-json-\(version)"),
                (name: "X-Amz-Target", value: target),
            ],
            body: body.encoded(), idempotent: idempotent ?? isRead(action))
    }

    /// A REST-JSON call (EKS): the method and path name the operation. `path` segments that hold
    /// user values must be encoded with ``pathSegment(_:)``.
    public static func rest(
        _ service: AWSService, action: String, method: String, path: String, query: [(name: String, value: String)] = [],
        body: JSONValue? = nil, idempotent: Bool? = nil
    ) -> AWSOperation {
        var headers: [(name: String, value: String)] = []
        var data = Data()
        if let body {
            headers.append((name: "Content-Type", value: "application/json"))
            data = body.encoded()
        }
        let readOnly = method.uppercased() == "GET" || method.uppercased() == "HEAD"
        return AWSOperation(
            service: service, action: action, method: method.uppercased(), path: path.hasPrefix("/") ? path : "/" + path,
            query: query, headers: headers, body: data, idempotent: idempotent ?? (readOnly || isRead(action)))
    }

    /// One path segment, percent-encoded (an ARN's `/` and `:` included).
    public static func pathSegment(_ value: String) -> String {
        FormEncoding.percentEncode(value)
    }

    /// The URL of this call at an endpoint (the endpoint's own path, if any, comes first).
    public func url(at endpoint: URL) -> URL? {
        var base = endpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        var text = base + path
        if !query.isEmpty { text += "?" + FormEncoding.encode(query) }
        return URL(string: text)
    }
}

/// A value for the query protocols before flattening into `Name.1.Member=...` parameters.
public indirect enum QueryValue: Sendable {
    case string(String)
    case list([QueryValue])
    case structure([(name: String, value: QueryValue)])
    case map([(key: String, value: QueryValue)])

    /// Flattens under `prefix` by the protocol's rules: EC2 lists are `Name.N`; query lists are
    /// `Name.member.N` and maps `Name.entry.N.key`/`.value`. Indexes start at 1.
    public func flattened(prefix: String, protocol wire: AWSProtocol) -> [(name: String, value: String)] {
        switch self {
        case .string(let value):
            return [(name: prefix, value: value)]
        case .list(let items):
            let listPrefix = wire == .ec2 ? prefix : prefix + ".member"
            return items.enumerated().flatMap { index, item in
                item.flattened(prefix: "\(listPrefix).\(index + 1)", protocol: wire)
            }
        case .structure(let members):
            return members.flatMap { member in
                member.value.flattened(prefix: prefix.isEmpty ? member.name : "\(prefix).\(member.name)", protocol: wire)
            }
        case .map(let entries):
            return entries.enumerated().flatMap { index, entry in
                [(name: "\(prefix).entry.\(index + 1).key", value: entry.key)]
                    + entry.value.flattened(prefix: "\(prefix).entry.\(index + 1).value", protocol: wire)
            }
        }
    }

    /// EC2 filters: `Filter.N.Name` and `Filter.N.Value.M`.
    public static func filters(_ filters: [(name: String, values: [String])]) -> [(name: String, value: String)] {
        QueryValue.list(
            filters.map {
                .structure([(name: "Name", value: .string($0.name)), (name: "Value", value: .list($0.values.map { .string($0) }))])
            }
        )
        .flattened(prefix: "Filter", protocol: .ec2)
    }

    /// EC2 `TagSpecification.N.ResourceType` with `Tag.M.Key`/`Tag.M.Value`.
    public static func tagSpecifications(resourceType: String, tags: [(key: String, value: String)]) -> [(name: String, value: String)] {
        QueryValue.list([
            .structure([
                (name: "ResourceType", value: .string(resourceType)),
                (
                    name: "Tag",
                    value: .list(
                        tags.map { .structure([(name: "Key", value: .string($0.key)), (name: "Value", value: .string($0.value))]) })
                ),
            ])
        ]).flattened(prefix: "TagSpecification", protocol: .ec2)
    }
}

/// `application/x-www-form-urlencoded` as AWS reads it: RFC 3986 unreserved characters kept,
/// everything else percent-encoded (space as `%20`).
public enum FormEncoding {
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")

    public static func percentEncode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }

    public static func encode(_ pairs: [(name: String, value: String)]) -> String {
        pairs.map { "\(percentEncode($0.name))=\(percentEncode($0.value))" }.joined(separator: "&")
    }
}

/// A successful answer, with the means to read it in its protocol's format.
public struct AWSResponse: Sendable {
    public var service: AWSService
    public var action: String
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: Data
    /// How many times the call was sent (1 when no retry was needed).
    public var attempts: Int

    public init(service: AWSService, action: String, status: Int, headers: [(name: String, value: String)], body: Data, attempts: Int) {
        self.service = service
        self.action = action
        self.status = status
        self.headers = headers
        self.body = body
        self.attempts = attempts
    }

    /// The body as XML (EC2, IAM, STS).
    public func xml() throws -> XMLNode {
        do {
            return try XMLNode.parse(body)
        } catch var error as ResponseDecodingError {
            throw naming(&error)
        }
    }

    /// The body as JSON (JSON and REST-JSON services); an empty body is `{}`.
    public func json() throws -> JSONValue {
        do {
            return try JSONValue.parse(body)
        } catch {
            var failure = ResponseDecodingError(what: "JSON", detail: JSONValue.reason(refusing: body), body: body)
            throw naming(&failure)
        }
    }

    /// The error, told which call's answer it was.
    private func naming(_ error: inout ResponseDecodingError) -> ResponseDecodingError {
        error.call = "\(service.name) \(action)"
        error.requestID = headerRequestID
        return error
    }

    /// The body in JSON whatever the protocol: XML turned into JSON for reading.
    public func readable() throws -> JSONValue {
        switch service.wireProtocol {
        case .ec2, .query:
            // SQS and others may answer XML to a query request; sniff rather than trust the table.
            if body.first == UInt8(ascii: "{") { return try json() }
            return try xml().toJSON()
        case .json, .restJSON:
            if body.first == UInt8(ascii: "<") { return try xml().toJSON() }
            return try json()
        }
    }

    /// The request id from the headers alone (a body that would not parse cannot say).
    var headerRequestID: String? {
        headers.first(where: { ["x-amzn-requestid", "x-amz-request-id"].contains($0.name.lowercased()) })?.value
    }

    /// The request id: the `x-amzn-RequestId` header, or the body's `requestId`/`RequestId`.
    public var requestID: String? {
        if let id = headerRequestID { return id }
        guard body.first == UInt8(ascii: "<"), let xml = try? xml() else { return nil }
        return xml.first(named: "requestId")?.text ?? xml.first(named: "RequestId")?.text
    }
}
