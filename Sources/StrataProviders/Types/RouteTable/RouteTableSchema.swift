import StrataModel

extension ResourceSchema {
    /// The destinations and targets of one route; shared by the inline `route` block of
    /// `aws_route_table` (as a list of these) and by `aws_route` (flattened).
    static let routeTargets: [AttributeSchema] = [
        .optional("gateway_id", .string),
        .optional("nat_gateway_id", .string),
        .optional("network_interface_id", .string),
        .optional("transit_gateway_id", .string),
        .optional("vpc_endpoint_id", .string),
        .optional("vpc_peering_connection_id", .string),
        .optional("egress_only_gateway_id", .string),
        .optional("carrier_gateway_id", .string),
        .optional("local_gateway_id", .string),
        .optional("core_network_arn", .string),
    ]

    /// `aws_route_table`: the routes a set of subnets share.
    static let awsRouteTable = ResourceSchema(
        type: "aws_route_table", plane: .network, taggable: true,
        summary: "A route table of a VPC",
        attributes: [
            .id, .arn, .ownerID, .tags, .tagsAll,
            .required("vpc_id", .string, forcesReplacement: true),
            // Inline routes: optional and computed because routes added by `aws_route` show up
            // here too. A stack should use one style per table, as with Terraform.
            AttributeSchema(
                "route",
                .list(
                    .block(
                        [
                            .optional("cidr_block", .cidr),
                            .optional("ipv6_cidr_block", .string),
                            .optional("destination_prefix_list_id", .string),
                        ] + routeTargets)),
                .optionalComputed),
            AttributeSchema("propagating_vgws", .list(.string), .optionalComputed),
        ],
        inlineChildren: ["aws_route": InlineChildren(attribute: "route", parentReference: "route_table_id")])
}
