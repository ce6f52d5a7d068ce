import AWSClient
import StrataModel

/// `aws_subnet`: CreateSubnet with its tags, then ModifySubnetAttribute for each launch-time flag
/// that differs from AWS's default (EC2 takes one attribute per call).
struct SubnetProvider: ResourceProvider {
    let schema = ResourceSchema.awsSubnet
    // A subnet holding an association or a NAT gateway's interface: DependencyViolation.
    let deletion = DeletionRule(rank: 7, waitsFor: ["aws_route_table_association": .naming, "aws_nat_gateway": .naming])

    /// The boolean flags ModifySubnetAttribute changes: catalog name, EC2 query name, and where
    /// DescribeSubnets reports it.
    static let flags: [(attribute: String, wire: String, read: [String])] = [
        ("map_public_ip_on_launch", "MapPublicIpOnLaunch", ["mapPublicIpOnLaunch"]),
        ("assign_ipv6_address_on_creation", "AssignIpv6AddressOnCreation", ["assignIpv6AddressOnCreation"]),
        ("enable_dns64", "EnableDns64", ["enableDns64"]),
        (
            "enable_resource_name_dns_a_record_on_launch", "EnableResourceNameDnsARecordOnLaunch",
            ["privateDnsNameOptionsOnLaunch", "enableResourceNameDnsARecord"]
        ),
        (
            "enable_resource_name_dns_aaaa_record_on_launch", "EnableResourceNameDnsAAAARecordOnLaunch",
            ["privateDnsNameOptionsOnLaunch", "enableResourceNameDnsAAAARecord"]
        ),
        ("map_customer_owned_ip_on_launch", "MapCustomerOwnedIpOnLaunch", ["mapCustomerOwnedIpOnLaunch"]),
    ]

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        try await EC2(context).owned("DescribeSubnets", set: "subnetSet").compactMap(live)
    }

    func live(_ subnet: XMLNode) -> LiveResource? {
        guard let id = subnet.child("subnetId")?.text else { return nil }
        var attributes: [String: Value] = [:]
        attributes["vpc_id"] = EC2.string(subnet, "vpcId") ?? .null
        attributes["cidr_block"] = EC2.string(subnet, "cidrBlock") ?? .null
        attributes["availability_zone"] = EC2.string(subnet, "availabilityZone") ?? .null
        attributes["availability_zone_id"] = EC2.string(subnet, "availabilityZoneId") ?? .null
        attributes["arn"] = EC2.string(subnet, "subnetArn") ?? .null
        attributes["owner_id"] = EC2.string(subnet, "ownerId") ?? .null
        attributes["ipv6_native"] = EC2.bool(subnet, "ipv6Native")
        attributes["outpost_arn"] = EC2.string(subnet, "outpostArn") ?? .null
        attributes["customer_owned_ipv4_pool"] = EC2.string(subnet, "customerOwnedIpv4Pool") ?? .null
        for flag in Self.flags {
            var node: XMLNode? = subnet
            for step in flag.read.dropLast() { node = node?.child(step) }
            attributes[flag.attribute] = EC2.bool(node, flag.read[flag.read.count - 1])
        }
        attributes["private_dns_hostname_type_on_launch"] =
            subnet["privateDnsNameOptionsOnLaunch"].flatMap { EC2.string($0, "hostnameType") } ?? .string("ip-name")
        let ipv6 = Self.ipv6Association(subnet)
        attributes["ipv6_cidr_block"] = ipv6.flatMap { EC2.string($0, "ipv6CidrBlock") } ?? .null
        attributes["ipv6_cidr_block_association_id"] = ipv6.flatMap { EC2.string($0, "associationId") } ?? .null
        return EC2.taggedResource(type: type, id: id, item: subnet, attributes: attributes)
    }

    static func ipv6Association(_ subnet: XMLNode) -> XMLNode? {
        subnet.child("ipv6CidrBlockAssociationSet")?.items.first {
            let state = $0["ipv6CidrBlockState", "state"]?.text
            return state == "associated" || state == "associating"
        }
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let ec2 = EC2(context)
        var parameters =
            [(name: "VpcId", value: try desired.required("vpc_id"))]
            + desired.ec2Parameters([
                "CidrBlock": "cidr_block",
                "AvailabilityZone": "availability_zone",
                "AvailabilityZoneId": "availability_zone_id",
                "Ipv6CidrBlock": "ipv6_cidr_block",
                "OutpostArn": "outpost_arn",
            ])
        if desired.ec2Bool("ipv6_native", default: false) { parameters.append((name: "Ipv6Native", value: "true")) }
        parameters += EC2.tagSpecification("subnet", desired.tags)
        let (subnet, id) = try await ec2.createAvailable(.subnet, parameters, for: desired, context)
        // Launch-time settings follow the create. A crash in between leaves a tagged subnet whose
        // next plan shows these attributes as updates, so a re-run converges.
        let created = live(subnet)
        var changed: Set<String> = []
        for flag in Self.flags
        where desired.attributes.bool(flag.attribute).map({ $0 != created?.attributes.bool(flag.attribute) }) ?? false {
            changed.insert(flag.attribute)
        }
        if let hostname = desired.attributes.string("private_dns_hostname_type_on_launch"),
            hostname != created?.attributes.string("private_dns_hostname_type_on_launch")
        {
            changed.insert("private_dns_hostname_type_on_launch")
        }
        if !changed.isEmpty { try await modify(id, desired, changed, ec2) }
        return try await refreshed(id, context) ?? created
            ?? LiveResource(type: type, address: desired.address, id: id, attributes: ["id": .string(id)])
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let ec2 = EC2(context)
        try await modify(live.id, desired, changed, ec2)
        if changed.contains("ipv6_cidr_block") {
            if let association = live.attributes.string("ipv6_cidr_block_association_id") {
                try await ec2.call("DisassociateSubnetCidrBlock", [(name: "AssociationId", value: association)])
            }
            if let block = desired.attributes.string("ipv6_cidr_block") {
                try await ec2.call("AssociateSubnetCidrBlock", [(name: "SubnetId", value: live.id), (name: "Ipv6CidrBlock", value: block)])
            }
        }
        try await TagSync.update(live, to: desired, changed: changed, ec2.tagCalls(live.id))
        await ec2.invalidate("DescribeSubnets")
        return try await refreshed(live.id, context) ?? live
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        try await EC2(context).delete("DeleteSubnet", "SubnetId", live.id, listedBy: "DescribeSubnets")
    }

    /// One ModifySubnetAttribute per changed launch-time setting.
    private func modify(_ id: String, _ desired: DesiredResource, _ changed: Set<String>, _ ec2: EC2) async throws {
        for flag in Self.flags where changed.contains(flag.attribute) {
            var parameters: EC2.Parameters = [(name: "SubnetId", value: id)]
            parameters.append((name: "\(flag.wire).Value", value: desired.ec2Bool(flag.attribute, default: false) ? "true" : "false"))
            // A customer-owned address pool is named together with the flag that uses it.
            if flag.attribute == "map_customer_owned_ip_on_launch" {
                parameters += desired.ec2Parameter("CustomerOwnedIpv4Pool", "customer_owned_ipv4_pool")
            }
            try await ec2.call("ModifySubnetAttribute", parameters)
        }
        if changed.contains("private_dns_hostname_type_on_launch") {
            let hostname = desired.attributes.string("private_dns_hostname_type_on_launch") ?? "ip-name"
            try await ec2.call(
                "ModifySubnetAttribute", [(name: "SubnetId", value: id), (name: "PrivateDnsHostnameTypeOnLaunch", value: hostname)])
        }
    }

    private func refreshed(_ id: String, _ context: ProviderContext) async throws -> LiveResource? {
        try await EC2(context).describe("DescribeSubnets", set: "subnetSet", [(name: "SubnetId.1", value: id)]).compactMap(live).first {
            $0.id == id
        }
    }
}
