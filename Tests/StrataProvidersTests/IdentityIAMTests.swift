import AWSClient
import Foundation
import StrataProviders
import StrataTestSupport
import Testing

/// aws_iam_role, aws_iam_policy and aws_iam_role_policy_attachment against the sandbox: created
/// with ownership tags under the stack's path, discovered, changed in place, deleted.
@Suite struct IdentityIAMTests {
    @Test func roleCreateDiscoverUpdateDelete() async throws {
        let f = try await IdentityFixture()
        let roles = try f.provider("aws_iam_role")
        let name = "\(f.stack)-app"
        let desired = f.desired(
            "aws_iam_role", "app",
            [
                "name": .string(name), "assume_role_policy": trustPolicy("ec2.amazonaws.com"),
                "description": .string("the app"), "tags": .map(["team": .string("platform")]),
            ])
        let created = try await roles.create(desired, f.context)
        #expect(created.id == name)
        #expect(created.address == desired.address)
        #expect(created.attributes["path"] == .string("/"))

        // In IAM: under the stack's path, with the ownership tags.
        let raw = try await f.client.query(.iam, action: "GetRole", parameters: [(name: "RoleName", value: name)]).first(named: "Role")
        #expect(raw?.child("Path")?.text == "/strata/\(f.stack)/")
        let tags = iamTags(raw)
        #expect(tags["strata:stack"] == f.stack)
        #expect(tags["strata:address"] == "aws_iam_role.app")
        #expect(tags["team"] == "platform")

        // Discovered by path and tag, as the plan reads it.
        let live = try #require(try await f.discovered("aws_iam_role", desired.address))
        #expect(live.id == name)
        #expect(live.attributes["assume_role_policy"] == .string(canonicalJSON(trustPolicy("ec2.amazonaws.com"))))
        #expect(live.attributes["description"] == .string("the app"))
        #expect(live.attributes["max_session_duration"] == .int(3600))
        #expect(live.attributes["tags"] == .map(["team": .string("platform")]))
        #expect(live.attributes["arn"]?.stringValue?.hasSuffix(":role/strata/\(f.stack)/\(name)") == true)

        // In place: trust policy, description, session duration, tags.
        var next = desired
        next.attributes["assume_role_policy"] = trustPolicy("lambda.amazonaws.com")
        next.attributes["description"] = .string("the app, v2")
        next.attributes["max_session_duration"] = .int(7200)
        next.tags["team"] = nil
        next.tags["owner"] = "ops"
        let updated = try await roles.update(
            live, to: next, changed: ["assume_role_policy", "description", "max_session_duration", "tags"], f.context)
        #expect(updated.attributes["assume_role_policy"] == .string(canonicalJSON(trustPolicy("lambda.amazonaws.com"))))
        let rediscovered = try #require(try await f.discovered("aws_iam_role", desired.address))
        #expect(rediscovered.attributes["description"] == .string("the app, v2"))
        #expect(rediscovered.attributes["max_session_duration"] == .int(7200))
        #expect(rediscovered.attributes["tags"] == .map(["owner": .string("ops")]))
        #expect(rediscovered.attributes["assume_role_policy"] == updated.attributes["assume_role_policy"])

        try await roles.delete(rediscovered, f.context)
        let gone = try await #require(throws: AWSError.self) {
            try await f.client.query(.iam, action: "GetRole", parameters: [(name: "RoleName", value: name)])
        }
        #expect(gone.isNotFound)
        #expect(try await f.discovered("aws_iam_role", desired.address) == nil)
        // Deleting what is gone succeeds.
        try await roles.delete(rediscovered, f.context)
    }

    @Test func policyAndAttachmentEndToEnd() async throws {
        let f = try await IdentityFixture()
        let roles = try f.provider("aws_iam_role")
        let policies = try f.provider("aws_iam_policy")
        let attachments = try f.provider("aws_iam_role_policy_attachment")
        let role = try await roles.create(
            f.desired(
                "aws_iam_role", "node", ["name": .string("\(f.stack)-node"), "assume_role_policy": trustPolicy("ec2.amazonaws.com")]),
            f.context)
        let policyDesired = f.desired(
            "aws_iam_policy", "read",
            [
                "name": .string("\(f.stack)-read"), "description": .string("Reads the inventory"),
                "policy": allowPolicy(["ec2:DescribeVpcs"]),
            ])
        let policy = try await policies.create(policyDesired, f.context)
        #expect(policy.attributes["arn"]?.stringValue?.hasSuffix(":policy/strata/\(f.stack)/\(f.stack)-read") == true)
        #expect(policy.attributes["policy"] == .string(canonicalJSON(allowPolicy(["ec2:DescribeVpcs"]))))
        let rawPolicy = try await f.client.query(.iam, action: "GetPolicy", parameters: [(name: "PolicyArn", value: policy.id)])
            .first(named: "Policy")
        #expect(rawPolicy?.child("Path")?.text == "/strata/\(f.stack)/")
        #expect(iamTags(rawPolicy)["strata:address"] == "aws_iam_policy.read")

        let attachment = f.desired(
            "aws_iam_role_policy_attachment", "read", ["role": .string(role.id), "policy_arn": .string(policy.id)])
        let attached = try await attachments.create(attachment, f.context)
        #expect(attached.identity == attachments.identity(of: attachment.attributes))
        let rawAttached = try await f.client.query(
            .iam, action: "ListAttachedRolePolicies", parameters: [(name: "RoleName", value: role.id)])
        #expect(rawAttached.first(named: "AttachedPolicies")?.items.compactMap { $0.child("PolicyArn")?.text } == [policy.id])

        // Discovery: one snapshot serves all three types.
        let livePolicy = try #require(try await f.discovered("aws_iam_policy", policyDesired.address))
        #expect(livePolicy.attributes["policy"] == policy.attributes["policy"])
        #expect(livePolicy.attributes["description"] == .string("Reads the inventory"))
        #expect(livePolicy.attributes["attachment_count"] == .int(1))
        let identity = try #require(attachments.identity(of: attachment.attributes))
        #expect(try await f.discovered("aws_iam_role_policy_attachment", identity: identity) != nil)

        // A new document is a new default version, also past IAM's five-version limit.
        var current = livePolicy
        for round in 1...6 {
            var next = policyDesired
            next.attributes["policy"] = allowPolicy(["ec2:DescribeVpcs", "ec2:DescribeSubnets\(round)"])
            current = try await policies.update(current, to: next, changed: ["policy"], f.context)
            #expect(current.attributes["policy"] == .string(canonicalJSON(next.attributes["policy"] ?? .null)))
        }
        let versions = try await f.client.query(.iam, action: "ListPolicyVersions", parameters: [(name: "PolicyArn", value: policy.id)])
        #expect((versions.first(named: "Versions")?.items.count ?? 0) <= 5)
        let rediscovered = try #require(try await f.discovered("aws_iam_policy", policyDesired.address))
        #expect(rediscovered.attributes["policy"] == current.attributes["policy"])

        // Deleting the role while the attachment holds it is IAM's DeleteConflict, unchanged.
        let conflict = try await #require(throws: AWSError.self) { try await roles.delete(role, f.context) }
        #expect(conflict.code == "DeleteConflict")
        #expect(conflict.requestID != nil)

        // Teardown in the graph's order; each delete twice (the second finds nothing).
        for _ in 0..<2 { try await attachments.delete(attached, f.context) }
        #expect(try await f.discovered("aws_iam_role_policy_attachment", identity: identity) == nil)
        for _ in 0..<2 { try await policies.delete(rediscovered, f.context) }
        for _ in 0..<2 { try await roles.delete(role, f.context) }
        #expect(try await f.discovered("aws_iam_policy", policyDesired.address) == nil)
    }

    @Test func roleCreatedTwiceIsAdopted() async throws {
        let f = try await IdentityFixture()
        let roles = try f.provider("aws_iam_role")
        let desired = f.desired(
            "aws_iam_role", "crash", ["name": .string("\(f.stack)-crash"), "assume_role_policy": trustPolicy("ec2.amazonaws.com")])
        let first = try await roles.create(desired, f.context)
        // The run crashed before recording anything; the next run creates the same thing again.
        let second = try await roles.create(desired, f.context)
        #expect(second.id == first.id)
        #expect(second.attributes["arn"] == first.attributes["arn"])
        #expect(second.address == desired.address)
        let all = try await roles.discover(f.context)
        #expect(all.filter { $0.address == desired.address }.count == 1)
        try await roles.delete(second, f.context)
    }

    @Test func policyCreatedTwiceIsAdoptedAndAnotherAddressIsRefused() async throws {
        let f = try await IdentityFixture()
        let policies = try f.provider("aws_iam_policy")
        let desired = f.desired("aws_iam_policy", "p", ["name": .string("\(f.stack)-p"), "policy": allowPolicy(["s3:GetObject"])])
        let first = try await policies.create(desired, f.context)
        let second = try await policies.create(desired, f.context)
        #expect(second.id == first.id)
        #expect(second.attributes["policy"] == first.attributes["policy"])
        // The same name wanted by another address of the same stack is not adopted.
        let other = f.desired("aws_iam_policy", "other", desired.attributes)
        let error = try await #require(throws: ProviderError.self) { try await policies.create(other, f.context) }
        #expect("\(error)".contains("aws_iam_policy.p"))
        try await policies.delete(second, f.context)
    }

    @Test func roleWithGeneratedNameIsAdoptedToo() async throws {
        let f = try await IdentityFixture()
        let roles = try f.provider("aws_iam_role")
        let desired = f.desired(
            "aws_iam_role", "unnamed", ["name_prefix": .string("\(f.stack)-"), "assume_role_policy": trustPolicy("ec2.amazonaws.com")])
        let first = try await roles.create(desired, f.context)
        #expect(first.id.hasPrefix("\(f.stack)-"))
        let second = try await roles.create(desired, f.context)
        #expect(second.id == first.id)
        try await roles.delete(second, f.context)
    }

    @Test func aNameTakenBySomeoneElseIsAnErrorNamingIt() async throws {
        let f = try await IdentityFixture()
        let roles = try f.provider("aws_iam_role")
        let name = "\(f.stack)-taken"
        _ = try await f.client.query(
            .iam, action: "CreateRole",
            parameters: [
                (name: "RoleName", value: name),
                (name: "AssumeRolePolicyDocument", value: canonicalJSON(trustPolicy("ec2.amazonaws.com"))),
            ])
        let desired = f.desired("aws_iam_role", "taken", ["name": .string(name), "assume_role_policy": trustPolicy("ec2.amazonaws.com")])
        let error = try await #require(throws: ProviderError.self) { try await roles.create(desired, f.context) }
        #expect("\(error)".contains(name))
        #expect("\(error)".contains("not created by strata"))
        _ = try await f.client.query(.iam, action: "DeleteRole", parameters: [(name: "RoleName", value: name)])
    }

    @Test func anotherStacksRolesAreNotDiscovered() async throws {
        let f = try await IdentityFixture()
        let other = try await IdentityFixture()
        let roles = try f.provider("aws_iam_role")
        let mine = try await roles.create(
            f.desired("aws_iam_role", "a", ["name": .string("\(f.stack)-a"), "assume_role_policy": trustPolicy("ec2.amazonaws.com")]),
            f.context)
        let theirs = try await roles.create(
            other.desired(
                "aws_iam_role", "a", ["name": .string("\(other.stack)-a"), "assume_role_policy": trustPolicy("ec2.amazonaws.com")]),
            other.context)
        let seen = try await roles.discover(f.context).map(\.id)
        #expect(seen == [mine.id])
        try await roles.delete(mine, f.context)
        try await roles.delete(theirs, other.context)
    }
}
