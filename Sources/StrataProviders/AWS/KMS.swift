import AWSClient
import StrataCompiler

/// The KMS calls strata makes: keys and aliases listed once per plan (shared through the cache
/// by `aws_kms_key` and `aws_kms_alias`), the per-key reads KMS has no batched form of, and the
/// tag list encoding (`TagKey`/`TagValue`). Wire names follow botocore's `kms/2014-11-01`.
struct KMS: Sendable {
    let calls: JSONCalls
    let cache: DiscoveryCache
    let stack: String

    init(_ context: ProviderContext) {
        calls = JSONCalls(client: context.client, service: .kms)
        cache = context.cache
        stack = context.stack
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

    /// The stack's keys, not pending deletion: ListKeys, then ListResourceTags for each key that
    /// no `alias/aws/...` alias marks as AWS-managed (KMS has no tag-filtered listing), then
    /// DescribeKey, GetKeyPolicy and GetKeyRotationStatus for each key the tags say is ours.
    func ownedKeys() async throws -> [KMSKeyState] {
        let kms = self
        return try await cache.value("kms:owned") { try await kms.readOwnedKeys() }
    }

    private func readOwnedKeys() async throws -> [KMSKeyState] {
        let awsManaged = Set(
            try await aliases().filter { $0["AliasName"]?.stringValue?.hasPrefix("alias/aws/") == true }
                .compactMap { $0["TargetKeyId"]?.stringValue })
        let keys = try await calls.paged("ListKeys", ["Limit": 1000], tokenIn: "Marker", tokenOut: "NextMarker", list: "Keys")
            .compactMap { $0["KeyId"]?.stringValue }
            .filter { !awsManaged.contains($0) }
        let stack = stack
        let tagged: [(String, [String: String])?] = try await concurrentMap(keys) { key in
            do {
                let tags = try await self.tags(key)
                return tags[ProviderContext.stackTag] == stack ? (key, tags) : nil
            } catch let error as AWSError where error.isNotFound || error.code == "AccessDeniedException" {
                return nil  // gone since the listing, or another principal's key
            }
        }
        let owned: [KMSKeyState?] = try await concurrentMap(tagged.compactMap { $0 }) { key, tags in
            try await self.state(key, tags: tags)
        }
        return owned.compactMap { $0 }
    }

    /// One key's tags (ListResourceTags, paginated).
    func tags(_ key: String) async throws -> [String: String] {
        let list = try await calls.paged("ListResourceTags", ["KeyId": .string(key)], tokenIn: "Marker", tokenOut: "NextMarker", list: "Tags")
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

    /// Forget the listings after a write.
    func invalidate() async {
        await cache.invalidate(prefix: "kms:")
    }
}

/// One owned key as discovery read it.
struct KMSKeyState: Sendable {
    var metadata: JSONValue
    var tags: [String: String]
    var policy: String?
    var rotation: JSONValue?
}
