import StrataModel

extension ResourceSchema {
    /// `aws_iam_policy`: a customer-managed policy, attached to roles separately.
    static let awsIAMPolicy = ResourceSchema(
        type: "aws_iam_policy", plane: .security, taggable: true,
        summary: "A customer-managed IAM policy",
        attributes: [
            .id, .arn, .tags, .tagsAll,
            .generatedName, .namePrefix,
            .defaulted("path", .string, .string("/"), forcesReplacement: true),
            // A policy's description is fixed at creation in IAM.
            .optional("description", .string, forcesReplacement: true),
            // Changed in place by publishing a new default version.
            .required("policy", .json),
            .computed("policy_id", .string),
            .computed("attachment_count", .int),
        ],
        limits: .name(.iamName("IAM policy names", 128), also: ["path": .text(.iamPath)]))
}
