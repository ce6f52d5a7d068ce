import StrataModel

extension ResourceSchema {
    /// `aws_vpc_security_group_egress_rule`: one outbound rule, with its own id and tags.
    static let awsVPCSecurityGroupEgressRule = ResourceSchema(
        type: "aws_vpc_security_group_egress_rule", plane: .security, taggable: true,
        summary: "An outbound rule of a security group (one destination per rule)",
        attributes: vpcSecurityGroupRuleAttributes())
}
