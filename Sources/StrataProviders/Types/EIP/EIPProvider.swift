import AWSClient
import StrataModel

/// `aws_eip`: AllocateAddress with its tags (EC2 takes no client token for it), then
/// AssociateAddress when the stack names an instance or network interface.
struct EIPProvider: ResourceProvider {
    let schema = ResourceSchema.awsEIP
    // A NAT gateway holds its address until it is deleted.
    let deletion = DeletionRule(rank: 6, waitsFor: ["aws_nat_gateway": .naming])

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        try await EC2(context).owned("DescribeAddresses", set: "addressesSet").compactMap { live($0, context.region) }
    }

    func live(_ address: XMLNode, _ region: String) -> LiveResource? {
        guard let id = address.child("allocationId")?.text else { return nil }
        let owner = address.child("ownerId")?.text ?? ""
        var attributes: [String: Value] = [:]
        attributes["allocation_id"] = .string(id)
        attributes["domain"] = EC2.string(address, "domain") ?? .string("vpc")
        attributes["public_ip"] = EC2.string(address, "publicIp") ?? .null
        attributes["public_ipv4_pool"] = EC2.string(address, "publicIpv4Pool") ?? .null
        attributes["network_border_group"] = EC2.string(address, "networkBorderGroup") ?? .null
        attributes["customer_owned_ipv4_pool"] = EC2.string(address, "customerOwnedIpv4Pool") ?? .null
        attributes["customer_owned_ip"] = EC2.string(address, "customerOwnedIp") ?? .null
        attributes["carrier_ip"] = EC2.string(address, "carrierIp") ?? .null
        attributes["association_id"] = EC2.string(address, "associationId") ?? .null
        attributes["instance"] = EC2.string(address, "instanceId") ?? .null
        attributes["network_interface"] = EC2.string(address, "networkInterfaceId") ?? .null
        attributes["private_ip"] = EC2.string(address, "privateIpAddress") ?? .null
        attributes["arn"] = .string("arn:aws:ec2:\(region):\(owner):elastic-ip/\(id)")
        return EC2.taggedResource(type: type, id: id, item: address, attributes: attributes)
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let ec2 = EC2(context)
        let parameters =
            [(name: "Domain", value: desired.attributes.string("domain") ?? "vpc")]
            + desired.ec2Parameters([
                "Address": "address",
                "PublicIpv4Pool": "public_ipv4_pool",
                "NetworkBorderGroup": "network_border_group",
                "CustomerOwnedIpv4Pool": "customer_owned_ipv4_pool",
            ])
            + EC2.tagSpecification("elastic-ip", desired.tags)
        let answer = try await ec2.call("AllocateAddress", parameters)
        let id = try EC2.createdID(answer, ["allocationId"], call: "AllocateAddress", desired)
        await ec2.invalidate("DescribeAddresses")
        if desired.attributes.string("instance") != nil || desired.attributes.string("network_interface") != nil {
            try await associate(id, desired, ec2)
        }
        return try await refreshed(id, context)
            ?? LiveResource(type: type, address: desired.address, id: id, attributes: ["id": .string(id), "allocation_id": .string(id)])
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let ec2 = EC2(context)
        if !changed.isDisjoint(with: ["instance", "network_interface", "associate_with_private_ip"]) {
            if let association = live.attributes.string("association_id") {
                try await ec2.callIgnoringNotFound("DisassociateAddress", [(name: "AssociationId", value: association)])
            }
            if desired.attributes.string("instance") != nil || desired.attributes.string("network_interface") != nil {
                try await associate(live.id, desired, ec2)
            }
        }
        try await TagSync.update(live, to: desired, changed: changed, ec2.tagCalls(live.id))
        await ec2.invalidate("DescribeAddresses")
        return try await refreshed(live.id, context) ?? live
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let ec2 = EC2(context)
        if live.attributes.string("association_id") != nil { try await waitForDeletingGateway(live.id, ec2, context) }
        if let association = live.attributes.string("association_id") {
            try await ec2.callIgnoringNotFound("DisassociateAddress", [(name: "AssociationId", value: association)])
        }
        try await ec2.callIgnoringNotFound("ReleaseAddress", [(name: "AllocationId", value: live.id)])
        await ec2.invalidate("DescribeAddresses")
    }

    /// AWS keeps a NAT gateway's address the gateway's until the gateway is `deleted`, refusing
    /// to disassociate or release it meanwhile (`AuthFailure`). Destroy deletes the gateway
    /// first and waits for that; a gateway found `deleting` (the run before was killed during
    /// that wait, and discovery does not list gateways being deleted) is waited for here.
    private func waitForDeletingGateway(_ id: String, _ ec2: EC2, _ context: ProviderContext) async throws {
        @Sendable func holder() async throws -> String? {
            let deleting = try await ec2.describe(
                "DescribeNatGateways", set: "natGatewaySet", QueryValue.filters([(name: "state", values: ["deleting"])]))
            return deleting.first { gateway in
                gateway.child("state")?.text == "deleting"
                    && (gateway.child("natGatewayAddressSet")?.items ?? []).contains { $0.child("allocationId")?.text == id }
            }?.child("natGatewayId")?.text
        }
        guard let gateway = try await holder() else { return }
        _ = try await Waiter(policy: context.waits).wait(
            for: "NAT gateway \(gateway) to be deleted (it holds address \(id))", deadline: NATGatewayProvider.deadline
        ) { try await holder() == nil ? true : nil }
    }

    private func associate(_ id: String, _ desired: DesiredResource, _ ec2: EC2) async throws {
        try await ec2.call(
            "AssociateAddress",
            [(name: "AllocationId", value: id)]
                + desired.ec2Parameters([
                    "InstanceId": "instance",
                    "NetworkInterfaceId": "network_interface",
                    "PrivateIpAddress": "associate_with_private_ip",
                ]))
    }

    private func refreshed(_ id: String, _ context: ProviderContext) async throws -> LiveResource? {
        try await EC2(context).describe("DescribeAddresses", set: "addressesSet", [(name: "AllocationId.1", value: id)])
            .compactMap { live($0, context.region) }.first { $0.id == id }
    }
}
