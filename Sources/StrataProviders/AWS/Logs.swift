import AWSClient
import StrataCompiler

/// The CloudWatch Logs calls strata makes: log groups listed once per plan, their tags (Logs
/// has no tag-filtered listing: one ListTagsForResource per group of the region), and the
/// lower-camel-case members of botocore's `logs/2014-03-28`.
struct Logs: Sendable {
    let calls: JSONCalls
    let cache: DiscoveryCache
    let stack: String

    init(_ context: ProviderContext) {
        calls = JSONCalls(client: context.client, service: .logs)
        cache = context.cache
        stack = context.stack
    }

    /// The stack's log groups with their tags: DescribeLogGroups (paginated), then the tags of
    /// each group.
    func ownedGroups() async throws -> [(group: JSONValue, tags: [String: String])] {
        let logs = self
        let owned: [LogGroupState] = try await cache.value("logs:owned") {
            let groups = try await logs.calls.paged("DescribeLogGroups", ["limit": 50], tokenIn: "nextToken", tokenOut: "nextToken", list: "logGroups")
            let tagged: [LogGroupState?] = try await concurrentMap(groups) { group in
                guard let arn = Logs.arn(of: group) else { return nil }
                do {
                    let tags = try await logs.tags(arn)
                    return tags[ProviderContext.stackTag] == logs.stack ? LogGroupState(group: group, tags: tags) : nil
                } catch let error as AWSError where error.isNotFound {
                    return nil
                }
            }
            return tagged.compactMap { $0 }
        }
        return owned.map { (group: $0.group, tags: $0.tags) }
    }

    /// One group by exact name (DescribeLogGroups with the name as prefix), nil when absent.
    func group(named name: String) async throws -> JSONValue? {
        let groups = try await calls.paged(
            "DescribeLogGroups", ["logGroupNamePrefix": .string(name)], tokenIn: "nextToken", tokenOut: "nextToken", list: "logGroups")
        return groups.first { $0["logGroupName"]?.stringValue == name }
    }

    func tags(_ arn: String) async throws -> [String: String] {
        let answer = try await calls.call("ListTagsForResource", ["resourceArn": .string(arn)])
        guard case .object(let members)? = answer["tags"] else { return [:] }
        return members.compactMapValues(\.stringValue)
    }

    /// The group's ARN as tagging wants it: `logGroupArn`, or `arn` without DescribeLogGroups'
    /// trailing `:*`.
    static func arn(of group: JSONValue) -> String? {
        if let arn = group["logGroupArn"]?.stringValue { return arn }
        guard var arn = group["arn"]?.stringValue else { return nil }
        if arn.hasSuffix(":*") { arn.removeLast(2) }
        return arn
    }

    static func tagMap(_ tags: [String: String]) -> JSONValue {
        .object(tags.mapValues(JSONValue.string))
    }

    func invalidate() async {
        await cache.invalidate(prefix: "logs:")
    }
}

struct LogGroupState: Sendable {
    var group: JSONValue
    var tags: [String: String]
}
