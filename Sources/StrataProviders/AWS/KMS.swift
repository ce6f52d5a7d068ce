import AWSClient
import StrataModel

/// The KMS calls strata makes: the stack's keys (from the tag index) and the region's aliases
/// read once per plan (shared through the cache by `aws_kms_key` and `aws_kms_alias`), the
/// per-key reads KMS has no batched form of, and the tag list encoding (`TagKey`/`TagValue`). Wire names follow botocore's `kms/2014-11-01`.
struct KMS: Sendable {
    let calls: JSONCalls
    let cache: DiscoveryCache
    let tagging: ResourceTagging

    init(_ context: ProviderContext) {
        calls = JSONCalls(client: context.client, service: .kms)
        cache = context.cache
        tagging = ResourceTagging(context)
    }

    /// KMS reads the policy named `default`; moto insists on the name, AWS accepts it.
    static let policyName: JSONValue = "default"

    /// Every alias of the region (one paginated ListAliases).
    func aliases() async throws -> [JSONValue] {
        let calls = calls
        return try await cache.value("kms:aliases") {
            try await calls.paged("ListAliases", ["Limit": 100], tokenIn: "Marker", tokenOut: "NextMarker", list: "Aliases")
        }
    }

    /// The stack's keys, not pending deletion: the tag index names them (KMS has no
    /// tag-filtered listing), then DescribeKey, GetKeyPolicy and GetKeyRotationStatus read each.
    func ownedKeys() async throws -> [KMSKeyState] {
        let kms = self
        return try await cache.value("kms:owned") { try await kms.readOwnedKeys() }
    }

    private func readOwnedKeys() async throws -> [KMSKeyState] {
        let indexed = try await tagging.owned("kms").filter { $0.resource.hasPrefix("key/") }
        let owned: [KMSKeyState?] = try await concurrentMap(indexed) { key in
            do {
                return try await self.state(String(key.resource.dropFirst("key/".count)), tags: key.tags)
            } catch let error as AWSError where error.isNotFound {
                return nil  // deleted since the index was read
            }
        }
        return owned.compactMap { $0 }
    }

    /// One key's tags (ListResourceTags, paginated).
    func tags(_ key: String) async throws -> [String: String] {
        let list = try await calls.paged(
            "ListResourceTags", ["KeyId": .string(key)], tokenIn: "Marker", tokenOut: "NextMarker", list: "Tags")
        var tags: [String: String] = [:]
        for tag in list {
            if let name = tag["TagKey"]?.stringValue { tags[name] = tag["TagValue"]?.stringValue ?? "" }
        }
        return tags
    }

    /// Everything the catalog reports of one key; nil when it is pending deletion (as good as
    /// gone: KMS refuses every use of it and strata never cancels a deletion).
    func state(_ key: String, tags: [String: String]) async throws -> KMSKeyState? {
        let metadata = try await calls.call("DescribeKey", ["KeyId": .string(key)])["KeyMetadata"] ?? [:]
        let keyState = metadata["KeyState"]?.stringValue ?? ""
        if ["PendingDeletion", "PendingReplicaDeletion"].contains(keyState) { return nil }
        let policy = try await calls.call("GetKeyPolicy", ["KeyId": .string(key), "PolicyName": Self.policyName])["Policy"]?.stringValue
        var rotation: JSONValue?
        // Only symmetric encryption keys rotate; asking about others is an error.
        if metadata["KeySpec"]?.stringValue == "SYMMETRIC_DEFAULT" {
            rotation = try await calls.call("GetKeyRotationStatus", ["KeyId": .string(key)])
        }
        return KMSKeyState(metadata: metadata, tags: tags, policy: policy, rotation: rotation)
    }

    /// `Tags: [{TagKey, TagValue}]`, sorted so requests are stable.
    static func tagList(_ tags: [String: String]) -> JSONValue {
        .array(tags.sorted { $0.key < $1.key }.map { .object(["TagKey": .string($0.key), "TagValue": .string($0.value)]) })
    }

    /// TagResource and UntagResource for one key, for ``TagSync``.
    func tagCalls(_ key: String) -> TagCalls {
        calls.tagCalls(
            tag: { ["KeyId": .string(key), "Tags": KMS.tagList($0)] }, untag: { ["KeyId": .string(key), "TagKeys": JSONCalls.strings($0)] })
    }

    /// Forget the listings after a write.
    func invalidate() async {
        await cache.invalidate(prefix: "kms:")
        await ResourceTagging.invalidate(cache)
    }
}

/// One owned key as discovery read it.
struct KMSKeyState: Sendable {
    var metadata: JSONValue
    var tags: [String: String]
    var policy: String?
    var rotation: JSONValue?
}
