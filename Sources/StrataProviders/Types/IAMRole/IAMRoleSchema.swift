import StrataModel

extension ResourceSchema {
    /// `aws_iam_role`: an identity that services, nodes and pods assume.
    static let awsIAMRole = ResourceSchema(
        type: "aws_iam_role", plane: .security, taggable: true,
        summary: "An IAM role with its trust policy",
        attributes: [
            .id, .arn, .tags, .tagsAll,
            .generatedName, .namePrefix,
            // IAM has no call to move a role to another path.
            .defaulted("path", .string, .string("/"), forcesReplacement: true),
            .required("assume_role_policy", .json),
            .optional("description", .string),
            .defaulted("max_session_duration", .int, .int(3600)),
            .optional("permissions_boundary", .string),
            // Detaching first lets a role with attached policies be deleted in one step.
            .defaulted("force_detach_policies", .bool, .bool(false)),
            .computed("unique_id", .string),
            .computed("create_date", .string),
        ],
        limits: .name(.iamName("IAM role names", 64), also: ["path": .text(.iamPath)]))
}
