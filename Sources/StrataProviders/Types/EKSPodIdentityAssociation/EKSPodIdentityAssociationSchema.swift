import StrataModel

extension ResourceSchema {
    /// `aws_eks_pod_identity_association`: gives a service account a role through the
    /// EKS Pod Identity agent (no OIDC trust policy needed).
    static let awsEKSPodIdentityAssociation = ResourceSchema(
        type: "aws_eks_pod_identity_association", plane: .security, taggable: true,
        summary: "An EKS Pod Identity association of a service account with a role",
        attributes: [
            .id, .tags, .tagsAll,
            .computed("association_arn", .string),
            .computed("association_id", .string),
            .required("cluster_name", .string, forcesReplacement: true),
            .required("namespace", .string, forcesReplacement: true),
            .required("service_account", .string, forcesReplacement: true),
            // UpdatePodIdentityAssociation swaps the role in place.
            .required("role_arn", .string),
        ])
}
