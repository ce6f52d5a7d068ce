import StrataModel

extension ResourceSchema {
    /// `aws_subnet`: one zone's slice of a VPC.
    static let awsSubnet = ResourceSchema(
        type: "aws_subnet", plane: .network, taggable: true,
        summary: "A subnet: a CIDR range of a VPC in one availability zone",
        attributes: [
            .id, .arn, .ownerID, .tags, .tagsAll,
            .required("vpc_id", .string, forcesReplacement: true),
            .optional("cidr_block", .cidr, forcesReplacement: true),
            // AWS picks a zone when neither is given; a subnet never moves between zones.
            AttributeSchema("availability_zone", .string, .optionalComputed, forcesReplacement: true),
            AttributeSchema("availability_zone_id", .string, .optionalComputed, forcesReplacement: true),
            .defaulted("map_public_ip_on_launch", .bool, .bool(false)),
            .defaulted("assign_ipv6_address_on_creation", .bool, .bool(false)),
            .optional("ipv6_cidr_block", .string),
            .computed("ipv6_cidr_block_association_id", .string),
            .defaulted("ipv6_native", .bool, .bool(false), forcesReplacement: true),
            .defaulted("enable_dns64", .bool, .bool(false)),
            .defaulted("enable_resource_name_dns_a_record_on_launch", .bool, .bool(false)),
            .defaulted("enable_resource_name_dns_aaaa_record_on_launch", .bool, .bool(false)),
            .defaulted("private_dns_hostname_type_on_launch", .string, .string("ip-name")),
            .optional("customer_owned_ipv4_pool", .string),
            .defaulted("map_customer_owned_ip_on_launch", .bool, .bool(false)),
            .optional("outpost_arn", .string),
        ],
        limits: [
            // CreateSubnet: the same /16–/28 range as VPCs.
            "cidr_block": .cidrPrefix(16...28, what: "subnet")
        ])
}
