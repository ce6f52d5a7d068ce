import AWSClient
import StrataModel

/// `aws_nat_gateway`: CreateNatGateway with its tags and a client token (a retried or re-run
/// create returns the first gateway), then a wait until it is `available`; delete waits until
/// it is `deleted`, since its subnet and address stay in use until then.
struct NATGatewayProvider: ResourceProvider {
    let schema = ResourceSchema.awsNATGateway
    let deletion = DeletionRule(rank: 5, waitsFor: [:])
    let normalisation = NormalisationRules(sets: ["secondary_allocation_ids", "secondary_private_ip_addresses"])

    /// AWS's own bound for a NAT gateway to become available or go away.
    static let deadline: Duration = .seconds(600)

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        // Deleted gateways stay visible (with their tags) for about an hour: they are not live.
        try await EC2(context).owned("DescribeNatGateways", set: "natGatewaySet")
            .filter { !["deleted", "deleting", "failed"].contains($0.child("state")?.text ?? "") }
            .compactMap(live)
    }

    func live(_ gateway: XMLNode) -> LiveResource? {
        guard let id = gateway.child("natGatewayId")?.text else { return nil }
        let addresses = gateway.child("natGatewayAddressSet")?.items ?? []
        let primary = addresses.first { $0.child("isPrimary")?.text == "true" } ?? addresses.first
        let secondary = addresses.filter { $0 != primary }
        var attributes: [String: Value] = [:]
        attributes["subnet_id"] = EC2.string(gateway, "subnetId") ?? .null
        attributes["connectivity_type"] = EC2.string(gateway, "connectivityType") ?? .string("public")
        attributes["allocation_id"] = primary.flatMap { EC2.string($0, "allocationId") } ?? .null
        attributes["association_id"] = primary.flatMap { EC2.string($0, "associationId") } ?? .null
        attributes["network_interface_id"] = primary.flatMap { EC2.string($0, "networkInterfaceId") } ?? .null
        attributes["private_ip"] = primary.flatMap { EC2.string($0, "privateIp") } ?? .null
        attributes["public_ip"] = primary.flatMap { EC2.string($0, "publicIp") } ?? .null
        attributes["secondary_allocation_ids"] = .list(secondary.compactMap { EC2.string($0, "allocationId") })
        attributes["secondary_private_ip_addresses"] = .list(secondary.compactMap { EC2.string($0, "privateIp") })
        attributes["secondary_private_ip_address_count"] = .int(secondary.count)
        var live = EC2.taggedResource(type: type, id: id, item: gateway, attributes: attributes)
        if gateway.child("state")?.text == "pending" { live.transitional = "pending" }
        return live
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let ec2 = EC2(context)
        var parameters =
            [(name: "SubnetId", value: try desired.required("subnet_id"))]
            + desired.ec2Parameters([
                "AllocationId": "allocation_id",
                "ConnectivityType": "connectivity_type",
                "PrivateIpAddress": "private_ip",
                "SecondaryPrivateIpAddressCount": "secondary_private_ip_address_count",
            ])
        for (index, allocation) in (desired.attributes["secondary_allocation_ids"]?.stringList ?? []).enumerated() {
            parameters.append((name: "SecondaryAllocationId.\(index + 1)", value: allocation))
        }
        for (index, address) in (desired.attributes["secondary_private_ip_addresses"]?.stringList ?? []).enumerated() {
            parameters.append((name: "SecondaryPrivateIpAddress.\(index + 1)", value: address))
        }
        parameters += EC2.tagSpecification("natgateway", desired.tags)
        let answer = try await ec2.call("CreateNatGateway", parameters, clientToken: EC2.clientToken(desired))
        let id = try EC2.createdID(answer, ["natGateway", "natGatewayId"], call: "CreateNatGateway", desired)
        await ec2.invalidate("DescribeNatGateways")
        let gateway = try await waitAvailable(id, ec2, context, what: "NAT gateway \(id) to become available")
        return live(gateway) ?? LiveResource(type: type, address: desired.address, id: id, attributes: ["id": .string(id)])
    }

    /// A gateway still `pending` when discovered (its create's wait was cut short): the routes
    /// through it wait until it is available. Discovery keeps no state, so this asks EC2 once.
    func settle(_ live: LiveResource, _ context: ProviderContext) async throws -> LiveResource? {
        let ec2 = EC2(context)
        guard let gateway = try await describe(live.id, ec2), gateway.child("state")?.text == "pending" else { return nil }
        return self.live(try await waitAvailable(live.id, ec2, context, what: "NAT gateway \(live.id) to become available (found pending)"))
    }

    private func waitAvailable(_ id: String, _ ec2: EC2, _ context: ProviderContext, what: String) async throws -> XMLNode {
        try await Waiter(policy: context.waits).wait(for: what, deadline: Self.deadline) {
            guard let gateway = try await describe(id, ec2) else { return nil }
            switch gateway.child("state")?.text {
            case "available": return gateway
            case "failed", "deleting", "deleted":
                throw AWSError(
                    service: "ec2", code: gateway.child("failureCode")?.text ?? "NatGatewayFailed",
                    message: gateway.child("failureMessage")?.text ?? "NAT gateway \(id) is \(gateway.child("state")?.text ?? "gone")",
                    httpStatus: 200, requestID: nil)
            default: return nil
            }
        }
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let ec2 = EC2(context)
        if changed.contains("secondary_allocation_ids") {
            let have = Set(live.attributes["secondary_allocation_ids"]?.stringList ?? [])
            let want = Set(desired.attributes["secondary_allocation_ids"]?.stringList ?? [])
            let removed = have.subtracting(want).sorted()
            if !removed.isEmpty {
                // Disassociation takes the addresses' association ids; the gateway lists them.
                let gateway = try await describe(live.id, ec2)
                let associations = (gateway?.child("natGatewayAddressSet")?.items ?? []).filter {
                    removed.contains($0.child("allocationId")?.text ?? "")
                }.compactMap { $0.child("associationId")?.text }
                var parameters: EC2.Parameters = [(name: "NatGatewayId", value: live.id)]
                for (index, association) in associations.enumerated() {
                    parameters.append((name: "AssociationId.\(index + 1)", value: association))
                }
                try await ec2.call("DisassociateNatGatewayAddress", parameters)
            }
            let added = want.subtracting(have).sorted()
            if !added.isEmpty {
                var parameters: EC2.Parameters = [(name: "NatGatewayId", value: live.id)]
                for (index, allocation) in added.enumerated() {
                    parameters.append((name: "AllocationId.\(index + 1)", value: allocation))
                }
                try await ec2.call("AssociateNatGatewayAddress", parameters)
            }
        }
        if !changed.isDisjoint(with: ["secondary_private_ip_addresses", "secondary_private_ip_address_count"]) {
            try await resizePrivateAddresses(live, desired, ec2)
        }
        try await TagSync.update(live, to: desired, changed: changed, ec2.tagCalls(live.id))
        await ec2.invalidate("DescribeNatGateways")
        return try await describe(live.id, ec2).flatMap(self.live) ?? live
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let ec2 = EC2(context)
        try await ec2.callIgnoringNotFound("DeleteNatGateway", [(name: "NatGatewayId", value: live.id)])
        await ec2.invalidate("DescribeNatGateways")
        _ = try await Waiter(policy: context.waits).wait(for: "NAT gateway \(live.id) to be deleted", deadline: Self.deadline) {
            () async throws -> Bool? in
            guard let gateway = try await describe(live.id, ec2) else { return true }
            return gateway.child("state")?.text == "deleted" ? true : nil
        }
    }

    /// A private NAT's secondary addresses: named ones assigned and unassigned to match, or a
    /// count grown by assigning more and shrunk by unassigning the last ones.
    private func resizePrivateAddresses(_ live: LiveResource, _ desired: DesiredResource, _ ec2: EC2) async throws {
        let have = live.attributes["secondary_private_ip_addresses"]?.stringList ?? []
        var assign: EC2.Parameters = []
        var unassign: [String] = []
        if let wanted = desired.attributes["secondary_private_ip_addresses"], wanted != .null {
            let want = wanted.stringList
            for (index, address) in want.filter({ !have.contains($0) }).enumerated() {
                assign.append((name: "PrivateIpAddress.\(index + 1)", value: address))
            }
            unassign = have.filter { !want.contains($0) }
        } else if let count = desired.attributes.int("secondary_private_ip_address_count") {
            if count > have.count {
                assign = [(name: "PrivateIpAddressCount", value: String(count - have.count))]
            } else {
                unassign = Array(have.suffix(have.count - count))
            }
        }
        if !unassign.isEmpty {
            var parameters: EC2.Parameters = [(name: "NatGatewayId", value: live.id)]
            for (index, address) in unassign.enumerated() { parameters.append((name: "PrivateIpAddress.\(index + 1)", value: address)) }
            try await ec2.call("UnassignPrivateNatGatewayAddress", parameters)
        }
        if !assign.isEmpty {
            try await ec2.call("AssignPrivateNatGatewayAddress", [(name: "NatGatewayId", value: live.id)] + assign)
        }
    }

    /// One gateway by id; nil once AWS no longer knows it.
    private func describe(_ id: String, _ ec2: EC2) async throws -> XMLNode? {
        do {
            return try await ec2.describe(
                "DescribeNatGateways", set: "natGatewaySet", [(name: "NatGatewayId.1", value: id)]
            ).first { $0.child("natGatewayId")?.text == id }
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }
}
