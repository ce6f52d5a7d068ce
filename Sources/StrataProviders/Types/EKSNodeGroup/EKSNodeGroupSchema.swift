import StrataModel

extension ResourceSchema {
    /// `aws_eks_node_group`: an EKS managed node group.
    static let awsEKSNodeGroup = ResourceSchema(
        type: "aws_eks_node_group", plane: .compute, taggable: true,
        summary: "An EKS managed node group",
        attributes: [
            .id, .arn, .tags, .tagsAll,
            .required("cluster_name", .string, forcesReplacement: true),
            AttributeSchema("node_group_name", .string, .optionalComputed, forcesReplacement: true),
            .optional("node_group_name_prefix", .string, forcesReplacement: true),
            .required("node_role_arn", .string, forcesReplacement: true),
            .required("subnet_ids", .list(.string), forcesReplacement: true),
            .required(
                "scaling_config",
                .block([
                    .required("desired_size", .int),
                    .required("min_size", .int),
                    .required("max_size", .int),
                ])),
            // EKS picks the AMI family from the instance types (AL2023 from 1.30 on).
            AttributeSchema("ami_type", .string, .optionalComputed, forcesReplacement: true),
            .defaulted("capacity_type", .string, .string("ON_DEMAND"), forcesReplacement: true),
            // Only meaningful without a launch template; EKS reports 20 then.
            AttributeSchema("disk_size", .int, .optionalComputed, forcesReplacement: true),
            AttributeSchema("instance_types", .list(.string), .optionalComputed, forcesReplacement: true),
            .optional("labels", .map(.string)),
            .optional(
                "taint",
                .list(
                    .block([
                        .required("key", .string),
                        .optional("value", .string),
                        .required("effect", .string),
                    ]))),
            // Only the version of the template can move in place (UpdateNodegroupVersion).
            .optional(
                "launch_template",
                .block([
                    AttributeSchema("id", .string, .optionalComputed, forcesReplacement: true),
                    AttributeSchema("name", .string, .optionalComputed, forcesReplacement: true),
                    .required("version", .string),
                ]),
                forcesReplacement: true),
            // EKS fills in the whole block (maxUnavailable 1) when a group is created without it;
            // a block the stack gives holds one of the two and EKS reports just that one.
            AttributeSchema(
                "update_config",
                .block([
                    .optional("max_unavailable", .int),
                    .optional("max_unavailable_percentage", .int),
                ]),
                .optionalComputed),
            .optional(
                "remote_access",
                .block([
                    .optional("ec2_ssh_key", .string),
                    .optional("source_security_group_ids", .list(.string)),
                ]),
                forcesReplacement: true),
            AttributeSchema("node_repair_config", .block([.defaulted("enabled", .bool, .bool(false))]), .optionalComputed),
            // The Kubernetes version and AMI release move in place, node by node.
            AttributeSchema("version", .string, .optionalComputed),
            AttributeSchema("release_version", .string, .optionalComputed),
            .optional("force_update_version", .bool),
            // strata's own, never sent to AWS nor diffed: how a version change of this pool
            // rolls (docs/rollouts.md). `blue-green` (the default) creates a green group at the
            // new version and drains the blue one into it; `rolling` is EKS's in-place update.
            .optional(
                "rollout",
                .block([
                    .optional("strategy", .string),
                    .optional("drain_timeout", .duration),
                ])),
            .computed("status", .string),
            .computed(
                "resources",
                .list(
                    .block([
                        .computed("autoscaling_groups", .list(.block([.computed("name", .string)]))),
                        .computed("remote_access_security_group_id", .string),
                    ]))),
        ],
        limits: .name(
            // EKS: "can't be longer than 63 characters", same characters as cluster names.
            TextLimit(
                "EKS node group names", length: 1...63, characters: "A-Za-z0-9_-", said: "letters, digits, `-` and `_`",
                first: ("A-Za-z0-9", "a letter or digit")),
            attribute: "node_group_name",
            also: ["rollout.strategy": .oneOf(RolloutStrategy.allCases.map(\.rawValue), what: "node pool rollout strategies")]))
}
