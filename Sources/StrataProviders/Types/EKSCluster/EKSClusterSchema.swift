import StrataModel

extension ResourceSchema {
    /// `aws_eks_cluster`: the Kubernetes control plane.
    ///
    /// Blocks the Terraform provider models as single-element lists (`vpc_config`,
    /// `certificate_authority`, `identity.oidc`, ...) are plain objects here, so a reference
    /// reads `cluster.identity.oidc.issuer` rather than `identity[0].oidc[0].issuer`.
    static let awsEKSCluster = ResourceSchema(
        type: "aws_eks_cluster", plane: .control, taggable: true,
        summary: "An EKS cluster (the Kubernetes control plane)",
        attributes: [
            .id, .arn, .tags, .tagsAll,
            .required("name", .string, forcesReplacement: true),
            // EKS has no call to change the cluster's service role.
            .required("role_arn", .string, forcesReplacement: true),
            // Upgraded in place, one minor at a time (UpdateClusterVersion); the rollout engine
            // sequences it. AWS picks its default version when omitted.
            AttributeSchema("version", .string, .optionalComputed),
            .optional("enabled_cluster_log_types", .list(.string)),
            .required(
                "vpc_config",
                .block([
                    // Subnets and groups can be changed in place (UpdateClusterConfig).
                    .required("subnet_ids", .list(.string)),
                    .optional("security_group_ids", .list(.string)),
                    .defaulted("endpoint_private_access", .bool, .bool(false)),
                    .defaulted("endpoint_public_access", .bool, .bool(true)),
                    // AWS reports 0.0.0.0/0 when the public endpoint is open to all.
                    AttributeSchema("public_access_cidrs", .list(.cidr), .optionalComputed),
                    .computed("cluster_security_group_id", .string),
                    .computed("vpc_id", .string),
                ])),
            AttributeSchema(
                "kubernetes_network_config",
                .block([
                    // Picked by EKS (10.100.0.0/16 or 172.20.0.0/16, whichever does not
                    // overlap the VPC) when omitted; fixed for the cluster's life.
                    AttributeSchema("service_ipv4_cidr", .cidr, .optionalComputed, forcesReplacement: true),
                    .defaulted("ip_family", .string, .string("ipv4"), forcesReplacement: true),
                    .computed("service_ipv6_cidr", .string),
                ]),
                .optionalComputed),
            // Envelope encryption can be enabled on a running cluster but never removed.
            .optional(
                "encryption_config",
                .block([
                    .required("resources", .list(.string)),
                    .required("provider", .block([.required("key_arn", .string)])),
                ])),
            AttributeSchema(
                "access_config",
                .block([
                    // CONFIG_MAP -> API_AND_CONFIG_MAP -> API is a one-way update.
                    AttributeSchema("authentication_mode", .string, .optionalComputed),
                    .defaulted(
                        "bootstrap_cluster_creator_admin_permissions", .bool, .bool(true),
                        forcesReplacement: true),
                ]),
                .optionalComputed),
            AttributeSchema(
                "upgrade_policy",
                .block([AttributeSchema("support_type", .string, .optionalComputed)]),
                .optionalComputed),
            .defaulted("bootstrap_self_managed_addons", .bool, .bool(true), forcesReplacement: true),
            // Lets ARC shift traffic away from an impaired zone; off unless asked for.
            .optional("zonal_shift_config", .block([.defaulted("enabled", .bool, .bool(false))])),
            // Upgrade even when pods cannot be drained; strata's rollouts drain nodes themselves.
            .optional("force_update_version", .bool),
            .computed("endpoint", .string),
            .computed("certificate_authority", .block([.computed("data", .string)])),
            .computed("identity", .block([.computed("oidc", .block([.computed("issuer", .string)]))])),
            .computed("platform_version", .string),
            .computed("status", .string),
            .computed("created_at", .string),
            .computed("cluster_id", .string),
        ],
        limits: [
            // botocore eks ClusterName: 1-100, `^[0-9A-Za-z][A-Za-z0-9\-_]*`.
            "name": .text(
                TextLimit(
                    "EKS cluster names", length: 1...100, characters: "A-Za-z0-9_-", said: "letters, digits, `-` and `_`",
                    first: ("A-Za-z0-9", "a letter or digit")))
        ])
}
