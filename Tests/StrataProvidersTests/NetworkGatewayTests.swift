import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

@testable import StrataProviders

/// Internet gateway, Elastic IP and NAT gateway against the sandbox.
@Suite struct NetworkGatewayTests {
    @Test func internetGatewayAttachesMovesAndDetaches() async throws {
        let h = try await NetworkHarness.make()
        let vpc = try await h.create(h.desired("aws_vpc", "a", ["cidr_block": .string("10.70.0.0/16")]))
        let other = try await h.create(h.desired("aws_vpc", "b", ["cidr_block": .string("10.71.0.0/16")]))
        let desired = h.desired("aws_internet_gateway", "igw", ["vpc_id": .string(vpc.id), "tags": .map(["Name": .string("igw")])])
        let created = try await h.create(desired)
        #expect(created.id.hasPrefix("igw-"))
        #expect(created.attributes["vpc_id"] == .string(vpc.id))
        #expect(try await h.rawTags(created.id) == ["Name": "igw", "strata:stack": h.stack, "strata:address": "aws_internet_gateway.igw"])
        let found = try #require(try await h.discovered(desired))
        #expect(try h.differences(desired, found) == [])

        // Detached by hand: the attachment shows as the `vpc_id` difference.
        _ = try await h.client.query(
            .ec2, action: "DetachInternetGateway",
            parameters: [(name: "InternetGatewayId", value: created.id), (name: "VpcId", value: vpc.id)])
        let drifted = try #require(try await h.discovered(desired))
        #expect(try h.differences(desired, drifted) == ["vpc_id"])

        // Moved to another VPC in place.
        var moved = desired
        moved.attributes["vpc_id"] = .string(other.id)
        let updated = try await h.provider("aws_internet_gateway").update(drifted, to: moved, changed: ["vpc_id"], h.context)
        #expect(updated.attributes["vpc_id"] == .string(other.id))
        #expect(try h.differences(moved, try #require(try await h.discovered(moved))) == [])

        // Delete detaches first; then both VPCs can go.
        try await h.deleteAndConfirm(updated, moved)
        try await h.provider("aws_vpc").delete(vpc, h.context)
        try await h.provider("aws_vpc").delete(other, h.context)
    }

    @Test func elasticIPAllocatesTaggedAndReleases() async throws {
        let h = try await NetworkHarness.make()
        let desired = h.desired("aws_eip", "nat", ["domain": .string("vpc"), "tags": .map(["Name": .string("nat-a")])])
        let created = try await h.create(desired)
        #expect(created.id.hasPrefix("eipalloc-"))
        #expect(created.attributes.string("public_ip") != nil)
        #expect(try await h.rawTags(created.id)["strata:address"] == "aws_eip.nat")
        let found = try #require(try await h.discovered(desired))
        #expect(found.attributes["allocation_id"] == .string(created.id))
        #expect(try h.differences(desired, found) == [])

        // A tag changed by hand is a tags difference, and update puts it back.
        _ = try await h.client.query(
            .ec2, action: "CreateTags",
            parameters: [(name: "ResourceId.1", value: created.id), (name: "Tag.1.Key", value: "Name"), (name: "Tag.1.Value", value: "x")])
        let drifted = try #require(try await h.discovered(desired))
        #expect(try h.differences(desired, drifted) == ["tags", "tags_all"])
        let updated = try await h.provider("aws_eip").update(drifted, to: desired, changed: ["tags", "tags_all"], h.context)
        #expect(try h.differences(desired, updated) == [])

        try await h.deleteAndConfirm(updated, desired)
    }

    @Test func natGatewayWaitsForAvailableAndItsTokenPreventsDuplicates() async throws {
        let h = try await NetworkHarness.make()
        let vpc = try await h.create(h.desired("aws_vpc", "v", ["cidr_block": .string("10.72.0.0/16")]))
        let igw = try await h.create(h.desired("aws_internet_gateway", "g", ["vpc_id": .string(vpc.id)]))
        let subnet = try await h.create(
            h.desired(
                "aws_subnet", "public",
                [
                    "vpc_id": .string(vpc.id), "cidr_block": .string("10.72.1.0/24"), "availability_zone": .string("us-east-1a"),
                ]))
        let eip = try await h.create(h.desired("aws_eip", "ip", ["domain": .string("vpc")]))
        let desired = h.desired(
            "aws_nat_gateway", "nat",
            [
                "subnet_id": .string(subnet.id), "allocation_id": .string(eip.id), "tags": .map(["Name": .string("nat-a")]),
            ])
        let created = try await h.create(desired)
        #expect(created.id.hasPrefix("nat-"))
        #expect(created.attributes["public_ip"] == eip.attributes["public_ip"])
        #expect(try h.differences(desired, created) == [])
        #expect(try await h.rawTags(created.id) == ["Name": "nat-a", "strata:stack": h.stack, "strata:address": "aws_nat_gateway.nat"])

        // The same create again (a crashed apply re-run) answers with the same gateway.
        let again = try await h.create(desired)
        #expect(again.id == created.id)
        let all = try await h.discover("aws_nat_gateway")
        #expect(all.map(\.id) == [created.id])
        #expect(try h.differences(desired, try #require(all.first)) == [])

        // Delete waits until it is gone; then its address and subnet are free.
        try await h.deleteAndConfirm(created, desired)
        try await h.provider("aws_eip").delete(eip, h.context)
        try await h.provider("aws_subnet").delete(subnet, h.context)
        try await h.provider("aws_internet_gateway").delete(igw, h.context)
        try await h.provider("aws_vpc").delete(vpc, h.context)
    }

    /// Discovery decides what a plan deletes, so another stack's gateway must never show up,
    /// even where the describe ignores the tag filter (the sandbox's DescribeNatGateways does).
    @Test func discoveryKeepsToItsOwnStack() async throws {
        let other = try await NetworkHarness.make()
        let vpc = try await other.create(other.desired("aws_vpc", "v", ["cidr_block": .string("10.73.0.0/16")]))
        let igw = try await other.create(other.desired("aws_internet_gateway", "g", ["vpc_id": .string(vpc.id)]))
        let subnet = try await other.create(
            other.desired("aws_subnet", "s", ["vpc_id": .string(vpc.id), "cidr_block": .string("10.73.1.0/24")]))
        let eip = try await other.create(other.desired("aws_eip", "ip", [:]))
        let nat = try await other.create(
            other.desired("aws_nat_gateway", "nat", ["subnet_id": .string(subnet.id), "allocation_id": .string(eip.id)]))

        let mine = try await NetworkHarness.make()
        for type in ["aws_vpc", "aws_internet_gateway", "aws_subnet", "aws_eip", "aws_nat_gateway"] {
            #expect(try await mine.discover(type).isEmpty, "\(type) of another stack discovered")
        }
        #expect(try await other.discover("aws_nat_gateway").map(\.id) == [nat.id])

        try await other.provider("aws_nat_gateway").delete(nat, other.context)
        try await other.provider("aws_eip").delete(eip, other.context)
        try await other.provider("aws_subnet").delete(subnet, other.context)
        try await other.provider("aws_internet_gateway").delete(igw, other.context)
        try await other.provider("aws_vpc").delete(vpc, other.context)
    }
}
