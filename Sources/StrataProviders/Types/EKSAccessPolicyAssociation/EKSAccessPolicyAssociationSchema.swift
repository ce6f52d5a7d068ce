import StrataModel

extension ResourceSchema {
    /// `aws_eks_access_policy_association`: grants an access entry an EKS access policy.
    static let awsEKSAccessPolicyAssociation = ResourceSchema(
        type: "aws_eks_access_policy_association", plane: .security, taggable: false,
        summary: "Associates an EKS access policy with an access entry",
        attributes: [
            .id,
            .required("cluster_name", .string, forcesReplacement: true),
            .required("principal_arn", .string, forcesReplacement: true),
            .required("policy_arn", .string, forcesReplacement: true),
            .required(
                "access_scope",
                .block([
                    // `cluster` or `namespace`.
                    .required("type", .string),
                    .optional("namespaces", .list(.string)),
                ]),
                forcesReplacement: true),
            .computed("associated_at", .string),
            .computed("modified_at", .string),
        ])
}
