import AWSClient
import StrataModel

/// `aws_internet_gateway`: created with its tags, then attached to `vpc_id` (a separate call;
/// moving the gateway to another VPC is detach then attach, an update).
struct InternetGatewayProvider: ResourceProvider {
    let schema = ResourceSchema.awsInternetGateway
    // "Network has some mapped public address(es)": NAT gateways and their addresses first.
    let deletion = DeletionRule(rank: 7, waitsFor: ["aws_nat_gateway": .every, "aws_eip": .every, "aws_route": .every])

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        try await EC2(context).owned("DescribeInternetGateways", set: "internetGatewaySet").compactMap { live($0, context.region) }
    }

    func live(_ gateway: XMLNode, _ region: String) -> LiveResource? {
        guard let id = gateway.child("internetGatewayId")?.text else { return nil }
        let owner = gateway.child("ownerId")?.text ?? ""
        // The attachment comes back inside the gateway; a detaching one no longer counts.
        let attachment = gateway.child("attachmentSet")?.items.first {
            let state = $0.child("state")?.text
            return state == "available" || state == "attached" || state == "attaching"
        }
        let attributes: [String: Value] = [
            "vpc_id": attachment.flatMap { EC2.string($0, "vpcId") } ?? .null,
            "owner_id": .string(owner),
            "arn": .string("arn:aws:ec2:\(region):\(owner):internet-gateway/\(id)"),
        ]
        return EC2.taggedResource(type: type, id: id, item: gateway, attributes: attributes)
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let ec2 = EC2(context)
        let answer = try await ec2.call("CreateInternetGateway", EC2.tagSpecification("internet-gateway", desired.tags))
        let id = try EC2.createdID(answer, ["internetGateway", "internetGatewayId"], call: "CreateInternetGateway", desired)
        await ec2.invalidate("DescribeInternetGateways")
        // A crash before the attach leaves a tagged, detached gateway: the next plan shows
        // `vpc_id` as an update, which attaches it.
        if let vpc = desired.attributes.string("vpc_id") { try await attach(id, vpc, ec2) }
        return try await refreshed(id, context) ?? answer.child("internetGateway").flatMap { live($0, context.region) }
            ?? LiveResource(type: type, address: desired.address, id: id, attributes: ["id": .string(id)])
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let ec2 = EC2(context)
        if changed.contains("vpc_id") {
            if let old = live.attributes.string("vpc_id") { try await detach(live.id, old, ec2) }
            if let vpc = desired.attributes.string("vpc_id") { try await attach(live.id, vpc, ec2) }
        }
        try await TagSync.update(live, to: desired, changed: changed, ec2.tagCalls(live.id))
        await ec2.invalidate("DescribeInternetGateways")
        return try await refreshed(live.id, context) ?? live
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let ec2 = EC2(context)
        if let vpc = live.attributes.string("vpc_id") { try await detach(live.id, vpc, ec2) }
        try await ec2.callIgnoringNotFound("DeleteInternetGateway", [(name: "InternetGatewayId", value: live.id)])
        await ec2.invalidate("DescribeInternetGateways")
    }

    private func attach(_ id: String, _ vpc: String, _ ec2: EC2) async throws {
        do {
            try await ec2.call("AttachInternetGateway", [(name: "InternetGatewayId", value: id), (name: "VpcId", value: vpc)])
        } catch let error as AWSError where error.code == "Resource.AlreadyAssociated" {
            // Already attached (a retried attach): fine when it is this VPC, which the refreshed
            // read then shows; another VPC shows as a difference on the next plan.
        }
    }

    private func detach(_ id: String, _ vpc: String, _ ec2: EC2) async throws {
        do {
            try await ec2.call("DetachInternetGateway", [(name: "InternetGatewayId", value: id), (name: "VpcId", value: vpc)])
        } catch let error as AWSError where error.isNotFound || error.code == "Gateway.NotAttached" {
            // Detached or gone already.
        }
    }

    private func refreshed(_ id: String, _ context: ProviderContext) async throws -> LiveResource? {
        try await EC2(context).describe("DescribeInternetGateways", set: "internetGatewaySet", [(name: "InternetGatewayId.1", value: id)])
            .compactMap { live($0, context.region) }.first { $0.id == id }
    }
}
