import StrataModel

extension ResourceSchema {
    /// `aws_security_group`: a stateful firewall attached to ENIs.
    static let awsSecurityGroup = ResourceSchema(
        type: "aws_security_group", plane: .security, taggable: true,
        summary: "A security group of a VPC",
        attributes: [
            .id, .arn, .ownerID, .tags, .tagsAll,
            .generatedName, .namePrefix,
            // AWS requires a description and cannot change it; like the Terraform provider,
            // strata sends a fixed one when the stack gives none, so omitting it never diffs.
            .defaulted("description", .string, .string("Managed by strata"), forcesReplacement: true),
            AttributeSchema("vpc_id", .string, .optionalComputed, forcesReplacement: true),
            // Inline rules: computed because rules added by the standalone rule types appear
            // here too. Use one style per group. AWS gives every new group an allow-all egress
            // rule; like the Terraform provider, strata revokes it right after creating the
            // group, so a group's egress is exactly what the stack declares and a standalone
            // allow-all rule does not collide with AWS's (InvalidPermission.Duplicate).
            AttributeSchema("ingress", .list(securityGroupInlineRule), .optionalComputed),
            AttributeSchema("egress", .list(securityGroupInlineRule), .optionalComputed),
            // Revoking rules first lets two groups that reference each other be deleted.
            .defaulted("revoke_rules_on_delete", .bool, .bool(false)),
        ],
        limits: .name(
            // CreateSecurityGroup: up to 255, cannot start with `sg-`, and this character set.
            TextLimit(
                "security group names", length: 1...255, characters: "A-Za-z0-9 ._:/()#,@[]+=&;{}!$*-",
                said: "letters, digits, spaces and `._-:/()#,@[]+=&;{}!$*`", reservedPrefixes: ["sg-"])))

    /// One inline `ingress`/`egress` rule of `aws_security_group`.
    static let securityGroupInlineRule: ValueType = .block([
        .required("from_port", .int),
        .required("to_port", .int),
        .required("protocol", .string),
        .optional("cidr_blocks", .list(.cidr)),
        .optional("ipv6_cidr_blocks", .list(.string)),
        .optional("prefix_list_ids", .list(.string)),
        .optional("security_groups", .list(.string)),
        .defaulted("self", .bool, .bool(false)),
        .optional("description", .string),
    ])
}
