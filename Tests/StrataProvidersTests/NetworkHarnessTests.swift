import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

@testable import StrataProviders

/// What the network provider tests share: a context for a fresh stack in the sandbox, desired
/// resources built as the planner builds them, raw reads that bypass the providers, and the
/// "would the plan say no changes" comparison.
struct NetworkHarness {
    let sandbox: Sandbox
    let client: AWSClient
    let stack: String

    static func make() async throws -> NetworkHarness {
        let sandbox = try await Sandbox.shared()
        return NetworkHarness(sandbox: sandbox, client: sandbox.client(), stack: "t-\(UUID().uuidString.prefix(8).lowercased())")
    }

    /// A fresh context (and cache) per call, as each plan or apply has.
    var context: ProviderContext {
        ProviderContext(
            client: client, stack: stack, region: Sandbox.region, waits: WaitPolicy(interval: .milliseconds(50)))
    }

    func provider(_ type: String) throws -> any ResourceProvider {
        try #require(ProviderRegistry.provider(for: type), "no provider for \(type)")
    }

    /// A desired resource with the ownership tags the planner adds.
    func desired(_ type: String, _ name: String, _ attributes: [String: Value]) -> DesiredResource {
        let address = ResourceAddress(module: nil, type: type, name: name)
        var tags = attributes["tags"]?.stringMap ?? [:]
        tags[ProviderContext.stackTag] = stack
        tags[ProviderContext.addressTag] = address.canonical
        let taggable = ResourceCatalog.schema(for: type)?.taggable ?? false
        return DesiredResource(
            address: address, type: type, attributes: attributes, tags: taggable ? tags : [:],
            idempotencyToken: "\(stack)-\(name)-token")
    }

    /// Creates through the provider.
    func create(_ desired: DesiredResource) async throws -> LiveResource {
        try await provider(desired.type).create(desired, context)
    }

    /// What discovery finds of one type, with a fresh cache.
    func discover(_ type: String) async throws -> [LiveResource] {
        try await provider(type).discover(context)
    }

    /// The one discovered instance for this desired resource (by address, or by identity for
    /// untagged types).
    func discovered(_ desired: DesiredResource) async throws -> LiveResource? {
        let provider = try provider(desired.type)
        let all = try await provider.discover(context)
        if let identity = provider.identity(of: desired.attributes) {
            return all.first { $0.identity == identity }
        }
        return all.first { $0.address == desired.address }
    }

    /// The tags of a resource as EC2 itself reports them (DescribeTags, no provider involved).
    func rawTags(_ id: String) async throws -> [String: String] {
        let answer = try await client.query(
            .ec2, action: "DescribeTags", parameters: QueryValue.filters([(name: "resource-id", values: [id])]))
        var tags: [String: String] = [:]
        for item in answer.child("tagSet")?.items ?? [] {
            if let key = item.child("key")?.text { tags[key] = item.child("value")?.text ?? "" }
        }
        return tags
    }

    /// The attributes a plan would report as changed between `desired` and `live`, by the
    /// schema's rules: a set attribute must match; an unset one with a server default must
    /// hold that default; computed ones are AWS's. Tags compare as the user's map and the
    /// full stored map.
    func differences(_ desired: DesiredResource, _ live: LiveResource) throws -> Set<String> {
        let schema = try #require(ResourceCatalog.schema(for: desired.type))
        var changed: Set<String> = []
        for (name, attribute) in schema.attributes where attribute.presence != .computed {
            // Write-only settings AWS never reports (the planner's Normalisation.writeOnlyAttributes).
            if ["update_default_version", "revoke_rules_on_delete"].contains(name), live.attributes[name] == nil { continue }
            if name == "tags" {
                if (live.attributes["tags"]?.stringMap ?? [:]) != (desired.attributes["tags"]?.stringMap ?? [:]) { changed.insert(name) }
                continue
            }
            let expected: Value?
            if let value = desired.attributes[name] {
                expected = value
            } else if let serverDefault = attribute.serverDefault {
                switch serverDefault {
                case .string(let text): expected = .string(text)
                case .int(let number): expected = .int(number)
                case .bool(let flag): expected = .bool(flag)
                case .emptyList: expected = .list([])
                case .emptyMap: expected = .map([:])
                }
            } else {
                expected = nil
            }
            guard let expected else { continue }
            if !Self.same(expected, live.attributes[name] ?? .null) {
                changed.insert(name)
                // Says what differs when an expectation about differences fails.
                print("\(desired.address) \(name): desired \(expected), live \(live.attributes[name] ?? .null)")
            }
        }
        if schema.taggable, (live.attributes["tags_all"]?.stringMap ?? [:]) != desired.tags { changed.insert("tags_all") }
        return changed
    }

    /// Equal as far as the stack says: every field a desired block sets must match the live
    /// block (fields it leaves out are AWS's), lists of blocks match as sets, and a null or
    /// empty live value equals an absent one.
    static func same(_ desired: Value, _ live: Value) -> Bool {
        switch (desired, live) {
        case (.map(let want), .map(let have)):
            return want.allSatisfy { key, value in
                if value == .null { return isEmpty(have[key]) }
                return same(value, have[key] ?? .null)
            }
        case (.list(let want), .list(let have)):
            guard want.count == have.count else { return false }
            // Each desired item needs its own live match (sets of blocks, in any order).
            var unused = have
            for item in want {
                guard let index = unused.firstIndex(where: { same(item, $0) }) else { return false }
                unused.remove(at: index)
            }
            return true
        case (.list(let want), .null): return want.isEmpty
        case (.map(let want), .null): return want.values.allSatisfy { $0 == .null }
        default:
            return desired == live
        }
    }

    static func isEmpty(_ value: Value?) -> Bool {
        switch value {
        case nil, .null?: true
        case .list(let items)?: items.isEmpty
        case .map(let members)?: members.isEmpty
        default: false
        }
    }

    /// Deletes through the provider and checks discovery no longer finds it.
    func deleteAndConfirm(_ live: LiveResource, _ desired: DesiredResource) async throws {
        let provider = try provider(live.type)
        try await provider.delete(live, context)
        #expect(try await discovered(desired) == nil, "\(desired.address) still discovered after delete")
        // Deleting what is gone succeeds.
        try await provider.delete(live, context)
    }
}
