import AWSClient
import Foundation
import StrataModel

// What the identity and messaging providers (IAM, KMS, Logs, SQS, EventBridge) share: policy
// documents in canonical form, ownership read from tags, generated names, tag deltas.

/// A desired resource the provider cannot send as it is (a policy that is not JSON, a name
/// taken by something strata does not own).
public enum IdentityProviderError: Error, CustomStringConvertible, Sendable {
    /// A name AWS already holds for a resource that is not this stack's at this address.
    case nameTaken(type: String, name: String, owner: String)
    /// An attribute the create or update needs is absent, unknown or malformed.
    case invalidAttribute(type: String, attribute: String, problem: String)

    public var description: String {
        switch self {
        case .nameTaken(let type, let name, let owner):
            "\(type) '\(name)' already exists and is not strata's for this address (\(owner)); pick another name or delete it"
        case .invalidAttribute(let type, let attribute, let problem):
            "\(type).\(attribute): \(problem)"
        }
    }
}

/// Policy documents (IAM, KMS, SQS) and other JSON attributes: the stack may give a JSON string or
/// a map; AWS gets, and live state reports, one canonical text (keys sorted, no spaces) so that
/// equal documents compare equal.
enum PolicyDocument {
    /// The canonical JSON text of a desired document; nil when absent or null.
    static func canonical(_ value: Value?, type: String, attribute: String) throws -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?:
            guard let json = try? JSONValue.parse(Data(text.utf8)) else {
                throw IdentityProviderError.invalidAttribute(type: type, attribute: attribute, problem: "not a JSON document")
            }
            return String(decoding: json.encoded(), as: UTF8.self)
        case .unknown?:
            throw IdentityProviderError.invalidAttribute(type: type, attribute: attribute, problem: "not known yet")
        case let other?:
            guard let json = other.wireJSON else {
                throw IdentityProviderError.invalidAttribute(type: type, attribute: attribute, problem: "holds an unknown value")
            }
            return String(decoding: json.encoded(), as: UTF8.self)
        }
    }

    /// A required document.
    static func required(_ desired: DesiredResource, _ attribute: String) throws -> String {
        guard let text = try canonical(desired.attributes[attribute], type: desired.type, attribute: attribute) else {
            throw IdentityProviderError.invalidAttribute(type: desired.type, attribute: attribute, problem: "is required")
        }
        return text
    }

    /// A document AWS returned, as the live attribute: canonical JSON text (as given when it is
    /// not JSON, so a diff shows what AWS holds).
    static func live(_ text: String) -> Value {
        guard let json = try? JSONValue.parse(Data(text.utf8)) else { return .string(text) }
        return .string(String(decoding: json.encoded(), as: UTF8.self))
    }
}

/// Ownership as the tags say it.
enum Ownership {
    /// The address a resource's tags give it, when `strata:stack` names this stack.
    static func address(_ tags: [String: String], stack: String) -> ResourceAddress? {
        guard tags[ProviderContext.stackTag] == stack, let text = tags[ProviderContext.addressTag] else { return nil }
        return ResourceAddress(parsing: text)
    }

    /// `tags` (the user's, ownership tags removed) and `tags_all` (everything AWS stores).
    static func tagAttributes(_ all: [String: String]) -> [String: Value] {
        let user = all.filter { $0.key != ProviderContext.stackTag && $0.key != ProviderContext.addressTag }
        return ["tags": .map(user.mapValues(Value.string)), "tags_all": .map(all.mapValues(Value.string))]
    }

    /// What to tag and untag to bring `live` to `desired`; `aws:` tags belong to AWS and stay.
    static func delta(live: [String: String], desired: [String: String]) -> (set: [String: String], remove: [String]) {
        let set = desired.filter { live[$0.key] != $0.value }
        let remove = live.keys.filter { desired[$0] == nil && !$0.hasPrefix("aws:") }.sorted()
        return (set, remove)
    }

    /// Who a resource belongs to, for the name-taken error.
    static func owner(_ tags: [String: String], path: String?) -> String {
        if let stack = tags[ProviderContext.stackTag] {
            return "stack '\(stack)', address '\(tags[ProviderContext.addressTag] ?? "?")'"
        }
        return path.map { "not created by strata, path \($0)" } ?? "not created by strata"
    }

    /// The live tags a provider compares against: `tags_all` of the live resource.
    static func liveTags(_ live: LiveResource) -> [String: String] {
        live.attributes["tags_all"]?.stringMap ?? [:]
    }
}

/// Names for resources the stack did not name: `name_prefix` (or `strata-`) and a hash of the
/// create's idempotency token, so a create re-run after a crash asks for the same name and finds
/// (and adopts) what the first run made.
enum GeneratedName {
    static func name(_ desired: DesiredResource, maxLength: Int, defaultPrefix: String = "strata-") throws -> String {
        if let name = desired.attributes.string("name") { return name }
        if case .unknown? = desired.attributes["name"] {
            throw IdentityProviderError.invalidAttribute(type: desired.type, attribute: "name", problem: "not known yet")
        }
        let prefix = desired.attributes.string("name_prefix") ?? defaultPrefix
        let suffix = String(fnv1a(desired.idempotencyToken + "|" + desired.address.canonical), radix: 16)
        return String((prefix + suffix).prefix(maxLength))
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}

extension DesiredResource {
    /// A required string attribute, known.
    func requiredString(_ name: String) throws -> String {
        guard let value = attributes.string(name) else {
            let problem = attributes[name]?.isUnknown == true ? "not known yet" : "is required"
            throw IdentityProviderError.invalidAttribute(type: type, attribute: name, problem: problem)
        }
        return value
    }
}

/// Runs `body` for every element with at most `width` in flight: per-resource reads AWS has no
/// batched form of (tags of a queue, a key's policy) without a burst the rate limiter would queue.
func concurrentMap<T: Sendable, R: Sendable>(
    _ items: [T], width: Int = 8, _ body: @escaping @Sendable (T) async throws -> R
) async throws -> [R] {
    try await withThrowingTaskGroup(of: (Int, R).self) { group in
        var results = [R?](repeating: nil, count: items.count)
        var next = 0
        func add(_ group: inout ThrowingTaskGroup<(Int, R), any Error>) {
            let index = next
            let item = items[index]
            group.addTask { (index, try await body(item)) }
            next += 1
        }
        while next < min(width, items.count) { add(&group) }
        while let (index, result) = try await group.next() {
            results[index] = result
            if next < items.count { add(&group) }
        }
        return results.compactMap { $0 }
    }
}

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

    /// Every element of `list` over all pages: `tokenIn` is the request's token member,
    /// `tokenOut` the answer's.
    func paged(_ action: String, _ body: [String: JSONValue] = [:], tokenIn: String, tokenOut: String, list: String) async throws -> [JSONValue] {
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
