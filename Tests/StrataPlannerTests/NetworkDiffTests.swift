import AWSClient
import Foundation
import StrataCompiler
import StrataModel
import StrataPlanner
import StrataProviders
import StrataTestSupport
import Testing

/// What the EC2 network providers create must read back through the planner's Differ as "no
/// changes"; an out-of-band change must show as exactly that attribute's update (or replace).
@Suite("EC2 network diffs against the sandbox")
struct NetworkDiffTests {
    struct Setup {
        let client: AWSClient
        let stack: String

        static func make() async throws -> Setup {
            Setup(client: try await Sandbox.shared().client(), stack: "n-\(UUID().uuidString.prefix(8).lowercased())")
        }

        var context: ProviderContext {
            ProviderContext(client: client, stack: stack, region: Sandbox.region, waits: WaitPolicy(interval: .milliseconds(50)))
        }

        /// As the compiler and planner build it: `tags_all` holds the stack's tags, the
        /// resource's own and the ownership tags.
        func desired(_ type: String, _ name: String, _ attributes: [String: Value]) -> DesiredResource {
            let address = ResourceAddress(module: nil, type: type, name: name)
            var attributes = attributes
            var tags = ["team": "platform"].merging(attributes["tags"]?.stringMap ?? [:]) { _, own in own }
            tags[ProviderContext.stackTag] = stack
            tags[ProviderContext.addressTag] = address.canonical
            let taggable = ResourceCatalog.schema(for: type)?.taggable ?? false
            if taggable { attributes["tags_all"] = .map(tags.mapValues(Value.string)) }
            return DesiredResource(
                address: address, type: type, attributes: attributes, tags: taggable ? tags : [:],
                idempotencyToken: IdempotencyToken.derive(stack: stack, address: address, attributes: attributes))
        }

        func provider(_ type: String) throws -> any ResourceProvider {
            try #require(ProviderRegistry.provider(for: type))
        }

        func create(_ desired: DesiredResource) async throws -> LiveResource {
            try await provider(desired.type).create(desired, context)
        }

        func find(_ desired: DesiredResource) async throws -> LiveResource {
            let provider = try provider(desired.type)
            let live = try await provider.discover(context)
            return try #require(
                live.first { $0.address == desired.address }
                    ?? provider.identity(of: desired.attributes).flatMap { id in live.first { $0.identity == id && $0.address == nil } },
                "\(desired.address) not discovered")
        }

        /// A new plan's view: discovery with a fresh cache, then the Differ.
        func diff(_ desired: DesiredResource) async throws -> DiffResult {
            let schema = try #require(ResourceCatalog.schema(for: desired.type))
            return Differ.diff(desired: desired.attributes, live: try await find(desired), schema: schema)
        }

        func ec2(_ action: String, _ parameters: [(name: String, value: String)]) async throws {
            _ = try await client.query(.ec2, action: action, parameters: parameters)
        }
    }

    static let noChanges = DiffResult(action: .noop, changed: [], replaceBecause: [])

    @Test func vpcLayoutReadsBackAsNoChangesThenDrifts() async throws {
        let s = try await Setup.make()
        let vpcD = s.desired(
            "aws_vpc", "vpc",
            [
                "cidr_block": .string("10.100.0.0/16"), "enable_dns_support": .bool(true), "enable_dns_hostnames": .bool(true),
                "tags": .map(["Name": .string("net")]),
            ])
        let vpc = try await s.create(vpcD)
        let igwD = s.desired("aws_internet_gateway", "igw", ["vpc_id": .string(vpc.id), "tags": .map(["Name": .string("net")])])
        let igw = try await s.create(igwD)
        let subnetD = s.desired(
            "aws_subnet", "public",
            [
                "vpc_id": .string(vpc.id), "cidr_block": .string("10.100.240.0/24"), "availability_zone": .string("us-east-1a"),
                "map_public_ip_on_launch": .bool(false),
                "tags": .map(["Name": .string("public-a"), "kubernetes.io/role/elb": .string("1")]),
            ])
        let subnet = try await s.create(subnetD)
        let eipD = s.desired("aws_eip", "nat_ip", ["domain": .string("vpc"), "tags": .map(["Name": .string("nat")])])
        let eip = try await s.create(eipD)
        let natD = s.desired(
            "aws_nat_gateway", "nat",
            [
                "allocation_id": .string(eip.id), "subnet_id": .string(subnet.id), "tags": .map(["Name": .string("nat")]),
            ])
        let nat = try await s.create(natD)
        let tableD = s.desired("aws_route_table", "public", ["vpc_id": .string(vpc.id), "tags": .map(["Name": .string("public")])])
        let table = try await s.create(tableD)
        let routeD = s.desired(
            "aws_route", "internet",
            [
                "route_table_id": .string(table.id), "destination_cidr_block": .string("0.0.0.0/0"), "gateway_id": .string(igw.id),
            ])
        let route = try await s.create(routeD)
        let associationD = s.desired(
            "aws_route_table_association", "public",
            [
                "subnet_id": .string(subnet.id), "route_table_id": .string(table.id),
            ])
        let association = try await s.create(associationD)

        for desired in [vpcD, igwD, subnetD, eipD, natD, tableD, routeD, associationD] {
            #expect(try await s.diff(desired) == Self.noChanges, "\(desired.address)")
        }

        // Out of band: DNS hostnames off; a subnet tag edited; the NAT's tags dropped.
        try await s.ec2("ModifyVpcAttribute", [(name: "VpcId", value: vpc.id), (name: "EnableDnsHostnames.Value", value: "false")])
        #expect(try await s.diff(vpcD) == DiffResult(action: .update, changed: ["enable_dns_hostnames"], replaceBecause: []))
        try await s.ec2(
            "CreateTags", [(name: "ResourceId.1", value: subnet.id), (name: "Tag.1.Key", value: "Name"), (name: "Tag.1.Value", value: "x")])
        #expect(try await s.diff(subnetD) == DiffResult(action: .update, changed: ["tags", "tags_all"], replaceBecause: []))
        try await s.ec2("DeleteTags", [(name: "ResourceId.1", value: nat.id), (name: "Tag.1.Key", value: "team")])
        #expect(try await s.diff(natD) == DiffResult(action: .update, changed: ["tags_all"], replaceBecause: []))
        // A stack that now wants another zone replaces the subnet, naming why.
        var moved = subnetD
        moved.attributes["availability_zone"] = .string("us-east-1b")
        #expect(try await s.diff(moved).replaceBecause == ["availability_zone"])

        // Updates through the providers bring each back to no changes.
        let vpcLive = try await s.find(vpcD)
        _ = try await s.provider("aws_vpc").update(vpcLive, to: vpcD, changed: ["enable_dns_hostnames"], s.context)
        let subnetLive = try await s.find(subnetD)
        _ = try await s.provider("aws_subnet").update(subnetLive, to: subnetD, changed: ["tags", "tags_all"], s.context)
        let natLive = try await s.find(natD)
        _ = try await s.provider("aws_nat_gateway").update(natLive, to: natD, changed: ["tags_all"], s.context)
        for desired in [vpcD, subnetD, natD] {
            #expect(try await s.diff(desired) == Self.noChanges, "\(desired.address)")
        }

        // Tear down in dependency order.
        try await s.provider("aws_route_table_association").delete(association, s.context)
        try await s.provider("aws_route").delete(route, s.context)
        try await s.provider("aws_route_table").delete(table, s.context)
        try await s.provider("aws_nat_gateway").delete(nat, s.context)
        try await s.provider("aws_eip").delete(eip, s.context)
        try await s.provider("aws_subnet").delete(subnet, s.context)
        try await s.provider("aws_internet_gateway").delete(igw, s.context)
        try await s.provider("aws_vpc").delete(vpc, s.context)
        #expect(try await s.provider("aws_vpc").discover(s.context).isEmpty)
    }

    @Test func securityGroupsRulesAndTemplateReadBackAsNoChanges() async throws {
        let s = try await Setup.make()
        let vpc = try await s.create(s.desired("aws_vpc", "vpc", ["cidr_block": .string("10.101.0.0/16")]))
        let clusterD = s.desired(
            "aws_security_group", "cluster_sg",
            [
                "name": .string("\(s.stack)-cluster"), "description": .string("EKS control plane (additional group)"),
                "vpc_id": .string(vpc.id), "tags": .map(["Name": .string("\(s.stack)-cluster")]),
            ])
        let cluster = try await s.create(clusterD)
        let nodeD = s.desired(
            "aws_security_group", "node_sg",
            [
                "name": .string("\(s.stack)-node"), "description": .string("EKS nodes"), "vpc_id": .string(vpc.id),
                "tags": .map(["Name": .string("\(s.stack)-node"), "karpenter.sh/discovery": .string(s.stack)]),
            ])
        let node = try await s.create(nodeD)
        let inlineD = s.desired(
            "aws_security_group", "web",
            [
                "vpc_id": .string(vpc.id),
                "ingress": .list([
                    .map([
                        "from_port": .int(443), "to_port": .int(443), "protocol": .string("tcp"),
                        "cidr_blocks": .list([.string("10.0.0.0/8")]), "description": .string("https"),
                    ])
                ]),
            ])
        let inline = try await s.create(inlineD)
        let ingressD = s.desired(
            "aws_vpc_security_group_ingress_rule", "cluster_from_nodes",
            [
                "security_group_id": .string(cluster.id), "referenced_security_group_id": .string(node.id),
                "ip_protocol": .string("tcp"), "from_port": .int(443), "to_port": .int(443),
                "description": .string("Nodes to the API server"),
            ])
        let ingress = try await s.create(ingressD)
        let egressD = s.desired(
            "aws_vpc_security_group_egress_rule", "node_egress",
            [
                "security_group_id": .string(node.id), "ip_protocol": .string("-1"), "cidr_ipv4": .string("0.0.0.0/0"),
                "description": .string("Nodes to anywhere"),
            ])
        let egress = try await s.create(egressD)
        let legacyD = s.desired(
            "aws_security_group_rule", "ssh",
            [
                "type": .string("ingress"), "security_group_id": .string(node.id), "protocol": .string("tcp"),
                "from_port": .int(22), "to_port": .int(22), "cidr_blocks": .list([.string("10.0.0.0/8")]),
            ])
        let legacy = try await s.create(legacyD)
        let templateD = s.desired(
            "aws_launch_template", "node_template",
            [
                "name": .string("\(s.stack)-default"), "description": .string("Node pool default"),
                "update_default_version": .bool(true), "vpc_security_group_ids": .list([.string(node.id)]),
                "block_device_mappings": .list([
                    .map([
                        "device_name": .string("/dev/xvda"),
                        "ebs": .map([
                            "volume_size": .int(50), "volume_type": .string("gp3"), "encrypted": .bool(true),
                            "delete_on_termination": .bool(true),
                        ]),
                    ])
                ]),
                "metadata_options": .map([
                    "http_endpoint": .string("enabled"), "http_tokens": .string("required"), "http_put_response_hop_limit": .int(2),
                ]),
                "monitoring": .map(["enabled": .bool(true)]),
                "tag_specifications": .list([
                    .map(["resource_type": .string("instance"), "tags": .map(["Name": .string("n")])]),
                    .map(["resource_type": .string("volume"), "tags": .map(["Name": .string("n")])]),
                ]),
            ])
        let template = try await s.create(templateD)

        for desired in [clusterD, nodeD, inlineD, ingressD, egressD, legacyD, templateD] {
            #expect(try await s.diff(desired) == Self.noChanges, "\(desired.address)")
        }

        // Out of band: the rule's description rewritten; a template version made default by hand.
        try await s.ec2(
            "ModifySecurityGroupRules",
            [
                (name: "GroupId", value: cluster.id), (name: "SecurityGroupRule.1.SecurityGroupRuleId", value: ingress.id),
                (name: "SecurityGroupRule.1.SecurityGroupRule.IpProtocol", value: "tcp"),
                (name: "SecurityGroupRule.1.SecurityGroupRule.FromPort", value: "443"),
                (name: "SecurityGroupRule.1.SecurityGroupRule.ToPort", value: "443"),
                (name: "SecurityGroupRule.1.SecurityGroupRule.ReferencedGroupId", value: node.id),
                (name: "SecurityGroupRule.1.SecurityGroupRule.Description", value: "changed"),
            ])
        #expect(try await s.diff(ingressD) == DiffResult(action: .update, changed: ["description"], replaceBecause: []))
        // A group's description cannot change in AWS: a new one replaces it.
        var renamed = nodeD
        renamed.attributes["description"] = .string("EKS worker nodes")
        #expect(try await s.diff(renamed) == DiffResult(action: .replace, changed: ["description"], replaceBecause: ["description"]))

        for live in [template] { try await s.provider("aws_launch_template").delete(live, s.context) }
        try await s.provider("aws_security_group_rule").delete(legacy, s.context)
        try await s.provider("aws_vpc_security_group_egress_rule").delete(egress, s.context)
        try await s.provider("aws_vpc_security_group_ingress_rule").delete(ingress, s.context)
        for group in [inline, node, cluster] { try await s.provider("aws_security_group").delete(group, s.context) }
        try await s.provider("aws_vpc").delete(vpc, s.context)
    }

    /// An apply that crashed between a create and its follow-up calls left tagged resources
    /// without their attributes; the next plan shows exactly those attributes as updates, and
    /// the updates converge.
    @Test func aCrashBetweenCreateAndFollowUpConverges() async throws {
        let s = try await Setup.make()
        let vpcD = s.desired("aws_vpc", "vpc", ["cidr_block": .string("10.102.0.0/16"), "enable_dns_hostnames": .bool(true)])
        // CreateVpc with the ownership tags, then the crash: no ModifyVpcAttribute.
        let vpcAnswer = try await s.client.query(
            .ec2, action: "CreateVpc",
            parameters: [(name: "CidrBlock", value: "10.102.0.0/16")]
                + QueryValue.tagSpecifications(
                    resourceType: "vpc", tags: vpcD.tags.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }))
        let vpcID = try #require(vpcAnswer["vpc", "vpcId"]?.text)
        #expect(try await s.diff(vpcD) == DiffResult(action: .update, changed: ["enable_dns_hostnames"], replaceBecause: []))
        let vpc = try await s.provider("aws_vpc").update(try await s.find(vpcD), to: vpcD, changed: ["enable_dns_hostnames"], s.context)
        #expect(vpc.id == vpcID)
        #expect(try await s.diff(vpcD) == Self.noChanges)

        // CreateInternetGateway with its tags, then the crash: never attached.
        let igwD = s.desired("aws_internet_gateway", "igw", ["vpc_id": .string(vpcID)])
        _ = try await s.client.query(
            .ec2, action: "CreateInternetGateway",
            parameters: QueryValue.tagSpecifications(
                resourceType: "internet-gateway", tags: igwD.tags.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }))
        #expect(try await s.diff(igwD) == DiffResult(action: .update, changed: ["vpc_id"], replaceBecause: []))
        let igw = try await s.provider("aws_internet_gateway").update(try await s.find(igwD), to: igwD, changed: ["vpc_id"], s.context)
        #expect(try await s.diff(igwD) == Self.noChanges)

        try await s.provider("aws_internet_gateway").delete(igw, s.context)
        try await s.provider("aws_vpc").delete(vpc, s.context)
    }
}
