import AWSClient
import AWSSigner
import Foundation
import StrataModel
import StrataProviders
import StrataTestSupport
import Testing

/// What discovery of the IAM types costs: the account snapshot is read once and shared by
/// roles, policies, attachments, inline policies and instance profiles. Counted from the
/// sandbox's request log by an access key of this test's own (an IAM user made here), so tests
/// running alongside do not disturb the count.
@Suite struct IdentityDiscoveryCostTests {
    @Test func iamDiscoveryReadsTheAccountSnapshotOnce() async throws {
        let sandbox = try await Sandbox.shared()
        let stack = "c-\(UUID().uuidString.prefix(8).lowercased())"
        let own = try await sandbox.keyOfItsOwn(user: stack)
        let (client, keyID) = (own.client, own.accessKeyID)

        func context() -> ProviderContext { ProviderContext(client: client, stack: stack, region: Sandbox.region) }
        func provider(_ type: String) throws -> any ResourceProvider { try #require(ProviderRegistry.provider(for: type)) }
        func desired(_ type: String, _ name: String, _ attributes: [String: Value]) -> DesiredResource {
            let address = ResourceAddress(module: nil, type: type, name: name)
            return DesiredResource(
                address: address, type: type, attributes: attributes,
                tags: [ProviderContext.stackTag: stack, ProviderContext.addressTag: address.canonical], idempotencyToken: "\(stack)-\(name)"
            )
        }

        // Three roles, each with a policy of its own attached, an inline policy, and a profile.
        let trust = trustPolicy("ec2.amazonaws.com")
        var created: [LiveResource] = []
        for index in 0..<3 {
            let role = try await provider("aws_iam_role").create(
                desired("aws_iam_role", "r\(index)", ["name": .string("\(stack)-r\(index)"), "assume_role_policy": trust]), context())
            let policy = try await provider("aws_iam_policy").create(
                desired("aws_iam_policy", "p\(index)", ["name": .string("\(stack)-p\(index)"), "policy": allowPolicy(["s3:GetObject"])]),
                context())
            let attachment = try await provider("aws_iam_role_policy_attachment").create(
                desired("aws_iam_role_policy_attachment", "a\(index)", ["role": .string(role.id), "policy_arn": .string(policy.id)]),
                context())
            let inline = try await provider("aws_iam_role_policy").create(
                desired(
                    "aws_iam_role_policy", "i\(index)",
                    ["name": .string("inline"), "role": .string(role.id), "policy": allowPolicy(["s3:ListBucket"])]),
                context())
            let profile = try await provider("aws_iam_instance_profile").create(
                desired("aws_iam_instance_profile", "ip\(index)", ["name": .string("\(stack)-ip\(index)"), "role": .string(role.id)]),
                context())
            created += [profile, inline, attachment, policy, role]
        }

        // One plan's discovery: every IAM type at once, sharing one cache.
        let start = try await lastSequence(sandbox)
        let shared = context()
        let types = ["aws_iam_role", "aws_iam_policy", "aws_iam_role_policy_attachment", "aws_iam_role_policy", "aws_iam_instance_profile"]
        let found = try await withThrowingTaskGroup(of: (String, Int).self) { group in
            for type in types {
                let provider = try provider(type)
                group.addTask { (type, try await provider.discover(shared).count) }
            }
            var counts: [String: Int] = [:]
            for try await (type, count) in group { counts[type] = count }
            return counts
        }
        #expect(found == Dictionary(uniqueKeysWithValues: types.map { ($0, 3) }))

        let calls = try await actions(sandbox, after: start, accessKey: keyID)
        #expect(calls["GetAccountAuthorizationDetails"] == 1)
        #expect(calls["ListRoles"] == 1)
        #expect(calls["ListInstanceProfiles"] == 1)
        // No IAM listing returns a policy's tags: one read per policy under the stack's path.
        #expect(calls["ListPolicyTags"] == 3)
        #expect(calls.values.reduce(0, +) == 6, "\(calls)")

        for live in created { try await provider(live.type).delete(live, context()) }
    }

    /// KMS, Logs, SQS and EventBridge have no tag-filtered listing: the tag index names the
    /// stack's keys, groups, queues and rules, so discovery reads those and never the tags of
    /// the region's other resources, however many there are.
    @Test func untaggableListingsReadOnlyTheStacksResources() async throws {
        let sandbox = try await Sandbox.shared()
        let admin = sandbox.client()
        let stack = "c-\(UUID().uuidString.prefix(8).lowercased())"
        let foreignStack = stack + "-other"
        // Two of each owned by the stack, three of each owned by another stack.
        for (index, owner) in ([stack, stack] + Array(repeating: foreignStack, count: 3)).enumerated() {
            let name = "\(stack)-\(index)"
            let address = "aws_sqs_queue.q\(index)"
            let tags = [ProviderContext.stackTag: owner, ProviderContext.addressTag: address]
            _ = try await admin.json(
                .kms, action: "CreateKey",
                body: [
                    "Tags": .array(
                        tags.sorted { $0.key < $1.key }.map {
                            ["TagKey": .string($0.key), "TagValue": .string($0.value)]
                        })
                ])
            _ = try await admin.json(
                .logs, action: "CreateLogGroup",
                body: ["logGroupName": .string("/\(name)"), "tags": .object(tags.mapValues { .string($0) })])
            _ = try await admin.json(
                .sqs, action: "CreateQueue", body: ["QueueName": .string(name), "tags": .object(tags.mapValues { .string($0) })])
            _ = try await admin.json(
                .events, action: "PutRule",
                body: [
                    "Name": .string(name), "ScheduleExpression": "rate(5 minutes)",
                    "Tags": .array(tags.sorted { $0.key < $1.key }.map { ["Key": .string($0.key), "Value": .string($0.value)] }),
                ])
        }

        let own = try await sandbox.keyOfItsOwn(user: stack)
        let (client, keyID) = (own.client, own.accessKeyID)
        let start = try await lastSequence(sandbox)
        let context = ProviderContext(client: client, stack: stack, region: Sandbox.region)
        let types = [
            "aws_kms_key", "aws_kms_alias", "aws_cloudwatch_log_group", "aws_sqs_queue", "aws_sqs_queue_policy",
            "aws_cloudwatch_event_rule", "aws_cloudwatch_event_target",
        ]
        var found: [String: Int] = [:]
        for type in types { found[type] = try await #require(ProviderRegistry.provider(for: type)).discover(context).count }
        #expect(found["aws_kms_key"] == 2 && found["aws_cloudwatch_log_group"] == 2 && found["aws_sqs_queue"] == 2, "\(found)")
        #expect(found["aws_cloudwatch_event_rule"] == 2, "\(found)")

        let calls = try await actions(sandbox, after: start, accessKey: keyID)
        #expect(calls["GetResources"] == 1, "\(calls)")
        for perResourceTagRead in ["ListResourceTags", "ListQueueTags", "ListTagsForResource", "ListKeys", "ListEventBuses"] {
            #expect(calls[perResourceTagRead] == nil, "\(perResourceTagRead): \(calls)")
        }
        // The reads AWS has no batched form of, for the stack's own resources only.
        #expect(calls["DescribeKey"] == 2 && calls["GetQueueAttributes"] == 2 && calls["ListTargetsByRule"] == 2, "\(calls)")
        // And one listing per service for what the index does not carry (a page each here; the
        // shared sandbox's other tests may add pages).
        let listings = ["ListAliases", "DescribeLogGroups", "ListQueues", "ListRules"]
        for listing in listings { #expect((calls[listing] ?? 0) >= 1, "\(listing): \(calls)") }
        let perResource = calls.filter { !listings.contains($0.key) }.values.reduce(0, +)
        let expected = 1 + 2 * 3 + 2 + 2  // the index, three reads per key, attributes per queue, targets per rule
        #expect(perResource == expected, "\(calls)")
    }

    /// The highest sequence number in the request log so far.
    private func lastSequence(_ sandbox: Sandbox) async throws -> Int {
        try await log(sandbox, query: "").compactMap { $0["seq"] as? Int }.max() ?? 0
    }

    /// Actions (with counts) signed with `accessKey` after sequence `start`.
    private func actions(_ sandbox: Sandbox, after start: Int, accessKey: String) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for entry in try await log(sandbox, query: "?since=\(start)") {
            guard (entry["seq"] as? Int ?? 0) > start, entry["access_key_id"] as? String == accessKey,
                let action = entry["action"] as? String
            else { continue }
            counts[action, default: 0] += 1
        }
        return counts
    }

    private func log(_ sandbox: Sandbox, query: String) async throws -> [[String: Any]] {
        let url = try #require(URL(string: sandbox.url.absoluteString + "/_sandbox/requests" + query))
        let response = try await CurlTransport().send(HTTPRequest(method: "GET", url: url, timeout: .seconds(30)))
        let json = try JSONSerialization.jsonObject(with: response.body)
        if let object = json as? [String: Any], let requests = object["requests"] as? [[String: Any]] { return requests }
        return json as? [[String: Any]] ?? []
    }
}
