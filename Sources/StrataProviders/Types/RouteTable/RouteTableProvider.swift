import AWSClient
import StrataModel

/// `aws_route_table`: CreateRouteTable with its tags and a client token, then one CreateRoute per
/// inline `route`. Its routes and subnet associations come back in the same description, which
/// ``RouteProvider`` and ``RouteTableAssociationProvider`` read through the same cached call.
struct RouteTableProvider: ResourceProvider {
    let schema = ResourceSchema.awsRouteTable
    let deletion = DeletionRule(rank: 6, waitsFor: ["aws_route_table_association": .naming, "aws_route": .naming])
    let normalisation = NormalisationRules(sets: ["propagating_vgws", "route"])

    /// The stack's route tables, one paginated read shared by the three route types.
    static func owned(_ ec2: EC2) async throws -> [XMLNode] {
        try await ec2.owned("DescribeRouteTables", set: "routeTableSet")
    }

    static func invalidate(_ ec2: EC2) async { await ec2.invalidate("DescribeRouteTables") }

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        try await Self.owned(EC2(context)).compactMap { live($0, context.region) }
    }

    func live(_ table: XMLNode, _ region: String) -> LiveResource? {
        guard let id = table.child("routeTableId")?.text else { return nil }
        let owner = table.child("ownerId")?.text ?? ""
        // By destination, so the same routes always read the same.
        let routes = (table.child("routeSet")?.items ?? []).filter(RouteProvider.isManaged).map(Self.inlineRoute)
            .sorted { Self.destination(of: $0) < Self.destination(of: $1) }
        let attributes: [String: Value] = [
            "vpc_id": EC2.string(table, "vpcId") ?? .null,
            "owner_id": .string(owner),
            "arn": .string("arn:aws:ec2:\(region):\(owner):route-table/\(id)"),
            "route": .list(routes),
            "propagating_vgws": .list((table.child("propagatingVgwSet")?.items ?? []).compactMap { EC2.string($0, "gatewayId") }),
        ]
        return EC2.taggedResource(type: type, id: id, item: table, attributes: attributes)
    }

    /// One route as an inline `route` block: its destination and its target, nothing unset.
    static func inlineRoute(_ route: XMLNode) -> Value {
        var block: [String: Value] = [:]
        block["cidr_block"] = EC2.string(route, "destinationCidrBlock")
        block["ipv6_cidr_block"] = EC2.string(route, "destinationIpv6CidrBlock")
        block["destination_prefix_list_id"] = EC2.string(route, "destinationPrefixListId")
        for (attribute, value) in RouteProvider.targets(of: route) { block[attribute] = value }
        return .map(block)
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let ec2 = EC2(context)
        let answer = try await ec2.call(
            "CreateRouteTable",
            [(name: "VpcId", value: try desired.required("vpc_id"))] + EC2.tagSpecification("route-table", desired.tags),
            clientToken: EC2.clientToken(desired))
        let id = try EC2.createdID(answer, ["routeTable", "routeTableId"], call: "CreateRouteTable", desired)
        await Self.invalidate(ec2)
        // Inline routes follow; a crash in between leaves a tagged table whose next plan shows
        // `route` as an update.
        if let routes = desired.attributes["route"], case .list(let blocks) = routes {
            for block in blocks { try await createRoute(id, block, ec2) }
        }
        for gateway in desired.attributes["propagating_vgws"]?.stringList ?? [] {
            try await ec2.call("EnableVgwRoutePropagation", [(name: "RouteTableId", value: id), (name: "GatewayId", value: gateway)])
        }
        return try await refreshed(id, context)
            ?? LiveResource(type: type, address: desired.address, id: id, attributes: ["id": .string(id)])
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let ec2 = EC2(context)
        if changed.contains("route") {
            // Routes match by destination: gone ones are deleted, new ones created, changed
            // targets replaced in place.
            let have = Self.byDestination(live.attributes["route"])
            let want = Self.byDestination(desired.attributes["route"])
            for (_, block) in have.filter({ want[$0.key] == nil }).sorted(by: { $0.key < $1.key }) {
                try await ec2.callIgnoringNotFound(
                    "DeleteRoute", [(name: "RouteTableId", value: live.id)] + RouteProvider.destinationParameters(block))
            }
            for (destination, block) in want.sorted(by: { $0.key < $1.key }) {
                if let current = have[destination] {
                    if !NetworkValues.same(current, block) {
                        try await ec2.call("ReplaceRoute", [(name: "RouteTableId", value: live.id)] + RouteProvider.routeParameters(block))
                    }
                } else {
                    try await createRoute(live.id, block, ec2)
                }
            }
        }
        if changed.contains("propagating_vgws") {
            let have = Set(live.attributes["propagating_vgws"]?.stringList ?? [])
            let want = Set(desired.attributes["propagating_vgws"]?.stringList ?? [])
            for gateway in have.subtracting(want).sorted() {
                try await ec2.call(
                    "DisableVgwRoutePropagation", [(name: "RouteTableId", value: live.id), (name: "GatewayId", value: gateway)])
            }
            for gateway in want.subtracting(have).sorted() {
                try await ec2.call(
                    "EnableVgwRoutePropagation", [(name: "RouteTableId", value: live.id), (name: "GatewayId", value: gateway)])
            }
        }
        try await TagSync.update(live, to: desired, changed: changed, ec2.tagCalls(live.id))
        await Self.invalidate(ec2)
        return try await refreshed(live.id, context) ?? live
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let ec2 = EC2(context)
        try await ec2.callIgnoringNotFound("DeleteRouteTable", [(name: "RouteTableId", value: live.id)])
        await Self.invalidate(ec2)
    }

    private func createRoute(_ table: String, _ block: Value, _ ec2: EC2) async throws {
        try await ec2.call("CreateRoute", [(name: "RouteTableId", value: table)] + RouteProvider.routeParameters(block))
    }

    /// Inline route blocks by their destination.
    static func byDestination(_ routes: Value?) -> [String: Value] {
        guard case .list(let blocks)? = routes else { return [:] }
        var out: [String: Value] = [:]
        for block in blocks { out[destination(of: block)] = block }
        return out
    }

    /// An inline route's destination: its IPv4 or IPv6 block or its prefix list.
    static func destination(of block: Value) -> String {
        guard case .map(let fields) = block else { return "" }
        return fields["cidr_block"]?.stringValue ?? fields["ipv6_cidr_block"]?.stringValue
            ?? fields["destination_prefix_list_id"]?.stringValue ?? ""
    }

    private func refreshed(_ id: String, _ context: ProviderContext) async throws -> LiveResource? {
        try await EC2(context).describe("DescribeRouteTables", set: "routeTableSet", [(name: "RouteTableId.1", value: id)])
            .compactMap { live($0, context.region) }.first { $0.id == id }
    }
}

/// Value comparisons the network providers need: blocks compare without their null fields.
enum NetworkValues {
    static func same(_ a: Value, _ b: Value) -> Bool { normal(a) == normal(b) }

    static func normal(_ value: Value) -> Value {
        switch value {
        case .map(let members): .map(members.filter { $0.value != .null }.mapValues(normal))
        case .list(let items): .list(items.map(normal))
        default: value
        }
    }
}
