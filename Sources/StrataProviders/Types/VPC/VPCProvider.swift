import AWSClient
import StrataModel

/// `aws_vpc`: CreateVpc with its tags, then the DNS and usage-metrics attributes, which only
/// ModifyVpcAttribute sets (one attribute per call, as EC2 demands).
struct VPCProvider: ResourceProvider {
    let schema = ResourceSchema.awsVPC
    let deletion = DeletionRule(rank: 8)

    /// The VPC attributes that are not in DescribeVpcs: catalog name and EC2 attribute name.
    static let flags: [(attribute: String, ec2: String, serverDefault: Bool)] = [
        ("enable_dns_support", "enableDnsSupport", true),
        ("enable_dns_hostnames", "enableDnsHostnames", false),
        ("enable_network_address_usage_metrics", "enableNetworkAddressUsageMetrics", false),
    ]

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        let ec2 = EC2(context)
        return try await read(try await ec2.owned("DescribeVpcs", set: "vpcSet"), context)
    }

    /// VPCs as live resources, with what DescribeVpcs does not say read for all of them at once
    /// where EC2 allows it (default route table, security group, network ACL).
    private func read(_ vpcs: [XMLNode], _ context: ProviderContext) async throws -> [LiveResource] {
        let ec2 = EC2(context)
        let ids = vpcs.compactMap { $0.child("vpcId")?.text }
        guard !ids.isEmpty else { return [] }
        // The defaults AWS made with each VPC, for all owned VPCs in one read each.
        let mainTables = try await ec2.describe(
            "DescribeRouteTables", set: "routeTableSet",
            QueryValue.filters([(name: "vpc-id", values: ids), (name: "association.main", values: ["true"])]))
        let defaultGroups = try await ec2.describe(
            "DescribeSecurityGroups", set: "securityGroupInfo",
            QueryValue.filters([(name: "vpc-id", values: ids), (name: "group-name", values: ["default"])]))
        let defaultACLs = try await ec2.describe(
            "DescribeNetworkAcls", set: "networkAclSet",
            QueryValue.filters([(name: "vpc-id", values: ids), (name: "default", values: ["true"])]))
        func byVPC(_ items: [XMLNode], _ idName: String) -> [String: String] {
            var out: [String: String] = [:]
            for item in items {
                if let vpc = item.child("vpcId")?.text, let id = item.child(idName)?.text { out[vpc] = id }
            }
            return out
        }
        // The answers are checked as well as filtered: each must be the VPC's default.
        let mainTable = byVPC(
            mainTables.filter { ($0.child("associationSet")?.items ?? []).contains { $0.child("main")?.text == "true" } },
            "routeTableId")
        let defaultGroup = byVPC(defaultGroups.filter { $0.child("groupName")?.text == "default" }, "groupId")
        let defaultACL = byVPC(defaultACLs.filter { $0.child("default")?.text == "true" }, "networkAclId")

        var live: [LiveResource] = []
        for vpc in vpcs {
            guard let id = vpc.child("vpcId")?.text else { continue }
            var attributes = Self.attributes(of: vpc, region: context.region)
            // DescribeVpcs does not report these; AWS has no batched read of them.
            for flag in Self.flags {
                let answer = try await ec2.call(
                    "DescribeVpcAttribute", [(name: "VpcId", value: id), (name: "Attribute", value: flag.ec2)])
                attributes[flag.attribute] = .bool(EC2.attributeBool(answer, flag.ec2))
            }
            attributes["main_route_table_id"] = mainTable[id].map(Value.string) ?? .null
            attributes["default_route_table_id"] = attributes["main_route_table_id"]
            attributes["default_security_group_id"] = defaultGroup[id].map(Value.string) ?? .null
            attributes["default_network_acl_id"] = defaultACL[id].map(Value.string) ?? .null
            live.append(EC2.taggedResource(type: type, id: id, item: vpc, attributes: attributes))
        }
        return live
    }

    static func attributes(of vpc: XMLNode, region: String) -> [String: Value] {
        var attributes: [String: Value] = [:]
        let owner = vpc.child("ownerId")?.text ?? ""
        let id = vpc.child("vpcId")?.text ?? ""
        attributes["cidr_block"] = EC2.string(vpc, "cidrBlock") ?? .null
        attributes["instance_tenancy"] = EC2.string(vpc, "instanceTenancy") ?? .string("default")
        attributes["owner_id"] = .string(owner)
        attributes["arn"] = .string("arn:aws:ec2:\(region):\(owner):vpc/\(id)")
        attributes["dhcp_options_id"] = EC2.string(vpc, "dhcpOptionsId") ?? .null
        let ipv6 = vpc.child("ipv6CidrBlockAssociationSet")?.items.first {
            $0["ipv6CidrBlockState", "state"]?.text == "associated"
        }
        attributes["ipv6_cidr_block"] = ipv6.flatMap { EC2.string($0, "ipv6CidrBlock") } ?? .null
        attributes["ipv6_association_id"] = ipv6.flatMap { EC2.string($0, "associationId") } ?? .null
        attributes["assign_generated_ipv6_cidr_block"] = .bool(ipv6 != nil)
        return attributes
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let ec2 = EC2(context)
        var parameters = desired.ec2Parameters([
            "CidrBlock": "cidr_block",
            "InstanceTenancy": "instance_tenancy",
            "Ipv4IpamPoolId": "ipv4_ipam_pool_id",
            "Ipv4NetmaskLength": "ipv4_netmask_length",
            "Ipv6IpamPoolId": "ipv6_ipam_pool_id",
            "Ipv6NetmaskLength": "ipv6_netmask_length",
        ])
        if desired.ec2Bool("assign_generated_ipv6_cidr_block", default: false) {
            parameters.append((name: "AmazonProvidedIpv6CidrBlock", value: "true"))
        }
        parameters += EC2.tagSpecification("vpc", desired.tags)
        let (vpc, id) = try await ec2.createAvailable(.vpc, parameters, for: desired, context)
        // The flags follow the create: a crash in between leaves a tagged VPC whose next plan
        // shows exactly these attributes as updates.
        var attributes = Self.attributes(of: vpc, region: context.region)
        for flag in Self.flags {
            let wanted = desired.ec2Bool(flag.attribute, default: flag.serverDefault)
            if wanted != flag.serverDefault { try await setFlag(flag.ec2, wanted, vpc: id, ec2) }
            attributes[flag.attribute] = .bool(wanted)
        }
        return try await refreshed(
            id, desired, context, fallback: EC2.taggedResource(type: type, id: id, item: vpc, attributes: attributes))
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let ec2 = EC2(context)
        for flag in Self.flags where changed.contains(flag.attribute) {
            try await setFlag(flag.ec2, desired.ec2Bool(flag.attribute, default: flag.serverDefault), vpc: live.id, ec2)
        }
        if changed.contains("instance_tenancy"), let tenancy = desired.attributes.string("instance_tenancy") {
            try await ec2.call("ModifyVpcTenancy", [(name: "VpcId", value: live.id), (name: "InstanceTenancy", value: tenancy)])
        }
        if !changed.isDisjoint(with: ["assign_generated_ipv6_cidr_block", "ipv6_cidr_block", "ipv6_ipam_pool_id", "ipv6_netmask_length"]) {
            try await replaceIPv6(live, desired, ec2)
        }
        try await TagSync.update(live, to: desired, changed: changed, ec2.tagCalls(live.id))
        await ec2.invalidate("DescribeVpcs")
        return try await refreshed(live.id, desired, context, fallback: live)
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        try await EC2(context).delete("DeleteVpc", "VpcId", live.id, listedBy: "DescribeVpcs")
    }

    /// The VPC's IPv6 block: the old association goes, then Amazon's block or one from an IPAM
    /// pool is associated as the stack now says (a VPC holds one IPv6 block here).
    private func replaceIPv6(_ live: LiveResource, _ desired: DesiredResource, _ ec2: EC2) async throws {
        if let association = live.attributes.string("ipv6_association_id") {
            try await ec2.callIgnoringNotFound("DisassociateVpcCidrBlock", [(name: "AssociationId", value: association)])
        }
        var parameters: EC2.Parameters = [(name: "VpcId", value: live.id)]
        if desired.ec2Bool("assign_generated_ipv6_cidr_block", default: false) {
            parameters.append((name: "AmazonProvidedIpv6CidrBlock", value: "true"))
        } else if desired.attributes.string("ipv6_ipam_pool_id") != nil {
            parameters += desired.ec2Parameters([
                "Ipv6IpamPoolId": "ipv6_ipam_pool_id",
                "Ipv6NetmaskLength": "ipv6_netmask_length",
                "Ipv6CidrBlock": "ipv6_cidr_block",
            ])
        } else {
            return
        }
        try await ec2.call("AssociateVpcCidrBlock", parameters)
    }

    private func setFlag(_ name: String, _ value: Bool, vpc: String, _ ec2: EC2) async throws {
        // `EnableDnsHostnames.Value`: the AttributeBooleanValue structure's one member.
        let wire = name.prefix(1).uppercased() + name.dropFirst()
        try await ec2.call("ModifyVpcAttribute", [(name: "VpcId", value: vpc), (name: "\(wire).Value", value: value ? "true" : "false")])
    }

    /// The VPC as discovery reads it now, so what a create or update returns is what the next
    /// plan compares against.
    private func refreshed(_ id: String, _ desired: DesiredResource, _ context: ProviderContext, fallback: LiveResource) async throws
        -> LiveResource
    {
        let vpcs = try await EC2(context).describe("DescribeVpcs", set: "vpcSet", [(name: "VpcId.1", value: id)])
        return try await read(vpcs.filter { $0.child("vpcId")?.text == id }, context).first ?? fallback
    }
}
