import AWSClient
import StrataModel

/// The stack's resources in services whose listings cannot filter by tag (KMS keys, log groups,
/// SQS queues, EventBridge rules, EKS clusters), found through the Resource Groups Tagging
/// API: one paginated `GetResources` filtered on `strata:stack`, once per plan, shared through
/// the cache. Without it discovery would read the tags of every key, group, queue, rule and
/// cluster of the region, one call each, to learn which are the stack's; with it, only the
/// stack's own resources are read.
///
/// The index may trail a tag write by a few seconds on AWS. A resource created that recently
/// by a run that crashed is still found by name where the service has names (queues, groups,
/// rules, clusters: their creates answer "already exists" and the provider adopts); a KMS key
/// created in that window and missed is found by the next plan, which deletes the extra one.
struct ResourceTagging: Sendable {
    let calls: JSONCalls
    let cache: DiscoveryCache
    let stack: String

    init(_ context: ProviderContext) {
        calls = JSONCalls(client: context.client, service: .tagging)
        cache = context.cache
        stack = context.stack
    }

    /// The resource types asked for, in the API's `service[:type]` form. SQS queue ARNs carry no
    /// type, so the service alone names them.
    static let indexedTypes: [JSONValue] = ["kms:key", "logs:log-group", "sqs", "events:rule", "eks:cluster"]

    /// The stack's tagged resources whose ARN's service is `service` (`kms`, `logs`, `sqs`,
    /// `events`, `eks`), with their tags.
    func owned(_ service: String) async throws -> [TaggedResource] {
        try await all().filter { $0.service == service }
    }

    private func all() async throws -> [TaggedResource] {
        let calls = calls
        let stack = stack
        return try await cache.value(Self.cacheKey) {
            let body: [String: JSONValue] = [
                "TagFilters": [["Key": .string(ProviderContext.stackTag), "Values": [.string(stack)]]],
                "ResourceTypeFilters": .array(Self.indexedTypes),
                "ResourcesPerPage": 100,
            ]
            let mappings = try await calls.paged(
                "GetResources", body, tokenIn: "PaginationToken", tokenOut: "PaginationToken", list: "ResourceTagMappingList")
            return mappings.compactMap { mapping -> TaggedResource? in
                guard let arn = mapping["ResourceARN"]?.stringValue else { return nil }
                var tags: [String: String] = [:]
                for tag in mapping["Tags"]?.arrayValue ?? [] {
                    if let key = tag["Key"]?.stringValue { tags[key] = tag["Value"]?.stringValue ?? "" }
                }
                // The index also lists resources that no longer carry the tag filtered on.
                return tags[ProviderContext.stackTag] == stack ? TaggedResource(arn: arn, tags: tags) : nil
            }
        }
    }

    static let cacheKey = "tagging:owned"

    /// Forget the index after a write that adds, removes or retags an indexed resource.
    static func invalidate(_ cache: DiscoveryCache) async {
        await cache.invalidate(prefix: cacheKey)
    }
}

/// One resource of the tag index: its ARN and every tag it carries.
struct TaggedResource: Sendable, Equatable {
    var arn: String
    var tags: [String: String]

    /// The ARN's service (`arn:aws:<service>:...`).
    var service: String { arnPart(2) }

    /// What follows the account in the ARN: `key/1234`, `log-group:/aws/eks/x`, `rule/bus/name`,
    /// `cluster/name`, or a queue's name.
    var resource: String { arnPart(5) }

    /// Part `index` of the ARN's six (the last keeps its own colons).
    private func arnPart(_ index: Int) -> String {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        return parts.count > index ? String(parts[index]) : ""
    }
}
