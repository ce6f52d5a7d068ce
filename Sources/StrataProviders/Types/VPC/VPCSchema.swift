import StrataModel

extension ResourceSchema {
    /// `aws_vpc`: the network every other resource of a platform lives in.
    static let awsVPC = ResourceSchema(
        type: "aws_vpc", plane: .network, taggable: true,
        summary: "A virtual private cloud: an isolated IPv4 (and optionally IPv6) network",
        attributes: [
            .id, .arn, .ownerID, .tags, .tagsAll,
            // Optional only because an IPAM pool may allocate it instead; the primary block of a
            // VPC cannot be changed after creation.
            AttributeSchema("cidr_block", .cidr, .optionalComputed, forcesReplacement: true),
            .optional("ipv4_ipam_pool_id", .string, forcesReplacement: true),
            .optional("ipv4_netmask_length", .int, forcesReplacement: true),
            // ModifyVpcTenancy can only move dedicated -> default, so it is updatable.
            .defaulted("instance_tenancy", .string, .string("default")),
            .defaulted("enable_dns_support", .bool, .bool(true)),
            // AWS enables DNS hostnames only for the default VPC; every VPC strata creates is not.
            .defaulted("enable_dns_hostnames", .bool, .bool(false)),
            .defaulted("enable_network_address_usage_metrics", .bool, .bool(false)),
            .defaulted("assign_generated_ipv6_cidr_block", .bool, .bool(false)),
            AttributeSchema("ipv6_cidr_block", .string, .optionalComputed),
            .optional("ipv6_ipam_pool_id", .string),
            .optional("ipv6_netmask_length", .int),
            .computed("ipv6_association_id", .string),
            .computed("default_route_table_id", .string),
            .computed("main_route_table_id", .string),
            .computed("default_network_acl_id", .string),
            .computed("default_security_group_id", .string),
            .computed("dhcp_options_id", .string),
        ],
        limits: [
            // CreateVpc: "The allowed block size is between a /16 netmask and /28 netmask".
            "cidr_block": .cidrPrefix(16...28, what: "VPC")
        ])
}
