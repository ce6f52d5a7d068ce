import AWSClient
import Foundation
import StrataModel
import StrataProviders
import StrataTestSupport
import Testing

/// aws_iam_role_policy, aws_iam_instance_profile and aws_iam_openid_connect_provider against
/// the sandbox.
@Suite struct IdentityIAMProfileTests {
    private func role(_ f: IdentityFixture, _ name: String) async throws -> LiveResource {
        try await f.provider("aws_iam_role").create(
            f.desired(
                "aws_iam_role", name, ["name": .string("\(f.stack)-\(name)"), "assume_role_policy": trustPolicy("ec2.amazonaws.com")]),
            f.context)
    }

    @Test func inlineRolePolicy() async throws {
        let f = try await IdentityFixture()
        let inline = try f.provider("aws_iam_role_policy")
        let role = try await role(f, "cluster")
        let desired = f.desired(
            "aws_iam_role_policy", "encrypt",
            ["name": .string("encrypt-secrets"), "role": .string(role.id), "policy": allowPolicy(["kms:Encrypt"])])
        let created = try await inline.create(desired, f.context)
        let identity = try #require(inline.identity(of: desired.attributes))
        #expect(created.identity == identity)

        let raw = try await f.client.query(
            .iam, action: "GetRolePolicy", parameters: [(name: "RoleName", value: role.id), (name: "PolicyName", value: "encrypt-secrets")])
        #expect(raw.first(named: "PolicyName")?.text == "encrypt-secrets")

        let live = try #require(try await f.discovered("aws_iam_role_policy", identity: identity))
        #expect(live.attributes["policy"] == .string(canonicalJSON(allowPolicy(["kms:Encrypt"]))))

        var next = desired
        next.attributes["policy"] = allowPolicy(["kms:Encrypt", "kms:Decrypt"])
        _ = try await inline.update(live, to: next, changed: ["policy"], f.context)
        let updated = try #require(try await f.discovered("aws_iam_role_policy", identity: identity))
        #expect(updated.attributes["policy"] == .string(canonicalJSON(allowPolicy(["kms:Encrypt", "kms:Decrypt"]))))

        for _ in 0..<2 { try await inline.delete(updated, f.context) }
        #expect(try await f.discovered("aws_iam_role_policy", identity: identity) == nil)
        try await f.provider("aws_iam_role").delete(role, f.context)
    }

    @Test func instanceProfileWithRole() async throws {
        let f = try await IdentityFixture()
        let profiles = try f.provider("aws_iam_instance_profile")
        let first = try await role(f, "node")
        let second = try await role(f, "node2")
        let desired = f.desired("aws_iam_instance_profile", "node", ["name": .string("\(f.stack)-node"), "role": .string(first.id)])
        let created = try await profiles.create(desired, f.context)
        #expect(created.attributes["role"] == .string(first.id))

        let raw = try await f.client.query(
            .iam, action: "GetInstanceProfile", parameters: [(name: "InstanceProfileName", value: created.id)]
        )
        .first(named: "InstanceProfile")
        #expect(raw?.child("Path")?.text == "/strata/\(f.stack)/")
        #expect(iamTags(raw)["strata:address"] == "aws_iam_instance_profile.node")
        #expect(raw?.child("Roles")?.items.first?.child("RoleName")?.text == first.id)

        let live = try #require(try await f.discovered("aws_iam_instance_profile", desired.address))
        #expect(live.attributes["role"] == .string(first.id))
        #expect(live.attributes["path"] == .string("/"))

        // Swapping the role is an update: remove, then add.
        var next = desired
        next.attributes["role"] = .string(second.id)
        let moved = try await profiles.update(live, to: next, changed: ["role"], f.context)
        #expect(moved.attributes["role"] == .string(second.id))

        // A crashed run's profile is adopted.
        let again = try await profiles.create(next, f.context)
        #expect(again.id == created.id)

        for _ in 0..<2 { try await profiles.delete(moved, f.context) }
        #expect(try await f.discovered("aws_iam_instance_profile", desired.address) == nil)
        // With the profile gone the roles delete without DeleteConflict.
        try await f.provider("aws_iam_role").delete(first, f.context)
        try await f.provider("aws_iam_role").delete(second, f.context)
    }

    @Test func instanceProfileWithoutRoleIsDiscoveredToo() async throws {
        let f = try await IdentityFixture()
        let profiles = try f.provider("aws_iam_instance_profile")
        let desired = f.desired("aws_iam_instance_profile", "empty", ["name": .string("\(f.stack)-empty")])
        let created = try await profiles.create(desired, f.context)
        let live = try #require(try await f.discovered("aws_iam_instance_profile", desired.address))
        #expect(live.id == created.id)
        #expect(live.attributes["role"] == nil)
        try await profiles.delete(live, f.context)
    }

    @Test func openIDConnectProvider() async throws {
        let f = try await IdentityFixture()
        let providers = try f.provider("aws_iam_openid_connect_provider")
        let url = "https://oidc.eks.us-east-1.amazonaws.com/id/\(f.stack.uppercased())"
        let desired = f.desired(
            "aws_iam_openid_connect_provider", "oidc",
            [
                "url": .string(url), "client_id_list": .list([.string("sts.amazonaws.com")]),
                "thumbprint_list": .list([.string(String(repeating: "a", count: 40))]),
            ])
        let created = try await providers.create(desired, f.context)
        #expect(created.attributes["url"] == .string(url))
        #expect(created.id.contains("oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/"))

        let raw = try await f.client.query(
            .iam, action: "GetOpenIDConnectProvider", parameters: [(name: "OpenIDConnectProviderArn", value: created.id)])
        #expect(iamTags(raw.first(named: "GetOpenIDConnectProviderResult"))["strata:stack"] == f.stack)

        let live = try #require(try await f.discovered("aws_iam_openid_connect_provider", desired.address))
        #expect(live.attributes["client_id_list"] == .list([.string("sts.amazonaws.com")]))

        var next = desired
        next.attributes["thumbprint_list"] = .list([.string(String(repeating: "b", count: 40))])
        next.tags["team"] = "platform"
        let updated = try await providers.update(live, to: next, changed: ["thumbprint_list", "tags"], f.context)
        #expect(updated.attributes["thumbprint_list"] == .list([.string(String(repeating: "b", count: 40))]))
        #expect(updated.attributes["tags"] == .map(["team": .string("platform")]))

        // Created twice (a crashed run): adopted.
        let again = try await providers.create(desired, f.context)
        #expect(again.id == created.id)

        for _ in 0..<2 { try await providers.delete(updated, f.context) }
        #expect(try await f.discovered("aws_iam_openid_connect_provider", desired.address) == nil)
    }
}
