import StrataModel

extension ResourceSchema {
    /// `aws_kms_key`: a customer-managed key, e.g. for EKS secrets envelope encryption.
    static let awsKMSKey = ResourceSchema(
        type: "aws_kms_key", plane: .security, taggable: true,
        summary: "A KMS customer-managed key",
        attributes: [
            .id, .arn, .tags, .tagsAll,
            .computed("key_id", .string),
            AttributeSchema("description", .string, .optionalComputed),
            // Usage and spec define the key material; KMS cannot change either.
            .defaulted("key_usage", .string, .string("ENCRYPT_DECRYPT"), forcesReplacement: true),
            .defaulted(
                "customer_master_key_spec", .string, .string("SYMMETRIC_DEFAULT"), forcesReplacement: true),
            // KMS writes a default key policy (account root may administer) when none is given.
            AttributeSchema("policy", .json, .optionalComputed),
            .defaulted("bypass_policy_lockout_safety_check", .bool, .bool(false)),
            // Only used when the key is scheduled for deletion; KMS does not store it.
            .optional("deletion_window_in_days", .int),
            .defaulted("is_enabled", .bool, .bool(true)),
            .defaulted("enable_key_rotation", .bool, .bool(false)),
            AttributeSchema("rotation_period_in_days", .int, .optionalComputed),
            .defaulted("multi_region", .bool, .bool(false), forcesReplacement: true),
            .optional("custom_key_store_id", .string, forcesReplacement: true),
            .optional("xks_key_id", .string, forcesReplacement: true),
        ])
}
