import AWSClient
import StrataModel

/// The EventBridge calls strata makes: the stack's rules (named by the tag index, described by
/// the listing of their buses) and their targets (one ListTargetsByRule each) once per plan,
/// shared through the cache by `aws_cloudwatch_event_rule` and `aws_cloudwatch_event_target`.
struct EventBridge: Sendable {
    let calls: JSONCalls
    let cache: DiscoveryCache
    let tagging: ResourceTagging

    init(_ context: ProviderContext) {
        calls = JSONCalls(client: context.client, service: .events)
        cache = context.cache
        tagging = ResourceTagging(context)
    }

    /// The stack's rules on every bus, with tags and targets: the tag index names them
    /// (EventBridge has no tag-filtered listing), one ListRules per bus that holds one of them
    /// describes them, one ListTargetsByRule each reads their targets.
    func ownedRules() async throws -> [EventRuleState] {
        let events = self
        return try await cache.value("events:owned") {
            let indexed = try await events.tagging.owned("events")
            let tagsByARN = Dictionary(indexed.map { ($0.arn, $0.tags) }, uniquingKeysWith: { first, _ in first })
            // `rule/NAME` on the default bus, `rule/BUS/NAME` on another.
            let buses = Set(
                indexed.compactMap { rule -> String? in
                    let path = rule.resource.split(separator: "/", omittingEmptySubsequences: false)
                    guard path.first == "rule" else { return nil }
                    return path.count > 2 ? String(path[1]) : "default"
                })
            var rules: [JSONValue] = []
            for bus in buses.sorted() {
                rules += try await events.calls.paged(
                    "ListRules", ["EventBusName": .string(bus), "Limit": 100], tokenIn: "NextToken", tokenOut: "NextToken", list: "Rules")
            }
            let owned: [EventRuleState?] = try await concurrentMap(rules) { rule in
                guard let arn = rule["Arn"]?.stringValue, let tags = tagsByARN[arn], let name = rule["Name"]?.stringValue else {
                    return nil
                }
                do {
                    let bus = rule["EventBusName"]?.stringValue ?? "default"
                    return EventRuleState(rule: rule, tags: tags, targets: try await events.targets(rule: name, bus: bus))
                } catch let error as AWSError where error.isNotFound {
                    return nil  // deleted since the listing
                }
            }
            return owned.compactMap { $0 }
        }
    }

    func tags(_ arn: String) async throws -> [String: String] {
        let answer = try await calls.call("ListTagsForResource", ["ResourceARN": .string(arn)])
        var tags: [String: String] = [:]
        for tag in answer["Tags"]?.arrayValue ?? [] {
            if let key = tag["Key"]?.stringValue { tags[key] = tag["Value"]?.stringValue ?? "" }
        }
        return tags
    }

    func targets(rule: String, bus: String) async throws -> [JSONValue] {
        try await calls.paged(
            "ListTargetsByRule", ["Rule": .string(rule), "EventBusName": .string(bus)], tokenIn: "NextToken", tokenOut: "NextToken",
            list: "Targets")
    }

    /// `Tags: [{Key, Value}]`, sorted so requests are stable.
    static func tagList(_ tags: [String: String]) -> JSONValue {
        .array(tags.sorted { $0.key < $1.key }.map { .object(["Key": .string($0.key), "Value": .string($0.value)]) })
    }

    /// TagResource and UntagResource for one rule, for ``TagSync``.
    func tagCalls(arn: String) -> TagCalls {
        calls.tagCalls(
            tag: { ["ResourceARN": .string(arn), "Tags": EventBridge.tagList($0)] },
            untag: { ["ResourceARN": .string(arn), "TagKeys": JSONCalls.strings($0)] })
    }

    func invalidate() async {
        await cache.invalidate(prefix: "events:")
        await ResourceTagging.invalidate(cache)
    }
}

/// One owned rule as discovery read it.
struct EventRuleState: Sendable {
    var rule: JSONValue
    var tags: [String: String]
    var targets: [JSONValue]
}
