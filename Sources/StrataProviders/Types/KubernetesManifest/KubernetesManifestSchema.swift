import StrataModel

extension ResourceSchema {
    /// `kubernetes_manifest`: one Kubernetes object applied to a cluster of the stack (Karpenter's
    /// NodePool and EC2NodeClass, for instance).
    ///
    /// Terraform's kubernetes provider picks the cluster from provider configuration; strata has
    /// no provider blocks, so the object names its target cluster in `cluster` (usually
    /// `${cluster.name}` of an `aws_eks_cluster`). That reference also orders the object after
    /// the cluster, and its access entries, in the graph. `manifest` is `.any` because its
    /// shape is the object's kind's, which strata does not model; the API server validates it.
    static let kubernetesManifest = ResourceSchema(
        type: "kubernetes_manifest", plane: .control, taggable: false,
        summary: "A Kubernetes object applied to one of the stack's EKS clusters",
        attributes: [
            .id,
            .required("cluster", .string, forcesReplacement: true),
            .required("manifest", .any),
            .optional(
                "field_manager",
                .block([
                    .defaulted("name", .string, .string("strata")),
                    .defaulted("force_conflicts", .bool, .bool(false)),
                ])),
            .optional(
                "wait",
                .block([
                    .optional("rollout", .bool),
                    .optional("fields", .map(.string)),
                ])),
            // The object as the API server stored it, status included.
            .computed("object", .any),
        ])
}
