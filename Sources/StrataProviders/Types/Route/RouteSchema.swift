import StrataModel

extension ResourceSchema {
    /// `aws_route`: one route in a route table, managed on its own.
    static let awsRoute = ResourceSchema(
        type: "aws_route", plane: .network, taggable: false,
        summary: "A single route in a route table",
        attributes: [
            .id,
            // The destination is the route's identity inside its table; the target can be
            // swapped in place (ReplaceRoute).
            .required("route_table_id", .string, forcesReplacement: true),
            .optional("destination_cidr_block", .cidr, forcesReplacement: true),
            .optional("destination_ipv6_cidr_block", .string, forcesReplacement: true),
            .optional("destination_prefix_list_id", .string, forcesReplacement: true),
            .computed("instance_id", .string),
            .computed("instance_owner_id", .string),
            .computed("origin", .string),
            .computed("state", .string),
        ] + routeTargets)
}
