import AWSClient
import Foundation
import StrataModel
import StrataProviders
import StrataTestSupport
import Testing

/// aws_cloudwatch_log_group, aws_sqs_queue, aws_sqs_queue_policy, aws_cloudwatch_event_rule and
/// aws_cloudwatch_event_target against the sandbox.
@Suite struct IdentityMessagingTests {
    @Test func logGroupLifecycle() async throws {
        let f = try await IdentityFixture()
        let groups = try f.provider("aws_cloudwatch_log_group")
        let name = "/aws/eks/\(f.stack)/cluster"
        let desired = f.desired("aws_cloudwatch_log_group", "logs", ["name": .string(name), "retention_in_days": .int(7)])
        let created = try await groups.create(desired, f.context)
        #expect(created.attributes["retention_in_days"] == .int(7))

        let arn = try #require(created.attributes["arn"]?.stringValue)
        let rawTags = try await f.client.json(.logs, action: "ListTagsForResource", body: ["resourceArn": .string(arn)])
        #expect(rawTags["tags"]?["strata:stack"]?.stringValue == f.stack)
        #expect(rawTags["tags"]?["strata:address"]?.stringValue == "aws_cloudwatch_log_group.logs")

        let live = try #require(try await f.discovered("aws_cloudwatch_log_group", desired.address))
        #expect(live.id == name)
        #expect(live.attributes["log_group_class"] == .string("STANDARD"))

        var next = desired
        next.attributes["retention_in_days"] = .int(30)
        next.tags["team"] = "platform"
        let updated = try await groups.update(live, to: next, changed: ["retention_in_days", "tags"], f.context)
        #expect(updated.attributes["retention_in_days"] == .int(30))
        #expect(updated.attributes["tags"] == .map(["team": .string("platform")]))

        // Created again (a crashed run): adopted.
        #expect(try await groups.create(next, f.context).id == name)

        for _ in 0..<2 { try await groups.delete(updated, f.context) }
        #expect(try await f.discovered("aws_cloudwatch_log_group", desired.address) == nil)
    }

    @Test func queueAndPolicyLifecycle() async throws {
        let f = try await IdentityFixture()
        let queues = try f.provider("aws_sqs_queue")
        let policies = try f.provider("aws_sqs_queue_policy")
        let desired = f.desired(
            "aws_sqs_queue", "interruptions",
            ["name": .string("\(f.stack)-karpenter"), "message_retention_seconds": .int(300), "sqs_managed_sse_enabled": .bool(true)])
        let queue = try await queues.create(desired, f.context)
        #expect(queue.attributes["message_retention_seconds"] == .int(300))
        #expect(queue.attributes["visibility_timeout_seconds"] == .int(30))
        #expect(queue.attributes["fifo_queue"] == .bool(false))

        let rawTags = try await f.client.json(.sqs, action: "ListQueueTags", body: ["QueueUrl": .string(queue.id)])
        #expect(rawTags["Tags"]?["strata:stack"]?.stringValue == f.stack)
        #expect(rawTags["Tags"]?["strata:address"]?.stringValue == "aws_sqs_queue.interruptions")

        let live = try #require(try await f.discovered("aws_sqs_queue", desired.address))
        #expect(live.id == queue.id)

        // The queue policy is a child of the queue, identified by its URL.
        let arn = try #require(queue.attributes["arn"]?.stringValue)
        let document = policyDocument([
            "Effect": .string("Allow"), "Principal": .map(["Service": .list([.string("events.amazonaws.com")])]),
            "Action": .string("sqs:SendMessage"), "Resource": .string(arn),
        ])
        let policyDesired = f.desired("aws_sqs_queue_policy", "interruptions", ["queue_url": .string(queue.id), "policy": document])
        let policy = try await policies.create(policyDesired, f.context)
        #expect(policy.attributes["policy"] == .string(canonicalJSON(document)))
        let found = try #require(try await f.discovered("aws_sqs_queue_policy", identity: queue.id))
        #expect(found.attributes["policy"] == .string(canonicalJSON(document)))

        // Queue attributes in place.
        var next = desired
        next.attributes["visibility_timeout_seconds"] = .int(60)
        next.attributes["message_retention_seconds"] = nil
        let updated = try await queues.update(
            live, to: next, changed: ["visibility_timeout_seconds", "message_retention_seconds"], f.context)
        #expect(updated.attributes["visibility_timeout_seconds"] == .int(60))
        #expect(updated.attributes["message_retention_seconds"] == .int(345_600))

        // Created again with other attributes (a crashed run): adopted and brought up to date.
        let again = try await queues.create(next, f.context)
        #expect(again.id == queue.id)

        for _ in 0..<2 { try await policies.delete(found, f.context) }
        #expect(try await f.discovered("aws_sqs_queue_policy", identity: queue.id) == nil)
        for _ in 0..<2 { try await queues.delete(updated, f.context) }
        #expect(try await f.discovered("aws_sqs_queue", desired.address) == nil)
    }

    @Test func queueNameOfAnotherStackIsAnError() async throws {
        let f = try await IdentityFixture()
        let other = try await IdentityFixture()
        let queues = try f.provider("aws_sqs_queue")
        let name = "\(f.stack)-shared"
        let theirs = try await queues.create(other.desired("aws_sqs_queue", "q", ["name": .string(name)]), other.context)
        let error = try await #require(throws: ProviderError.self) {
            try await queues.create(f.desired("aws_sqs_queue", "q", ["name": .string(name)]), f.context)
        }
        #expect("\(error)".contains(other.stack))
        try await queues.delete(theirs, other.context)
    }

    @Test func ruleAndTargetLifecycle() async throws {
        let f = try await IdentityFixture()
        let rules = try f.provider("aws_cloudwatch_event_rule")
        let targets = try f.provider("aws_cloudwatch_event_target")
        let queue = try await f.provider("aws_sqs_queue").create(
            f.desired("aws_sqs_queue", "q", ["name": .string("\(f.stack)-q")]), f.context)
        let queueARN = try #require(queue.attributes["arn"]?.stringValue)
        let pattern: Value = .map([
            "source": .list([.string("aws.ec2")]), "detail-type": .list([.string("EC2 Spot Instance Interruption Warning")]),
        ])
        let desired = f.desired(
            "aws_cloudwatch_event_rule", "spot",
            ["name": .string("\(f.stack)-spot"), "description": .string("Spot"), "event_pattern": pattern])
        let rule = try await rules.create(desired, f.context)
        #expect(rule.attributes["event_pattern"] == .string(canonicalJSON(pattern)))
        #expect(rule.attributes["state"] == .string("ENABLED"))

        let arn = try #require(rule.attributes["arn"]?.stringValue)
        let rawTags = try await f.client.json(.events, action: "ListTagsForResource", body: ["ResourceARN": .string(arn)])
        let tags = Dictionary(
            (rawTags["Tags"]?.arrayValue ?? []).compactMap { tag -> (String, String)? in
                guard let k = tag["Key"]?.stringValue, let v = tag["Value"]?.stringValue else { return nil }
                return (k, v)
            }, uniquingKeysWith: { a, _ in a })
        #expect(tags["strata:stack"] == f.stack)
        #expect(tags["strata:address"] == "aws_cloudwatch_event_rule.spot")

        let targetDesired = f.desired(
            "aws_cloudwatch_event_target", "spot",
            ["rule": .string("\(f.stack)-spot"), "target_id": .string("KarpenterInterruptionQueue"), "arn": .string(queueARN)])
        let target = try await targets.create(targetDesired, f.context)
        let identity = try #require(targets.identity(of: targetDesired.attributes))
        #expect(target.identity == identity)
        let listed = try await f.client.json(.events, action: "ListTargetsByRule", body: ["Rule": .string("\(f.stack)-spot")])
        #expect(listed["Targets"]?.arrayValue?.first?["Arn"]?.stringValue == queueARN)

        let liveRule = try #require(try await f.discovered("aws_cloudwatch_event_rule", desired.address))
        #expect(liveRule.attributes["description"] == .string("Spot"))
        #expect(try await f.discovered("aws_cloudwatch_event_target", identity: identity)?.attributes["arn"] == .string(queueARN))

        // The pattern changes in place (PutRule), the tags stay.
        var next = desired
        next.attributes["event_pattern"] = .map(["source": .list([.string("aws.health")])])
        let updated = try await rules.update(liveRule, to: next, changed: ["event_pattern"], f.context)
        #expect(updated.attributes["event_pattern"] == .string(canonicalJSON(next.attributes["event_pattern"] ?? .null)))
        #expect(updated.address == desired.address)

        // A rule name held by another stack is refused, not overwritten.
        let other = try await IdentityFixture()
        let error = try await #require(throws: ProviderError.self) {
            try await rules.create(other.desired("aws_cloudwatch_event_rule", "spot", desired.attributes), other.context)
        }
        #expect("\(error)".contains(f.stack))

        for _ in 0..<2 { try await targets.delete(target, f.context) }
        #expect(try await f.discovered("aws_cloudwatch_event_target", identity: identity) == nil)
        for _ in 0..<2 { try await rules.delete(updated, f.context) }
        #expect(try await f.discovered("aws_cloudwatch_event_rule", desired.address) == nil)
        try await f.provider("aws_sqs_queue").delete(queue, f.context)
    }
}
