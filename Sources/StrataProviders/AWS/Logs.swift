import AWSClient
import StrataModel

/// The CloudWatch Logs calls strata makes: the stack's log groups (named by the tag index,
/// described by ARN) once per plan, and the lower-camel-case members of botocore's
/// `logs/2014-03-28`.
struct Logs: Sendable {
    let calls: JSONCalls
    let cache: DiscoveryCache
    let tagging: ResourceTagging

    init(_ context: ProviderContext) {
        calls = JSONCalls(client: context.client, service: .logs)
        cache = context.cache
        tagging = ResourceTagging(context)
    }

    /// The stack's log groups with their tags: the tag index names them (Logs has no
    /// tag-filtered listing), DescribeLogGroups by ARN describes them.
    func ownedGroups() async throws -> [(group: JSONValue, tags: [String: String])] {
        let logs = self
        let owned: [LogGroupState] = try await cache.value("logs:owned") {
            let indexed = try await logs.tagging.owned("logs")
            guard !indexed.isEmpty else { return [] }
            let tagsByARN = Dictionary(indexed.map { ($0.arn, $0.tags) }, uniquingKeysWith: { first, _ in first })
            // Named by ARN, fifty to a call: an account's other groups (Lambda alone makes
            // thousands) are never listed.
            var groups: [JSONValue] = []
            for chunk in stride(from: 0, to: indexed.count, by: 50).map({ Array(indexed[$0..<min($0 + 50, indexed.count)]) }) {
                groups += try await logs.calls.paged(
                    "DescribeLogGroups", ["logGroupIdentifiers": .array(chunk.map { .string($0.arn) })], tokenIn: "nextToken",
                    tokenOut: "nextToken", list: "logGroups")
            }
            return groups.compactMap { group in
                guard let arn = Logs.arn(of: group), let tags = tagsByARN[arn] else { return nil }
                return LogGroupState(group: group, tags: tags)
            }
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

    /// TagResource and UntagResource for one log group, for ``TagSync``.
    func tagCalls(arn: String) -> TagCalls {
        calls.tagCalls(
            tag: { ["resourceArn": .string(arn), "tags": Logs.tagMap($0)] },
            untag: { ["resourceArn": .string(arn), "tagKeys": JSONCalls.strings($0)] })
    }

    func invalidate() async {
        await cache.invalidate(prefix: "logs:")
        await ResourceTagging.invalidate(cache)
    }
}

struct LogGroupState: Sendable {
    var group: JSONValue
    var tags: [String: String]
}
