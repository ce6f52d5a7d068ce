import AWSClient
import StrataModel

/// `aws_route`: one route in a route table. Untagged: discovered inside the stack's route tables
/// (every route of an owned table except the table's `local` route and propagated ones is
/// strata's) and matched by identity: table and destination.
struct RouteProvider: ResourceProvider {
    let schema = ResourceSchema.awsRoute
    let deletion = DeletionRule(rank: 5, waitsFor: [:])

    /// Catalog target attribute and the EC2 names: in DescribeRouteTables and in CreateRoute.
    static let targetNames: [(attribute: String, read: String, wire: String)] = [
        ("gateway_id", "gatewayId", "GatewayId"),
        ("nat_gateway_id", "natGatewayId", "NatGatewayId"),
        ("network_interface_id", "networkInterfaceId", "NetworkInterfaceId"),
        ("transit_gateway_id", "transitGatewayId", "TransitGatewayId"),
        ("vpc_endpoint_id", "gatewayId", "VpcEndpointId"),
        ("vpc_peering_connection_id", "vpcPeeringConnectionId", "VpcPeeringConnectionId"),
        ("egress_only_gateway_id", "egressOnlyInternetGatewayId", "EgressOnlyInternetGatewayId"),
        ("carrier_gateway_id", "carrierGatewayId", "CarrierGatewayId"),
        ("local_gateway_id", "localGatewayId", "LocalGatewayId"),
        ("core_network_arn", "coreNetworkArn", "CoreNetworkArn"),
    ]

    /// Destinations: catalog name for `aws_route`, inline block name, EC2 read and wire names.
    static let destinationNames: [(attribute: String, inline: String, read: String, wire: String)] = [
        ("destination_cidr_block", "cidr_block", "destinationCidrBlock", "DestinationCidrBlock"),
        ("destination_ipv6_cidr_block", "ipv6_cidr_block", "destinationIpv6CidrBlock", "DestinationIpv6CidrBlock"),
        ("destination_prefix_list_id", "destination_prefix_list_id", "destinationPrefixListId", "DestinationPrefixListId"),
    ]

    /// Routes strata may own: not the VPC's `local` route, not propagated from a VPN gateway.
    static func isManaged(_ route: XMLNode) -> Bool {
        route.child("gatewayId")?.text != "local" && route.child("origin")?.text != "EnableVgwRoutePropagation"
            && route.child("origin")?.text != "CreateRouteTable"
    }

    /// The route's target as catalog attributes. EC2 reports VPC endpoints in `gatewayId`.
    static func targets(of route: XMLNode) -> [String: Value] {
        var out: [String: Value] = [:]
        for target in targetNames {
            guard let text = route.child(target.read)?.text, !text.isEmpty else { continue }
            switch target.attribute {
            case "gateway_id" where text.hasPrefix("vpce-"): continue
            case "vpc_endpoint_id" where !text.hasPrefix("vpce-"): continue
            default: out[target.attribute] = .string(text)
            }
        }
        return out
    }

    func identity(of attributes: [String: Value]) -> String? {
        guard let table = attributes.string("route_table_id") else { return nil }
        for destination in Self.destinationNames {
            if let value = attributes.string(destination.attribute) { return "\(table)|\(value)" }
        }
        return nil
    }

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        let tables = try await RouteTableProvider.owned(EC2(context))
        return tables.flatMap { table -> [LiveResource] in
            guard let tableID = table.child("routeTableId")?.text else { return [] }
            return (table.child("routeSet")?.items ?? []).filter(Self.isManaged).compactMap { live($0, table: tableID) }
        }
    }

    func live(_ route: XMLNode, table: String) -> LiveResource? {
        var attributes: [String: Value] = ["route_table_id": .string(table)]
        for destination in Self.destinationNames {
            attributes[destination.attribute] = EC2.string(route, destination.read) ?? .null
        }
        for target in Self.targetNames { attributes[target.attribute] = .null }
        for (attribute, value) in Self.targets(of: route) { attributes[attribute] = value }
        attributes["instance_id"] = EC2.string(route, "instanceId") ?? .null
        attributes["instance_owner_id"] = EC2.string(route, "instanceOwnerId") ?? .null
        attributes["origin"] = EC2.string(route, "origin") ?? .null
        attributes["state"] = EC2.string(route, "state") ?? .null
        guard let identity = identity(of: attributes) else { return nil }
        // Terraform's route id is the table and a hash of the destination; the identity reads better.
        attributes["id"] = .string(identity)
        return LiveResource(
            type: type, address: nil, id: identity, identity: identity, attributes: attributes,
            parent: LiveResource.Parent(type: "aws_route_table", id: table))
    }

    /// The route as an inline block, so CreateRoute/ReplaceRoute parameters come from one place.
    static func block(_ attributes: [String: Value]) -> Value {
        var block: [String: Value] = [:]
        for destination in destinationNames { block[destination.inline] = attributes[destination.attribute] }
        for target in targetNames { block[target.attribute] = attributes[target.attribute] }
        return .map(block)
    }

    /// Destination parameters of an inline block.
    static func destinationParameters(_ block: Value) -> EC2.Parameters {
        guard case .map(let fields) = block else { return [] }
        return destinationNames.compactMap { name in
            fields[name.inline]?.stringValue.map { (name: name.wire, value: $0) }
        }
    }

    /// Destination and target parameters of an inline block.
    static func routeParameters(_ block: Value) -> EC2.Parameters {
        guard case .map(let fields) = block else { return [] }
        return destinationParameters(block)
            + targetNames.compactMap { name in
                fields[name.attribute]?.stringValue.map { (name: name.wire, value: $0) }
            }
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let ec2 = EC2(context)
        let table = try desired.required("route_table_id")
        let block = Self.block(desired.attributes)
        do {
            try await ec2.call("CreateRoute", [(name: "RouteTableId", value: table)] + Self.routeParameters(block))
        } catch let error as AWSError where error.isAlreadyExists {
            // The route is there already: an earlier run created it before crashing (the table
            // is the stack's, so the route is too). Point it where the stack says.
            try await ec2.call("ReplaceRoute", [(name: "RouteTableId", value: table)] + Self.routeParameters(block))
        }
        await RouteTableProvider.invalidate(ec2)
        return try await refreshed(desired.attributes, context)
            ?? LiveResource(
                type: type, address: nil, id: identity(of: desired.attributes) ?? table, identity: identity(of: desired.attributes),
                attributes: desired.attributes)
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let ec2 = EC2(context)
        let table = try desired.required("route_table_id")
        // Only the target changes in place (the destination and table force a replacement).
        try await ec2.call("ReplaceRoute", [(name: "RouteTableId", value: table)] + Self.routeParameters(Self.block(desired.attributes)))
        await RouteTableProvider.invalidate(ec2)
        return try await refreshed(desired.attributes, context) ?? live
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let ec2 = EC2(context)
        guard let table = live.attributes.string("route_table_id") else { return }
        try await ec2.callIgnoringNotFound(
            "DeleteRoute", [(name: "RouteTableId", value: table)] + Self.destinationParameters(Self.block(live.attributes)))
        await RouteTableProvider.invalidate(ec2)
    }

    private func refreshed(_ attributes: [String: Value], _ context: ProviderContext) async throws -> LiveResource? {
        guard let table = attributes.string("route_table_id"), let identity = identity(of: attributes) else { return nil }
        let tables = try await EC2(context).describe("DescribeRouteTables", set: "routeTableSet", [(name: "RouteTableId.1", value: table)])
        return tables.flatMap { ($0.child("routeSet")?.items ?? []).compactMap { live($0, table: table) } }.first {
            $0.identity == identity
        }
    }
}
