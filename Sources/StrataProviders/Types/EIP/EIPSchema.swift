import StrataModel

extension ResourceSchema {
    /// `aws_eip`: a static public IPv4 address, here mostly for NAT gateways.
    static let awsEIP = ResourceSchema(
        type: "aws_eip", plane: .network, taggable: true,
        summary: "An Elastic IP address",
        attributes: [
            .id, .arn, .tags, .tagsAll,
            // `vpc` is the only domain left since EC2-Classic retired; AllocateAddress defaults to it.
            .defaulted("domain", .string, .string("vpc"), forcesReplacement: true),
            .optional("address", .string, forcesReplacement: true),
            AttributeSchema("public_ipv4_pool", .string, .optionalComputed, forcesReplacement: true),
            AttributeSchema("network_border_group", .string, .optionalComputed, forcesReplacement: true),
            .optional("customer_owned_ipv4_pool", .string, forcesReplacement: true),
            .optional("instance", .string),
            AttributeSchema("network_interface", .string, .optionalComputed),
            .optional("associate_with_private_ip", .string),
            .computed("allocation_id", .string),
            .computed("association_id", .string),
            .computed("public_ip", .string),
            .computed("public_dns", .string),
            .computed("private_ip", .string),
            .computed("private_dns", .string),
            .computed("carrier_ip", .string),
            .computed("customer_owned_ip", .string),
            .computed("ptr_record", .string),
        ])
}
