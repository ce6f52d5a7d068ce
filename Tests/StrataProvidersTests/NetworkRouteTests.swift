import AWSClient
import Foundation
import StrataTestSupport
import Testing

@testable import StrataProviders

/// Route tables, routes and associations: one description, three types.
@Suite struct NetworkRouteTests {
    @Test func routeTableRouteAndAssociation() async throws {
        let h = try await NetworkHarness.make()
        let vpc = try await h.create(h.desired("aws_vpc", "v", ["cidr_block": .string("10.80.0.0/16")]))
        let igw = try await h.create(h.desired("aws_internet_gateway", "igw", ["vpc_id": .string(vpc.id)]))
        let igw2 = try await h.create(h.desired("aws_internet_gateway", "spare", [:]))
        let subnet = try await h.create(
            h.desired(
                "aws_subnet", "s",
                [
                    "vpc_id": .string(vpc.id), "cidr_block": .string("10.80.1.0/24"), "availability_zone": .string("us-east-1a"),
                ]))

        let tableDesired = h.desired("aws_route_table", "public", ["vpc_id": .string(vpc.id), "tags": .map(["Name": .string("public")])])
        let table = try await h.create(tableDesired)
        #expect(table.id.hasPrefix("rtb-"))
        #expect(try await h.rawTags(table.id)["strata:address"] == "aws_route_table.public")
        #expect(try h.differences(tableDesired, try #require(try await h.discovered(tableDesired))) == [])
        // The table's own `local` route is AWS's, not a route of the stack.
        #expect(try await h.discover("aws_route").isEmpty)

        let routeDesired = h.desired(
            "aws_route", "internet",
            [
                "route_table_id": .string(table.id), "destination_cidr_block": .string("0.0.0.0/0"), "gateway_id": .string(igw.id),
            ])
        let route = try await h.create(routeDesired)
        #expect(route.identity == "\(table.id)|0.0.0.0/0")
        let foundRoute = try #require(try await h.discovered(routeDesired))
        #expect(foundRoute.attributes["gateway_id"] == .string(igw.id))
        #expect(try h.differences(routeDesired, foundRoute) == [])
        // Creating it again (a crashed apply re-run) adopts it.
        #expect(try await h.create(routeDesired).identity == route.identity)
        #expect(try await h.discover("aws_route").count == 1)

        let associationDesired = h.desired(
            "aws_route_table_association", "public",
            [
                "route_table_id": .string(table.id), "subnet_id": .string(subnet.id),
            ])
        let association = try await h.create(associationDesired)
        #expect(association.id.hasPrefix("rtbassoc-"))
        let foundAssociation = try #require(try await h.discovered(associationDesired))
        #expect(foundAssociation.id == association.id)
        #expect(try h.differences(associationDesired, foundAssociation) == [])

        // Out of band: the default route pointed at another gateway is the target's update.
        _ = try await h.client.query(
            .ec2, action: "ReplaceRoute",
            parameters: [
                (name: "RouteTableId", value: table.id), (name: "DestinationCidrBlock", value: "0.0.0.0/0"),
                (name: "GatewayId", value: igw2.id),
            ])
        let drifted = try #require(try await h.discovered(routeDesired))
        #expect(try h.differences(routeDesired, drifted) == ["gateway_id"])
        let fixed = try await h.provider("aws_route").update(drifted, to: routeDesired, changed: ["gateway_id"], h.context)
        #expect(fixed.attributes["gateway_id"] == .string(igw.id))

        // The association moves to another table in place.
        let otherDesired = h.desired("aws_route_table", "other", ["vpc_id": .string(vpc.id)])
        let other = try await h.create(otherDesired)
        var moved = associationDesired
        moved.attributes["route_table_id"] = .string(other.id)
        #expect(try h.differences(moved, foundAssociation) == ["route_table_id"])
        let movedLive = try await h.provider("aws_route_table_association").update(
            foundAssociation, to: moved, changed: ["route_table_id"], h.context)
        let refound = try #require(try await h.discovered(moved))
        #expect(refound.id == movedLive.id)
        #expect(try h.differences(moved, refound) == [])

        // A table with an association cannot go: the AWS error, unchanged.
        let error = try await #require(throws: AWSError.self) {
            try await h.provider("aws_route_table").delete(other, h.context)
        }
        #expect(error.isDependencyViolation)

        try await h.deleteAndConfirm(refound, moved)
        try await h.deleteAndConfirm(fixed, routeDesired)
        try await h.deleteAndConfirm(try #require(try await h.discovered(otherDesired)), otherDesired)
        try await h.deleteAndConfirm(table, tableDesired)
        try await h.provider("aws_subnet").delete(subnet, h.context)
        try await h.provider("aws_internet_gateway").delete(igw, h.context)
        try await h.provider("aws_internet_gateway").delete(igw2, h.context)
        try await h.provider("aws_vpc").delete(vpc, h.context)
    }

    @Test func inlineRoutesOfARouteTable() async throws {
        let h = try await NetworkHarness.make()
        let vpc = try await h.create(h.desired("aws_vpc", "v", ["cidr_block": .string("10.81.0.0/16")]))
        let igw = try await h.create(h.desired("aws_internet_gateway", "igw", ["vpc_id": .string(vpc.id)]))
        let desired = h.desired(
            "aws_route_table", "t",
            [
                "vpc_id": .string(vpc.id),
                "route": .list([.map(["cidr_block": .string("0.0.0.0/0"), "gateway_id": .string(igw.id)])]),
            ])
        let table = try await h.create(desired)
        #expect(try h.differences(desired, table) == [])
        var more = desired
        more.attributes["route"] = .list([
            .map(["cidr_block": .string("0.0.0.0/0"), "gateway_id": .string(igw.id)]),
            .map(["cidr_block": .string("192.168.0.0/16"), "gateway_id": .string(igw.id)]),
        ])
        #expect(try h.differences(more, table) == ["route"])
        let updated = try await h.provider("aws_route_table").update(table, to: more, changed: ["route"], h.context)
        #expect(try h.differences(more, updated) == [])
        #expect(try h.differences(more, try #require(try await h.discovered(more))) == [])
        // Routes of an owned table also read as aws_route instances (the stack picks one style).
        #expect(try await h.discover("aws_route").count == 2)

        let routes = try await h.discover("aws_route")
        for route in routes { try await h.provider("aws_route").delete(route, h.context) }
        try await h.deleteAndConfirm(updated, desired)
        try await h.provider("aws_internet_gateway").delete(igw, h.context)
        try await h.provider("aws_vpc").delete(vpc, h.context)
    }
}
