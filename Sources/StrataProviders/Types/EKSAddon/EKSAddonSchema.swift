import StrataModel

extension ResourceSchema {
    /// `aws_eks_addon`: an EKS-managed add-on (vpc-cni, kube-proxy, coredns, ...).
    static let awsEKSAddon = ResourceSchema(
        type: "aws_eks_addon", plane: .control, taggable: true,
        summary: "An EKS add-on",
        attributes: [
            .id, .arn, .tags, .tagsAll,
            .required("cluster_name", .string, forcesReplacement: true),
            .required("addon_name", .string, forcesReplacement: true),
            // EKS installs the default version for the cluster's minor when omitted; the rollout
            // engine moves it one minor at a time.
            AttributeSchema("addon_version", .string, .optionalComputed),
            AttributeSchema("configuration_values", .json, .optionalComputed),
            .optional("resolve_conflicts_on_create", .string),
            .optional("resolve_conflicts_on_update", .string),
            // Keep the add-on's Kubernetes objects running when the add-on is deleted.
            .optional("preserve", .bool),
            .optional("service_account_role_arn", .string),
            .optional(
                "pod_identity_association",
                .list(
                    .block([
                        .required("role_arn", .string),
                        .required("service_account", .string),
                    ]))),
            .computed("created_at", .string),
            .computed("modified_at", .string),
        ])
}
