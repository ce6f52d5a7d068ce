import AWSClient
import Foundation
import StrataCompiler
import StrataModel
import StrataPlanner
import StrataProviders
import StrataTestSupport
import Testing

/// What the identity and messaging providers create must read back as "no changes", and an
/// out-of-band change must show as exactly that attribute's update (or replace).
@Suite("IAM, KMS, Logs, SQS and EventBridge diffs against the sandbox")
struct IdentityDiffTests {
    struct Setup {
        let client: AWSClient
        let stack: String

        static func make() async throws -> Setup {
            Setup(client: try await Sandbox.shared().client(), stack: "i-\(UUID().uuidString.prefix(8).lowercased())")
        }

        var context: ProviderContext {
            ProviderContext(client: client, stack: stack, region: Sandbox.region, waits: WaitPolicy(interval: .milliseconds(50)))
        }

        /// The desired resource as the compiler and planner build it: `tags_all` with the stack's
        /// and ownership tags for taggable types.
        func desired(_ type: String, _ name: String, _ attributes: [String: Value]) -> DesiredResource {
            let address = ResourceAddress(module: nil, type: type, name: name)
            var attributes = attributes
            var tags = ["env": "test"].merging(attributes["tags"]?.stringMap ?? [:]) { _, own in own }
            tags[ProviderContext.stackTag] = stack
            tags[ProviderContext.addressTag] = address.canonical
            let taggable = ResourceCatalog.schema(for: type)?.taggable ?? false
            if taggable { attributes["tags_all"] = .map(tags.mapValues(Value.string)) }
            return DesiredResource(
                address: address, type: type, attributes: attributes, tags: taggable ? tags : [:], idempotencyToken: "\(stack)-\(name)")
        }

        func provider(_ type: String) throws -> any ResourceProvider {
            try #require(ProviderRegistry.provider(for: type))
        }

        func create(_ desired: DesiredResource) async throws -> LiveResource {
            try await provider(desired.type).create(desired, context)
        }

        /// Discovery with a fresh cache (a new plan) and the diff of the one match.
        func diff(_ desired: DesiredResource) async throws -> DiffResult {
            let provider = try provider(desired.type)
            let live = try await provider.discover(context)
            let match = try #require(
                live.first { $0.address == desired.address }
                    ?? provider.identity(of: desired.attributes).flatMap { id in live.first { $0.identity == id } },
                "\(desired.address) not discovered")
            let schema = try #require(ResourceCatalog.schema(for: desired.type))
            return Differ.diff(desired: desired.attributes, live: match, schema: schema)
        }

        func delete(_ live: LiveResource) async throws {
            try await provider(live.type).delete(live, context)
        }
    }

    static func document(_ statement: [String: Value]) -> Value {
        .map(["Version": .string("2012-10-17"), "Statement": .list([.map(statement)])])
    }

    static let trust = document([
        "Effect": .string("Allow"), "Principal": .map(["Service": .string("ec2.amazonaws.com")]), "Action": .string("sts:AssumeRole"),
    ])
    static let read = document([
        "Effect": .string("Allow"), "Action": .list([.string("ec2:DescribeVpcs"), .string("ec2:DescribeSubnets")]),
        "Resource": .string("*"),
    ])

    @Test func iamRolePolicyAttachmentAndProfileReadBackUnchanged() async throws {
        let s = try await Setup.make()
        // As the iam-role module writes them (the demo stack's role).
        let role = s.desired(
            "aws_iam_role", "role",
            [
                "name": .string("\(s.stack)-inventory"), "description": .string("Reads the inventory"), "max_session_duration": .int(3600),
                "assume_role_policy": Self.trust,
            ])
        let policy = s.desired(
            "aws_iam_policy", "policy",
            ["name": .string("\(s.stack)-inventory"), "description": .string("Permissions of the role"), "policy": Self.read])
        let liveRole = try await s.create(role)
        let livePolicy = try await s.create(policy)
        let attachment = s.desired(
            "aws_iam_role_policy_attachment", "attach", ["role": .string(liveRole.id), "policy_arn": .string(livePolicy.id)])
        let inline = s.desired(
            "aws_iam_role_policy", "inline", ["name": .string("extra"), "role": .string(liveRole.id), "policy": Self.read])
        let profile = s.desired("aws_iam_instance_profile", "profile", ["name": .string("\(s.stack)-node"), "role": .string(liveRole.id)])
        let liveAttachment = try await s.create(attachment)
        let liveInline = try await s.create(inline)
        let liveProfile = try await s.create(profile)

        for desired in [role, policy, attachment, inline, profile] {
            let diff = try await s.diff(desired)
            #expect(diff.action == .noop, "\(desired.address): \(diff.changed)")
        }

        // Out of band: the session duration, a tag, and a new policy version.
        // The description goes along: moto's UpdateRole clears an omitted one, AWS's keeps it.
        _ = try await s.client.query(
            .iam, action: "UpdateRole",
            parameters: [
                (name: "RoleName", value: liveRole.id), (name: "MaxSessionDuration", value: "7200"),
                (name: "Description", value: "Reads the inventory"),
            ])
        var diff = try await s.diff(role)
        #expect(diff.action == .update)
        #expect(diff.changed == ["max_session_duration"])
        _ = try await s.client.query(
            .iam, action: "TagRole",
            parameters: [
                (name: "RoleName", value: liveRole.id), (name: "Tags.member.1.Key", value: "intruder"),
                (name: "Tags.member.1.Value", value: "yes"),
            ])
        diff = try await s.diff(role)
        #expect(diff.changed == ["max_session_duration", "tags", "tags_all"])

        let other = Self.document(["Effect": .string("Allow"), "Action": .string("s3:*"), "Resource": .string("*")])
        _ = try await s.client.query(
            .iam, action: "CreatePolicyVersion",
            parameters: [
                (name: "PolicyArn", value: livePolicy.id),
                (name: "PolicyDocument", value: String(decoding: (other.wireJSON ?? .null).encoded(), as: UTF8.self)),
                (name: "SetAsDefault", value: "true"),
            ])
        diff = try await s.diff(policy)
        #expect(diff.action == .update)
        #expect(diff.changed == ["policy"])

        // A policy's description is fixed at creation: changing it replaces the policy.
        var renamed = policy
        renamed.attributes["description"] = .string("Other words")
        renamed.attributes["policy"] = other
        diff = try await s.diff(renamed)
        #expect(diff.action == .replace)
        #expect(diff.replaceBecause == ["description"])

        for live in [liveProfile, liveInline, liveAttachment, livePolicy, liveRole] { try await s.delete(live) }
    }

    @Test func openIDConnectProviderReadsBackUnchanged() async throws {
        let s = try await Setup.make()
        let oidc = s.desired(
            "aws_iam_openid_connect_provider", "oidc",
            [
                "url": .string("https://oidc.eks.us-east-1.amazonaws.com/id/\(s.stack.uppercased())"),
                "client_id_list": .list([.string("sts.amazonaws.com")]),
            ])
        let live = try await s.create(oidc)
        #expect(try await s.diff(oidc).action == .noop)
        _ = try await s.client.query(
            .iam, action: "UpdateOpenIDConnectProviderThumbprint",
            parameters: [
                (name: "OpenIDConnectProviderArn", value: live.id),
                (name: "ThumbprintList.member.1", value: String(repeating: "c", count: 40)),
            ])
        // thumbprint_list is optional-computed: what IAM fills in is not drift...
        #expect(try await s.diff(oidc).action == .noop)
        // ...but a stack that pins thumbprints sees the change.
        var pinned = oidc
        pinned.attributes["thumbprint_list"] = .list([.string(String(repeating: "d", count: 40))])
        let diff = try await s.diff(pinned)
        #expect(diff.action == .update)
        #expect(diff.changed == ["thumbprint_list"])
        try await s.delete(live)
    }

    @Test func kmsKeyAndAliasReadBackUnchanged() async throws {
        let s = try await Setup.make()
        // As the eks module writes them.
        let key = s.desired(
            "aws_kms_key", "secrets",
            ["description": .string("Envelope encryption of \(s.stack)'s secrets"), "enable_key_rotation": .bool(true)])
        let liveKey = try await s.create(key)
        let alias = s.desired("aws_kms_alias", "secrets", ["name": .string("alias/eks/\(s.stack)"), "target_key_id": .string(liveKey.id)])
        let liveAlias = try await s.create(alias)
        #expect(try await s.diff(key).action == .noop)
        #expect(try await s.diff(alias).action == .noop)

        _ = try await s.client.json(.kms, action: "DisableKeyRotation", body: ["KeyId": .string(liveKey.id)])
        let diff = try await s.diff(key)
        #expect(diff.action == .update)
        #expect(diff.changed == ["enable_key_rotation"])

        try await s.delete(liveAlias)
        try await s.delete(liveKey)
    }

    @Test func logGroupReadsBackUnchanged() async throws {
        let s = try await Setup.make()
        let group = s.desired(
            "aws_cloudwatch_log_group", "logs", ["name": .string("/aws/eks/\(s.stack)/cluster"), "retention_in_days": .int(90)])
        let live = try await s.create(group)
        #expect(try await s.diff(group).action == .noop)
        _ = try await s.client.json(.logs, action: "PutRetentionPolicy", body: ["logGroupName": .string(live.id), "retentionInDays": 14])
        let diff = try await s.diff(group)
        #expect(diff.action == .update)
        #expect(diff.changed == ["retention_in_days"])
        try await s.delete(live)
    }

    @Test func queueAndQueuePolicyReadBackUnchanged() async throws {
        let s = try await Setup.make()
        // As the karpenter module writes them.
        let queue = s.desired(
            "aws_sqs_queue", "interruptions",
            ["name": .string("\(s.stack)-karpenter"), "message_retention_seconds": .int(300), "sqs_managed_sse_enabled": .bool(true)])
        let liveQueue = try await s.create(queue)
        let arn = try #require(liveQueue.attributes["arn"]?.stringValue)
        let policy = s.desired(
            "aws_sqs_queue_policy", "interruptions",
            [
                "queue_url": .string(liveQueue.id),
                "policy": Self.document([
                    "Sid": .string("EventBridge"), "Effect": .string("Allow"),
                    "Principal": .map(["Service": .list([.string("events.amazonaws.com"), .string("sqs.amazonaws.com")])]),
                    "Action": .string("sqs:SendMessage"), "Resource": .string(arn),
                ]),
            ])
        let livePolicy = try await s.create(policy)
        let queueDiff = try await s.diff(queue)
        #expect(queueDiff.action == .noop, "\(queueDiff.changed)")
        #expect(try await s.diff(policy).action == .noop)

        _ = try await s.client.json(
            .sqs, action: "SetQueueAttributes", body: ["QueueUrl": .string(liveQueue.id), "Attributes": ["VisibilityTimeout": "45"]])
        let diff = try await s.diff(queue)
        #expect(diff.action == .update)
        #expect(diff.changed == ["visibility_timeout_seconds"])

        try await s.delete(livePolicy)
        try await s.delete(liveQueue)
    }

    @Test func eventRuleAndTargetReadBackUnchanged() async throws {
        let s = try await Setup.make()
        let queue = try await s.create(s.desired("aws_sqs_queue", "q", ["name": .string("\(s.stack)-q")]))
        let queueARN = try #require(queue.attributes["arn"]?.stringValue)
        let rule = s.desired(
            "aws_cloudwatch_event_rule", "spot",
            [
                "name": .string("\(s.stack)-spot"), "description": .string("Karpenter interruption handling"),
                "event_pattern": .map([
                    "source": .list([.string("aws.ec2")]), "detail-type": .list([.string("EC2 Spot Instance Interruption Warning")]),
                ]),
            ])
        let liveRule = try await s.create(rule)
        let target = s.desired(
            "aws_cloudwatch_event_target", "spot",
            ["rule": .string("\(s.stack)-spot"), "target_id": .string("KarpenterInterruptionQueue"), "arn": .string(queueARN)])
        let liveTarget = try await s.create(target)
        #expect(try await s.diff(rule).action == .noop)
        #expect(try await s.diff(target).action == .noop)

        _ = try await s.client.json(
            .events, action: "PutRule",
            body: [
                "Name": .string("\(s.stack)-spot"), "EventPattern": "{\"source\":[\"aws.health\"]}",
                "Description": "Karpenter interruption handling",
            ])
        let diff = try await s.diff(rule)
        #expect(diff.action == .update)
        #expect(diff.changed == ["event_pattern"])

        try await s.delete(liveTarget)
        try await s.delete(liveRule)
        try await s.delete(queue)
    }
}
