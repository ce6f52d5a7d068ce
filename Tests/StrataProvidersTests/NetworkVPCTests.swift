import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

@testable import StrataProviders

/// aws_vpc and aws_subnet against the sandbox: created with their tags, found again by tag,
/// equal to what the stack asked for, out-of-band changes seen as exactly that attribute, gone
/// after delete.
@Suite struct NetworkVPCTests {
    @Test func vpcLifecycle() async throws {
        let h = try await NetworkHarness.make()
        let desired = h.desired(
            "aws_vpc", "main",
            [
                "cidr_block": .string("10.60.0.0/16"),
                "enable_dns_hostnames": .bool(true),
                "tags": .map(["Name": .string("main")]),
            ])
        let created = try await h.create(desired)
        #expect(created.id.hasPrefix("vpc-"))
        #expect(try h.differences(desired, created) == [])

        // The tags are in EC2 itself, ownership tags included.
        let tags = try await h.rawTags(created.id)
        #expect(tags == ["Name": "main", "strata:stack": h.stack, "strata:address": "aws_vpc.main"])

        // Discovery finds it by tag and the plan would say no changes.
        let found = try #require(try await h.discovered(desired))
        #expect(found.id == created.id)
        #expect(found.address == desired.address)
        #expect(try h.differences(desired, found) == [])
        #expect(found.attributes.string("default_security_group_id")?.hasPrefix("sg-") == true)
        #expect(found.attributes.string("main_route_table_id")?.hasPrefix("rtb-") == true)
        #expect(found.attributes["enable_dns_support"] == .bool(true))

        // Someone turns DNS hostnames off by hand: exactly that attribute differs.
        _ = try await h.client.query(
            .ec2, action: "ModifyVpcAttribute",
            parameters: [(name: "VpcId", value: created.id), (name: "EnableDnsHostnames.Value", value: "false")])
        let drifted = try #require(try await h.discovered(desired))
        #expect(try h.differences(desired, drifted) == ["enable_dns_hostnames"])

        // Update brings it back, tags included.
        var retagged = desired
        retagged.attributes["tags"] = .map(["Name": .string("renamed"), "team": .string("net")])
        retagged.tags["Name"] = "renamed"
        retagged.tags["team"] = "net"
        let updated = try await h.provider("aws_vpc").update(
            drifted, to: retagged, changed: ["enable_dns_hostnames", "tags", "tags_all"], h.context)
        #expect(try h.differences(retagged, updated) == [])
        #expect(try h.differences(retagged, try #require(try await h.discovered(retagged))) == [])
        #expect(try await h.rawTags(created.id)["Name"] == "renamed")

        try await h.deleteAndConfirm(updated, desired)
    }

    @Test func subnetLifecycle() async throws {
        let h = try await NetworkHarness.make()
        let vpc = try await h.create(h.desired("aws_vpc", "net", ["cidr_block": .string("10.61.0.0/16")]))
        let desired = h.desired(
            "aws_subnet", "public",
            [
                "vpc_id": .string(vpc.id),
                "cidr_block": .string("10.61.1.0/24"),
                "availability_zone": .string("us-east-1a"),
                "map_public_ip_on_launch": .bool(true),
                "tags": .map(["Name": .string("public-a"), "kubernetes.io/role/elb": .string("1")]),
            ])
        let created = try await h.create(desired)
        #expect(created.id.hasPrefix("subnet-"))
        #expect(try h.differences(desired, created) == [])
        #expect(
            try await h.rawTags(created.id) == [
                "Name": "public-a", "kubernetes.io/role/elb": "1", "strata:stack": h.stack, "strata:address": "aws_subnet.public",
            ])

        let found = try #require(try await h.discovered(desired))
        #expect(found.id == created.id)
        #expect(try h.differences(desired, found) == [])
        #expect(found.attributes.string("availability_zone_id") != nil)

        // Out of band: public IPs off, and a tag added by hand.
        _ = try await h.client.query(
            .ec2, action: "ModifySubnetAttribute",
            parameters: [(name: "SubnetId", value: created.id), (name: "MapPublicIpOnLaunch.Value", value: "false")])
        let drifted = try #require(try await h.discovered(desired))
        #expect(try h.differences(desired, drifted) == ["map_public_ip_on_launch"])
        _ = try await h.client.query(
            .ec2, action: "CreateTags",
            parameters: [
                (name: "ResourceId.1", value: created.id), (name: "Tag.1.Key", value: "owner"), (name: "Tag.1.Value", value: "someone"),
            ])
        let tagged = try #require(try await h.discovered(desired))
        #expect(try h.differences(desired, tagged) == ["map_public_ip_on_launch", "tags", "tags_all"])

        let updated = try await h.provider("aws_subnet").update(
            tagged, to: desired, changed: ["map_public_ip_on_launch", "tags", "tags_all"], h.context)
        #expect(try h.differences(desired, updated) == [])
        #expect(try await h.rawTags(created.id)["owner"] == nil)

        // The VPC cannot go while its subnet is there: that is the AWS error, unchanged.
        let error = try await #require(throws: AWSError.self) {
            try await h.provider("aws_vpc").delete(vpc, h.context)
        }
        #expect(error.isDependencyViolation)

        try await h.deleteAndConfirm(updated, desired)
        try await h.provider("aws_vpc").delete(vpc, h.context)
    }

    @Test func vpcGainsAndLosesAnAmazonIPv6Block() async throws {
        let h = try await NetworkHarness.make()
        let desired = h.desired("aws_vpc", "v6", ["cidr_block": .string("10.62.0.0/16")])
        let created = try await h.create(desired)
        #expect(created.attributes["ipv6_cidr_block"] == .null)
        var dual = desired
        dual.attributes["assign_generated_ipv6_cidr_block"] = .bool(true)
        #expect(try h.differences(dual, created) == ["assign_generated_ipv6_cidr_block"])
        let updated = try await h.provider("aws_vpc").update(created, to: dual, changed: ["assign_generated_ipv6_cidr_block"], h.context)
        #expect(updated.attributes.string("ipv6_cidr_block")?.contains(":") == true)
        #expect(try h.differences(dual, try #require(try await h.discovered(dual))) == [])

        let back = try await h.provider("aws_vpc").update(updated, to: desired, changed: ["assign_generated_ipv6_cidr_block"], h.context)
        #expect(try h.differences(desired, back) == [])
        try await h.deleteAndConfirm(back, desired)
    }
}
