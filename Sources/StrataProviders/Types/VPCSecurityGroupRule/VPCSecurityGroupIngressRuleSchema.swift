import StrataModel

extension ResourceSchema {
    /// The fields shared by `aws_vpc_security_group_ingress_rule` and its egress twin: one
    /// source or destination per rule, which is why these have their own ids and tags.
    static func vpcSecurityGroupRuleAttributes() -> [AttributeSchema] {
        [
            .id, .arn, .tags, .tagsAll,
            .computed("security_group_rule_id", .string),
            .required("security_group_id", .string, forcesReplacement: true),
            // `-1` means all protocols; ports are then omitted.
            .required("ip_protocol", .string),
            .optional("from_port", .int),
            .optional("to_port", .int),
            .optional("cidr_ipv4", .cidr),
            .optional("cidr_ipv6", .string),
            .optional("prefix_list_id", .string),
            // The peer group: the source of an ingress rule, the destination of an egress one.
            AttributeSchema("referenced_security_group_id", .string, .optional),
            .optional("description", .string),
        ]
    }

    /// `aws_vpc_security_group_ingress_rule`: one inbound rule, with its own id and tags.
    static let awsVPCSecurityGroupIngressRule = ResourceSchema(
        type: "aws_vpc_security_group_ingress_rule", plane: .security, taggable: true,
        summary: "An inbound rule of a security group (one source per rule)",
        attributes: vpcSecurityGroupRuleAttributes())
}
