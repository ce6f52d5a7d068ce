import AWSClient
import StrataModel

/// The JSON-protocol calls of one service (KMS, Logs, SQS, EventBridge): one call, and a
/// paginated read collecting one list member over every page.
struct JSONCalls: Sendable {
    let client: AWSClient
    let service: AWSService

    /// One call. Mutations are idempotent (resendable) only when the caller says so: when AWS
    /// answers a repeat with the first result (PutRule, SetQueueAttributes, TagResource, ...).
    @discardableResult
    func call(_ action: String, _ body: [String: JSONValue] = [:], idempotent: Bool? = nil) async throws -> JSONValue {
        try await client.send(.json(service, action: action, body: .object(body), idempotent: idempotent)).json()
    }

    /// A service's two tag calls (named `TagResource`/`UntagResource` unless the service says
    /// otherwise), each body built from what ``TagSync`` sets or removes. Both are idempotent:
    /// tagging again with the same tags, or untagging what is gone, changes nothing.
    func tagCalls(
        tag: @escaping @Sendable ([String: String]) -> [String: JSONValue], untag: @escaping @Sendable ([String]) -> [String: JSONValue],
        actions: (tag: String, untag: String) = ("TagResource", "UntagResource")
    ) -> TagCalls {
        TagCalls(
            tag: { try await call(actions.tag, tag($0), idempotent: true) },
            untag: { try await call(actions.untag, untag($0), idempotent: true) })
    }

    /// A list of strings (tag keys) as a request member.
    static func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }

    /// Every element of `list` over all pages: `tokenIn` is the request's token member,
    /// `tokenOut` the answer's.
    func paged(_ action: String, _ body: [String: JSONValue] = [:], tokenIn: String, tokenOut: String, list: String) async throws
        -> [JSONValue]
    {
        let service = service
        let pages = client.pages(
            { token in
                var all = body
                if let token { all[tokenIn] = .string(token) }
                return .json(service, action: action, body: .object(all))
            },
            nextToken: Pagination.jsonToken(tokenOut))
        var items: [JSONValue] = []
        for try await page in pages {
            items += try page.json()[list]?.arrayValue ?? []
        }
        return items
    }
}

extension JSONValue {
    /// A boolean member.
    var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }
}
