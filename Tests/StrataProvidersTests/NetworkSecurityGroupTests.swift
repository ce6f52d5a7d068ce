import AWSClient
import Foundation
import StrataTestSupport
import Testing

@testable import StrataProviders

/// Security groups and their three rule types.
@Suite struct NetworkSecurityGroupTests {
    /// The group's rules as EC2 reports them, bypassing the providers.
    func rawRules(_ h: NetworkHarness, _ group: String) async throws -> [XMLNode] {
        let answer = try await h.client.query(
            .ec2, action: "DescribeSecurityGroupRules", parameters: QueryValue.filters([(name: "group-id", values: [group])]))
        return answer.child("securityGroupRuleSet")?.items ?? []
    }

    @Test func groupRevokesDefaultEgressAndKeepsInlineRules() async throws {
        let h = try await NetworkHarness.make()
        let vpc = try await h.create(h.desired("aws_vpc", "v", ["cidr_block": .string("10.90.0.0/16")]))
        let desired = h.desired(
            "aws_security_group", "web",
            [
                "name": .string("\(h.stack)-web"),
                "vpc_id": .string(vpc.id),
                "ingress": .list([
                    .map([
                        "from_port": .int(443), "to_port": .int(443), "protocol": .string("tcp"),
                        "cidr_blocks": .list([.string("10.0.0.0/8")]), "description": .string("https"),
                    ])
                ]),
                "tags": .map(["Name": .string("web")]),
            ])
        let created = try await h.create(desired)
        #expect(created.id.hasPrefix("sg-"))
        #expect(try await h.rawTags(created.id) == ["Name": "web", "strata:stack": h.stack, "strata:address": "aws_security_group.web"])
        let found = try #require(try await h.discovered(desired))
        #expect(found.attributes["description"] == .string("Managed by strata"))
        #expect(found.attributes["egress"] == .list([]))
        #expect(try h.differences(desired, found) == [])
        // AWS's allow-all egress is gone; the one ingress rule is there.
        let rules = try await rawRules(h, created.id)
        #expect(rules.count == 1)
        #expect(rules.first?.child("isEgress")?.text == "false")
        // Inline rules are not standalone rules of the stack.
        #expect(try await h.discover("aws_security_group_rule").isEmpty)
        #expect(try await h.discover("aws_vpc_security_group_ingress_rule").isEmpty)

        // A rule added by hand shows as an `ingress` difference; update revokes it.
        _ = try await h.client.query(
            .ec2, action: "AuthorizeSecurityGroupIngress",
            parameters: [(name: "GroupId", value: created.id)]
                + AtomicRule.ipPermissions([
                    AtomicRule(egress: false, ipProtocol: "tcp", fromPort: 22, toPort: 22, peer: .cidr("0.0.0.0/0"))
                ]))
        let drifted = try #require(try await h.discovered(desired))
        #expect(try h.differences(desired, drifted) == ["ingress"])
        let updated = try await h.provider("aws_security_group").update(drifted, to: desired, changed: ["ingress"], h.context)
        #expect(try h.differences(desired, updated) == [])
        #expect(try await rawRules(h, created.id).count == 1)

        try await h.deleteAndConfirm(updated, desired)
        try await h.provider("aws_vpc").delete(vpc, h.context)
    }

    @Test func vpcRulesAreTaggedReadBackAndModifiedInPlace() async throws {
        let h = try await NetworkHarness.make()
        let vpc = try await h.create(h.desired("aws_vpc", "v", ["cidr_block": .string("10.91.0.0/16")]))
        let cluster = try await h.create(
            h.desired("aws_security_group", "cluster", ["vpc_id": .string(vpc.id), "description": .string("cluster")]))
        let nodes = try await h.create(
            h.desired("aws_security_group", "nodes", ["vpc_id": .string(vpc.id), "description": .string("nodes")]))
        #expect(cluster.attributes["name"]?.stringValue?.hasPrefix("strata-") == true)

        let ingressDesired = h.desired(
            "aws_vpc_security_group_ingress_rule", "cluster_from_nodes",
            [
                "security_group_id": .string(cluster.id), "referenced_security_group_id": .string(nodes.id),
                "ip_protocol": .string("tcp"), "from_port": .int(443), "to_port": .int(443),
                "description": .string("Nodes to the API server"),
            ])
        let ingress = try await h.create(ingressDesired)
        #expect(ingress.id.hasPrefix("sgr-"))
        #expect(try await h.rawTags(ingress.id)["strata:address"] == "aws_vpc_security_group_ingress_rule.cluster_from_nodes")
        let foundIngress = try #require(try await h.discovered(ingressDesired))
        #expect(try h.differences(ingressDesired, foundIngress) == [])

        let egressDesired = h.desired(
            "aws_vpc_security_group_egress_rule", "node_egress",
            [
                "security_group_id": .string(nodes.id), "ip_protocol": .string("-1"), "cidr_ipv4": .string("0.0.0.0/0"),
                "description": .string("anywhere"),
            ])
        // The allow-all egress AWS gave the group was revoked, so this does not collide.
        let egress = try await h.create(egressDesired)
        let foundEgress = try #require(try await h.discovered(egressDesired))
        #expect(foundEgress.id == egress.id)
        #expect(try h.differences(egressDesired, foundEgress) == [])
        // Each direction sees only its own.
        #expect(try await h.discover("aws_vpc_security_group_ingress_rule").map(\.id) == [ingress.id])
        #expect(try await h.discover("aws_vpc_security_group_egress_rule").map(\.id) == [egress.id])

        // A port change is an in-place modify that keeps the rule's id and tags.
        var wider = ingressDesired
        wider.attributes["to_port"] = .int(444)
        #expect(try h.differences(wider, foundIngress) == ["to_port"])
        let modified = try await h.provider("aws_vpc_security_group_ingress_rule").update(
            foundIngress, to: wider, changed: ["to_port"], h.context)
        #expect(modified.id == ingress.id)
        #expect(try h.differences(wider, try #require(try await h.discovered(wider))) == [])

        // The referenced group cannot go while a rule points at it.
        await #expect(throws: AWSError.self) { try await h.provider("aws_security_group").delete(nodes, h.context) }

        try await h.deleteAndConfirm(modified, wider)
        try await h.deleteAndConfirm(foundEgress, egressDesired)
        try await h.provider("aws_security_group").delete(nodes, h.context)
        try await h.provider("aws_security_group").delete(cluster, h.context)
        try await h.provider("aws_vpc").delete(vpc, h.context)
    }

    @Test func legacyRuleWithSeveralPeers() async throws {
        let h = try await NetworkHarness.make()
        let vpc = try await h.create(h.desired("aws_vpc", "v", ["cidr_block": .string("10.92.0.0/16")]))
        let group = try await h.create(h.desired("aws_security_group", "g", ["vpc_id": .string(vpc.id)]))
        let desired = h.desired(
            "aws_security_group_rule", "ssh",
            [
                "type": .string("ingress"), "security_group_id": .string(group.id), "protocol": .string("tcp"),
                "from_port": .int(22), "to_port": .int(22),
                "cidr_blocks": .list([.string("10.0.0.0/8"), .string("192.168.0.0/16")]),
                "description": .string("ssh"),
            ])
        let created = try await h.create(desired)
        #expect(created.address == desired.address)
        let rules = try await rawRules(h, group.id)
        #expect(rules.count == 2)
        for rule in rules { #expect(EC2.tags(of: rule)["strata:address"] == "aws_security_group_rule.ssh") }
        let found = try #require(try await h.discovered(desired))
        #expect(found.identity == SecurityGroupRuleProvider().identity(of: desired.attributes))
        #expect(try h.differences(desired, found) == [])
        // The group's own view lists them as inline rules, and it does not claim them.
        #expect(try await h.discover("aws_vpc_security_group_ingress_rule").isEmpty)

        var described = desired
        described.attributes["description"] = .string("ssh from the office")
        #expect(try h.differences(described, found) == ["description"])
        let updated = try await h.provider("aws_security_group_rule").update(found, to: described, changed: ["description"], h.context)
        #expect(try h.differences(described, updated) == [])

        try await h.deleteAndConfirm(updated, described)
        #expect(try await rawRules(h, group.id).isEmpty)
        try await h.provider("aws_security_group").delete(group, h.context)
        try await h.provider("aws_vpc").delete(vpc, h.context)
    }
}
