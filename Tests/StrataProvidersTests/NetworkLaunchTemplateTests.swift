import AWSClient
import Foundation
import StrataTestSupport
import Testing

@testable import StrataProviders

/// Launch templates: data written and read back field by field, changes as new versions.
@Suite struct NetworkLaunchTemplateTests {
    /// The node template of modules/eks, with literal values.
    static func nodeTemplate(_ h: NetworkHarness, group: String, size: Int) -> DesiredResource {
        h.desired(
            "aws_launch_template", "nodes",
            [
                "name": .string("\(h.stack)-nodes"),
                "description": .string("Node pool nodes"),
                "update_default_version": .bool(true),
                "vpc_security_group_ids": .list([.string(group)]),
                "block_device_mappings": .list([
                    .map([
                        "device_name": .string("/dev/xvda"),
                        "ebs": .map([
                            "volume_size": .int(size), "volume_type": .string("gp3"), "encrypted": .bool(true),
                            "delete_on_termination": .bool(true),
                        ]),
                    ])
                ]),
                "metadata_options": .map([
                    "http_endpoint": .string("enabled"), "http_tokens": .string("required"), "http_put_response_hop_limit": .int(2),
                ]),
                "monitoring": .map(["enabled": .bool(true)]),
                "tag_specifications": .list([
                    .map(["resource_type": .string("instance"), "tags": .map(["Name": .string("node")])]),
                    .map(["resource_type": .string("volume"), "tags": .map(["Name": .string("node")])]),
                ]),
                "tags": .map(["team": .string("platform")]),
            ])
    }

    @Test func launchTemplateVersionsAndDefault() async throws {
        let h = try await NetworkHarness.make()
        let vpc = try await h.create(h.desired("aws_vpc", "v", ["cidr_block": .string("10.95.0.0/16")]))
        let group = try await h.create(h.desired("aws_security_group", "nodes", ["vpc_id": .string(vpc.id)]))
        let desired = Self.nodeTemplate(h, group: group.id, size: 50)
        let created = try await h.create(desired)
        #expect(created.id.hasPrefix("lt-"))
        #expect(created.attributes["latest_version"] == .int(1))
        #expect(
            try await h.rawTags(created.id) == ["team": "platform", "strata:stack": h.stack, "strata:address": "aws_launch_template.nodes"])
        let found = try #require(try await h.discovered(desired))
        #expect(try h.differences(desired, found) == [])

        // The same create again (a crashed apply re-run) answers with the same template.
        #expect(try await h.create(desired).id == created.id)
        #expect(try await h.discover("aws_launch_template").count == 1)

        // A bigger disk is a new version, made the default.
        let bigger = Self.nodeTemplate(h, group: group.id, size: 80)
        #expect(try h.differences(bigger, found) == ["block_device_mappings"])
        let updated = try await h.provider("aws_launch_template").update(found, to: bigger, changed: ["block_device_mappings"], h.context)
        #expect(updated.attributes["latest_version"] == .int(2))
        #expect(updated.attributes["default_version"] == .int(2))
        #expect(try h.differences(bigger, try #require(try await h.discovered(bigger))) == [])

        // Someone sets the default back to version 1 by hand: it reads back as such; a stack
        // that pins the default shows exactly that update, which moves it back.
        _ = try await h.client.query(
            .ec2, action: "ModifyLaunchTemplate",
            parameters: [(name: "LaunchTemplateId", value: created.id), (name: "SetDefaultVersion", value: "1")])
        let drifted = try #require(try await h.discovered(bigger))
        #expect(drifted.attributes["default_version"] == .int(1))
        var pinned = bigger
        pinned.attributes["default_version"] = .int(2)
        #expect(try h.differences(pinned, drifted) == ["default_version"])
        let repinned = try await h.provider("aws_launch_template").update(drifted, to: pinned, changed: ["default_version"], h.context)
        #expect(repinned.attributes["default_version"] == .int(2))
        #expect(try h.differences(pinned, repinned) == [])

        try await h.deleteAndConfirm(drifted, bigger)
        try await h.provider("aws_security_group").delete(group, h.context)
        try await h.provider("aws_vpc").delete(vpc, h.context)
    }
}
