import AWSSigner
import Foundation
import StrataModel

/// One call described the way a person types it (`strata aws request`): a service, an action
/// (or, for REST-JSON services, a path), `K=V` parameters and an optional JSON body.
public struct RawRequest: Sendable {
    public var service: AWSService
    /// The action name (`DescribeVpcs`), or for REST-JSON services the path (`/clusters/demo`).
    public var target: String
    public var parameters: [(name: String, value: String)]
    public var jsonBody: String?
    public var method: String?

    public init(
        service: AWSService, target: String, parameters: [(name: String, value: String)] = [], jsonBody: String? = nil,
        method: String? = nil
    ) {
        self.service = service
        self.target = target
        self.parameters = parameters
        self.jsonBody = jsonBody
        self.method = method
    }

    /// Splits `K=V` at the first `=`.
    public static func parameter(_ text: String) throws -> (name: String, value: String) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw AWSClientError.invalidArgument("--param wants K=V, got '\(text)'")
        }
        return (name: String(text[..<equals]), value: String(text[text.index(after: equals)...]))
    }

    /// The operation per the service's protocol: form parameters for EC2/query, a JSON body
    /// (parameters become top-level string members) for JSON, method + path + query for REST-JSON.
    public func operation() throws -> AWSOperation {
        switch service.wireProtocol {
        case .ec2, .query:
            if jsonBody != nil { throw AWSClientError.invalidArgument("\(service.name) speaks query/XML: use --param, not --json") }
            try requireActionName()
            return .query(service, action: target, parameters: parameters)
        case .json:
            try requireActionName()
            var body = try parsedBody() ?? [:]
            if !parameters.isEmpty {
                guard case .object(var members) = body else {
                    throw AWSClientError.invalidArgument("--param needs the --json body to be an object")
                }
                for (name, value) in parameters { members[name] = .string(value) }
                body = .object(members)
            }
            return .json(service, action: target, body: body)
        case .restJSON:
            guard target.hasPrefix("/") else {
                throw AWSClientError.invalidArgument("\(service.name) is a REST service: give a path such as /clusters, not '\(target)'")
            }
            let body = try parsedBody()
            let verb = (method ?? (body == nil ? "GET" : "POST")).uppercased()
            let (path, query) = splitPath(target)
            return .rest(service, action: "\(verb) \(path)", method: verb, path: path, query: query + parameters, body: body)
        }
    }

    private func requireActionName() throws {
        guard let first = target.first, first.isLetter, !target.contains("/") else {
            throw AWSClientError.invalidArgument("\(service.name) wants an action name such as DescribeVpcs, got '\(target)'")
        }
        if let method, method.uppercased() != "POST" {
            throw AWSClientError.invalidArgument("\(service.name) calls are always POST; --method applies to REST services (eks)")
        }
    }

    private func parsedBody() throws -> JSONValue? {
        guard let jsonBody else { return nil }
        do {
            return try JSONValue.parse(Data(jsonBody.utf8))
        } catch {
            throw AWSClientError.invalidArgument("--json is not valid JSON: \(error)")
        }
    }

    /// `/clusters?maxResults=10` → path and decoded query items.
    private func splitPath(_ text: String) -> (String, [(name: String, value: String)]) {
        guard let mark = text.firstIndex(of: "?") else { return (text, []) }
        let path = String(text[..<mark])
        let items = URLComponents(string: "http://x" + text)?.queryItems ?? []
        return (path, items.map { (name: $0.name, value: $0.value ?? "") })
    }
}
