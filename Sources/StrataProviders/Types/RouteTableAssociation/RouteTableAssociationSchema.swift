import StrataModel

extension ResourceSchema {
    /// `aws_route_table_association`: which route table a subnet (or gateway) uses.
    static let awsRouteTableAssociation = ResourceSchema(
        type: "aws_route_table_association", plane: .network, taggable: false,
        summary: "Associates a subnet or gateway with a route table",
        attributes: [
            .id,
            // ReplaceRouteTableAssociation switches the table in place; the subnet is identity.
            .required("route_table_id", .string),
            .optional("subnet_id", .string, forcesReplacement: true),
            .optional("gateway_id", .string, forcesReplacement: true),
        ])
}
