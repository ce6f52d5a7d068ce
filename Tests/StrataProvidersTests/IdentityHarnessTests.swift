import AWSClient
import Foundation
import StrataModel
import StrataProviders
import StrataTestSupport
import Testing

/// What the identity providers' sandbox tests share: a unique stack per test, desired resources
/// with ownership tags as the planner builds them, and the registered providers.
struct IdentityFixture {
    let sandbox: Sandbox
    let client: AWSClient
    let stack: String

    init() async throws {
        sandbox = try await Sandbox.shared()
        client = sandbox.client()
        stack = "t-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// A fresh context: a new discovery cache, as a new plan has.
    var context: ProviderContext {
        ProviderContext(client: client, stack: stack, region: Sandbox.region, waits: WaitPolicy(interval: .milliseconds(50)))
    }

    func provider(_ type: String) throws -> any ResourceProvider {
        try #require(ProviderRegistry.provider(for: type), "no provider registered for \(type)")
    }

    func address(_ type: String, _ name: String) -> ResourceAddress {
        ResourceAddress(module: nil, type: type, name: name)
    }

    /// The desired resource the planner would hand over: ownership tags plus the user's tags.
    func desired(_ type: String, _ name: String, _ attributes: [String: Value], token: String? = nil) -> DesiredResource {
        let address = address(type, name)
        var tags = attributes["tags"]?.stringMap ?? [:]
        tags[ProviderContext.stackTag] = stack
        tags[ProviderContext.addressTag] = address.canonical
        return DesiredResource(
            address: address, type: type, attributes: attributes, tags: tags,
            idempotencyToken: token ?? Data("\(stack)-\(address.canonical)".utf8).base64EncodedString())
    }

    /// The one live resource of `type` at `address` that discovery reports.
    func discovered(_ type: String, _ address: ResourceAddress) async throws -> LiveResource? {
        try await provider(type).discover(context).first { $0.address == address }
    }

    /// The live child of `type` whose identity is `identity`.
    func discovered(_ type: String, identity: String) async throws -> LiveResource? {
        try await provider(type).discover(context).first { $0.identity == identity }
    }
}

/// A JSON document's canonical text, as providers report policies.
func canonicalJSON(_ value: Value) -> String {
    String(decoding: (value.wireJSON ?? .null).encoded(), as: UTF8.self)
}

/// The `Tags` member list of an IAM answer element.
func iamTags(_ node: XMLNode?) -> [String: String] {
    var tags: [String: String] = [:]
    for tag in node?.child("Tags")?.items ?? [] {
        if let key = tag.child("Key")?.text { tags[key] = tag.child("Value")?.text ?? "" }
    }
    return tags
}

/// `{"Version": "2012-10-17", "Statement": [...]}` with one statement.
func policyDocument(_ statement: [String: Value]) -> Value {
    .map(["Version": .string("2012-10-17"), "Statement": .list([.map(statement)])])
}

func trustPolicy(_ service: String) -> Value {
    policyDocument(["Effect": .string("Allow"), "Principal": .map(["Service": .string(service)]), "Action": .string("sts:AssumeRole")])
}

func allowPolicy(_ actions: [String], resource: String = "*") -> Value {
    policyDocument(["Effect": .string("Allow"), "Action": .list(actions.map(Value.string)), "Resource": .string(resource)])
}
