import AWSClient
import StrataCompiler

/// The EventBridge calls strata makes: buses and their rules listed once per plan, each rule's
/// tags (EventBridge has no tag-filtered listing: one ListTagsForResource per rule of the
/// region), and the targets of the stack's rules (one ListTargetsByRule each), shared through
/// the cache by `aws_cloudwatch_event_rule` and `aws_cloudwatch_event_target`.
struct EventBridge: Sendable {
    let calls: JSONCalls
    let cache: DiscoveryCache
    let stack: String

    init(_ context: ProviderContext) {
        calls = JSONCalls(client: context.client, service: .events)
        cache = context.cache
        stack = context.stack
    }

    /// The stack's rules on every bus, with tags and targets.
    func ownedRules() async throws -> [EventRuleState] {
        let events = self
        return try await cache.value("events:owned") {
            let buses = try await events.calls.paged("ListEventBuses", [:], tokenIn: "NextToken", tokenOut: "NextToken", list: "EventBuses")
                .compactMap { $0["Name"]?.stringValue }
            var rules: [JSONValue] = []
            for bus in buses.isEmpty ? ["default"] : buses {
                rules += try await events.calls.paged(
                    "ListRules", ["EventBusName": .string(bus), "Limit": 100], tokenIn: "NextToken", tokenOut: "NextToken", list: "Rules")
            }
            let owned: [EventRuleState?] = try await concurrentMap(rules) { rule in
                guard let arn = rule["Arn"]?.stringValue, let name = rule["Name"]?.stringValue else { return nil }
                do {
                    let tags = try await events.tags(arn)
                    guard tags[ProviderContext.stackTag] == events.stack else { return nil }
                    let bus = rule["EventBusName"]?.stringValue ?? "default"
                    return EventRuleState(rule: rule, tags: tags, targets: try await events.targets(rule: name, bus: bus))
                } catch let error as AWSError where error.isNotFound {
                    return nil
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

    func invalidate() async {
        await cache.invalidate(prefix: "events:")
    }
}

/// One owned rule as discovery read it.
struct EventRuleState: Sendable {
    var rule: JSONValue
    var tags: [String: String]
    var targets: [JSONValue]
}
