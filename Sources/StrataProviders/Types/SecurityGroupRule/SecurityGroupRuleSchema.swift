import StrataModel

extension ResourceSchema {
    /// `aws_security_group_rule`: one rule of a security group, managed on its own.
    static let awsSecurityGroupRule = ResourceSchema(
        type: "aws_security_group_rule", plane: .security, taggable: false,
        summary: "A single ingress or egress rule of a security group",
        attributes: [
            .id,
            .computed("security_group_rule_id", .string),
            // A rule is identified by all of its match fields; EC2 can only change the
            // description in place, so everything else replaces it.
            .required("type", .string, forcesReplacement: true),
            .required("security_group_id", .string, forcesReplacement: true),
            .required("from_port", .int, forcesReplacement: true),
            .required("to_port", .int, forcesReplacement: true),
            .required("protocol", .string, forcesReplacement: true),
            .optional("cidr_blocks", .list(.cidr), forcesReplacement: true),
            .optional("ipv6_cidr_blocks", .list(.string), forcesReplacement: true),
            .optional("prefix_list_ids", .list(.string), forcesReplacement: true),
            AttributeSchema("source_security_group_id", .string, .optionalComputed, forcesReplacement: true),
            .defaulted("self", .bool, .bool(false), forcesReplacement: true),
            .optional("description", .string),
        ])
}
