import StrataModel

extension ResourceSchema {
    /// `aws_nat_gateway`: outbound internet for private subnets.
    static let awsNATGateway = ResourceSchema(
        type: "aws_nat_gateway", plane: .network, taggable: true,
        summary: "A NAT gateway in a public subnet (or a private one for private NAT)",
        attributes: [
            .id, .tags, .tagsAll,
            // A NAT gateway has no modify call for its placement or primary address.
            .required("subnet_id", .string, forcesReplacement: true),
            .optional("allocation_id", .string, forcesReplacement: true),
            .defaulted("connectivity_type", .string, .string("public"), forcesReplacement: true),
            AttributeSchema("private_ip", .string, .optionalComputed, forcesReplacement: true),
            .optional("secondary_allocation_ids", .list(.string)),
            AttributeSchema("secondary_private_ip_address_count", .int, .optionalComputed),
            AttributeSchema("secondary_private_ip_addresses", .list(.string), .optionalComputed),
            .computed("association_id", .string),
            .computed("network_interface_id", .string),
            .computed("public_ip", .string),
        ])
}
