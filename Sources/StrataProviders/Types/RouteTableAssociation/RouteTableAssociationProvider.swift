import AWSClient
import StrataModel

/// `aws_route_table_association`: which route table a subnet (or gateway) uses. Untagged:
/// discovered inside the stack's route tables. Its identity is the subnet (or gateway) alone:
/// one subnet has at most one association, and moving it to another table is an update
/// (ReplaceRouteTableAssociation), not a new association.
struct RouteTableAssociationProvider: ResourceProvider {
    let schema = ResourceSchema.awsRouteTableAssociation
    let deletion = DeletionRule(rank: 4, waitsFor: [:])

    func identity(of attributes: [String: Value]) -> String? {
        if let subnet = attributes.string("subnet_id") { return "subnet:\(subnet)" }
        if let gateway = attributes.string("gateway_id") { return "gateway:\(gateway)" }
        return nil
    }

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        try await RouteTableProvider.owned(EC2(context)).flatMap(associations)
    }

    /// The explicit associations of one table (not the VPC's main-table marker).
    func associations(_ table: XMLNode) -> [LiveResource] {
        (table.child("associationSet")?.items ?? []).compactMap { association in
            guard association.child("main")?.text != "true",
                let id = association.child("routeTableAssociationId")?.text,
                ["associated", "associating", nil].contains(association["associationState", "state"]?.text)
            else { return nil }
            let attributes: [String: Value] = [
                "id": .string(id),
                "route_table_id": EC2.string(association, "routeTableId") ?? EC2.string(table, "routeTableId") ?? .null,
                "subnet_id": EC2.string(association, "subnetId") ?? .null,
                "gateway_id": EC2.string(association, "gatewayId") ?? .null,
            ]
            guard let identity = identity(of: attributes), let table = attributes.string("route_table_id") else { return nil }
            return LiveResource(
                type: type, address: nil, id: id, identity: identity, attributes: attributes,
                parent: LiveResource.Parent(type: "aws_route_table", id: table))
        }
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let ec2 = EC2(context)
        let table = try desired.required("route_table_id")
        let target = desired.ec2Parameter("SubnetId", "subnet_id") + desired.ec2Parameter("GatewayId", "gateway_id")
        var id: String
        do {
            let answer = try await ec2.call("AssociateRouteTable", [(name: "RouteTableId", value: table)] + target)
            id = try EC2.createdID(answer, ["associationId"], call: "AssociateRouteTable", desired)
        } catch let error as AWSError where error.isAlreadyExists {
            // Associated already: an earlier run did it before crashing, or the subnet still sits
            // in another table. Find the association and point it at this table.
            guard let existing = try await findAssociation(desired.attributes, ec2) else { throw error }
            id = existing.id
            if existing.attributes.string("route_table_id") != table {
                id = try await replace(existing.id, table: table, ec2) ?? existing.id
            }
        }
        await RouteTableProvider.invalidate(ec2)
        var attributes = desired.attributes
        attributes["id"] = .string(id)
        return LiveResource(type: type, address: nil, id: id, identity: identity(of: desired.attributes), attributes: attributes)
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let ec2 = EC2(context)
        let table = try desired.required("route_table_id")
        // ReplaceRouteTableAssociation gives the association a new id.
        let id = try await replace(live.id, table: table, ec2) ?? live.id
        await RouteTableProvider.invalidate(ec2)
        var attributes = live.attributes
        attributes["route_table_id"] = .string(table)
        attributes["id"] = .string(id)
        return LiveResource(type: type, address: nil, id: id, identity: live.identity, attributes: attributes)
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let ec2 = EC2(context)
        try await ec2.callIgnoringNotFound("DisassociateRouteTable", [(name: "AssociationId", value: live.id)])
        await RouteTableProvider.invalidate(ec2)
    }

    private func replace(_ association: String, table: String, _ ec2: EC2) async throws -> String? {
        let answer = try await ec2.call(
            "ReplaceRouteTableAssociation", [(name: "AssociationId", value: association), (name: "RouteTableId", value: table)])
        return answer.child("newAssociationId")?.text
    }

    /// The association of a subnet (or gateway), whichever table holds it.
    private func findAssociation(_ attributes: [String: Value], _ ec2: EC2) async throws -> LiveResource? {
        let filter: (name: String, values: [String])
        if let subnet = attributes.string("subnet_id") {
            filter = (name: "association.subnet-id", values: [subnet])
        } else if let gateway = attributes.string("gateway_id") {
            filter = (name: "association.gateway-id", values: [gateway])
        } else {
            return nil
        }
        let wanted = identity(of: attributes)
        let tables = try await ec2.describe("DescribeRouteTables", set: "routeTableSet", QueryValue.filters([filter]))
        return tables.flatMap(associations).first { $0.identity == wanted }
    }
}
