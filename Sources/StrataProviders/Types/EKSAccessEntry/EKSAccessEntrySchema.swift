import StrataModel

extension ResourceSchema {
    /// `aws_eks_access_entry`: lets an IAM principal authenticate to the cluster.
    static let awsEKSAccessEntry = ResourceSchema(
        type: "aws_eks_access_entry", plane: .security, taggable: true,
        summary: "An EKS access entry for an IAM principal",
        attributes: [
            .id, .tags, .tagsAll,
            .computed("access_entry_arn", .string),
            .required("cluster_name", .string, forcesReplacement: true),
            .required("principal_arn", .string, forcesReplacement: true),
            // STANDARD for people and CI; EC2_LINUX for self-managed or Karpenter nodes.
            .defaulted("type", .string, .string("STANDARD"), forcesReplacement: true),
            AttributeSchema("kubernetes_groups", .list(.string), .optionalComputed),
            AttributeSchema("user_name", .string, .optionalComputed),
            .computed("created_at", .string),
            .computed("modified_at", .string),
        ])
}
