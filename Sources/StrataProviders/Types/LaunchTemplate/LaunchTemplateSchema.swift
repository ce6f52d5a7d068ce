import StrataModel

extension ResourceSchema {
    /// `aws_launch_template`: node configuration for managed node groups (disks, IMDS, groups).
    ///
    /// The Terraform provider types `ebs_optimized`, `ebs.encrypted` and
    /// `ebs.delete_on_termination` as strings only to express "unset"; strata's optional
    /// presence already says that, so they are bools and `encrypted: true` checks as written.
    static let awsLaunchTemplate = ResourceSchema(
        type: "aws_launch_template", plane: .compute, taggable: true,
        summary: "An EC2 launch template",
        attributes: [
            .id, .arn, .tags, .tagsAll,
            .generatedName, .namePrefix,
            // Every other change publishes a new template version in place.
            .optional("description", .string),
            AttributeSchema("default_version", .int, .optionalComputed),
            .optional("update_default_version", .bool),
            .computed("latest_version", .int),
            .optional("image_id", .string),
            .optional("instance_type", .string),
            .optional("key_name", .string),
            .optional("user_data", .string),
            .optional("ebs_optimized", .bool),
            .optional("vpc_security_group_ids", .list(.string)),
            .optional("disable_api_termination", .bool),
            .optional("disable_api_stop", .bool),
            .optional("instance_initiated_shutdown_behavior", .string),
            .optional(
                "block_device_mappings",
                .list(
                    .block([
                        .optional("device_name", .string),
                        .optional("no_device", .string),
                        .optional("virtual_name", .string),
                        .optional(
                            "ebs",
                            .block([
                                AttributeSchema("volume_size", .int, .optionalComputed),
                                AttributeSchema("volume_type", .string, .optionalComputed),
                                AttributeSchema("iops", .int, .optionalComputed),
                                AttributeSchema("throughput", .int, .optionalComputed),
                                .optional("encrypted", .bool),
                                .optional("kms_key_id", .string),
                                .optional("delete_on_termination", .bool),
                                .optional("snapshot_id", .string),
                            ])),
                    ]))),
            // A template stores only the options it was given, and what EC2 applies when one
            // is absent depends on the AMI (IMDSv2-only AMIs default to `required`), so none of
            // these has a fixed default: absent stays absent.
            AttributeSchema(
                "metadata_options",
                .block([
                    AttributeSchema("http_endpoint", .string, .optionalComputed),
                    AttributeSchema("http_tokens", .string, .optionalComputed),
                    AttributeSchema("http_put_response_hop_limit", .int, .optionalComputed),
                    AttributeSchema("http_protocol_ipv6", .string, .optionalComputed),
                    AttributeSchema("instance_metadata_tags", .string, .optionalComputed),
                ]),
                .optionalComputed),
            .optional("monitoring", .block([.optional("enabled", .bool)])),
            .optional(
                "cpu_options",
                .block([.optional("core_count", .int), .optional("threads_per_core", .int)])),
            // `unlimited` or `standard` CPU credits for burstable (t*) instance types.
            .optional("credit_specification", .block([.optional("cpu_credits", .string)])),
            .optional(
                "placement",
                .block([
                    .optional("availability_zone", .string),
                    .optional("group_name", .string),
                    .optional("tenancy", .string),
                ])),
            .optional(
                "private_dns_name_options",
                .block([
                    .optional("hostname_type", .string),
                    .optional("enable_resource_name_dns_a_record", .bool),
                    .optional("enable_resource_name_dns_aaaa_record", .bool),
                ])),
            .optional("iam_instance_profile", .block([.optional("arn", .string), .optional("name", .string)])),
            .optional(
                "network_interfaces",
                .list(
                    .block([
                        .optional("associate_public_ip_address", .bool),
                        .optional("delete_on_termination", .bool),
                        .optional("device_index", .int),
                        .optional("security_groups", .list(.string)),
                        .optional("subnet_id", .string),
                        .optional("description", .string),
                    ]))),
            // Tags for what the template launches (instances, volumes), not for the template.
            .optional(
                "tag_specifications",
                .list(
                    .block([
                        .optional("resource_type", .string),
                        .optional("tags", .map(.string)),
                    ]))),
        ],
        limits: .name(
            // botocore ec2 LaunchTemplateName: 3-128, `[a-zA-Z0-9\(\)\.\-/_]+`.
            TextLimit(
                "launch template names", length: 3...128, characters: "A-Za-z0-9()./_-", said: "letters, digits and `()./_-`")))
}
