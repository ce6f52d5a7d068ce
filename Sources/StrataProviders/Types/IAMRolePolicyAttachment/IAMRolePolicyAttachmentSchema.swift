import StrataModel

extension ResourceSchema {
    /// `aws_iam_role_policy_attachment`: attaches a managed policy to a role. Discovered through
    /// the role (ListAttachedRolePolicies), so it carries no tags of its own.
    static let awsIAMRolePolicyAttachment = ResourceSchema(
        type: "aws_iam_role_policy_attachment", plane: .security, taggable: false,
        summary: "Attaches a managed IAM policy to a role",
        attributes: [
            .id,
            .required("role", .string, forcesReplacement: true),
            .required("policy_arn", .string, forcesReplacement: true),
        ])
}
