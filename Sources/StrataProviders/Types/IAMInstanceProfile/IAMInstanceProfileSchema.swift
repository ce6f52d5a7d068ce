import StrataModel

extension ResourceSchema {
    /// `aws_iam_instance_profile`: how an EC2 instance carries a role.
    static let awsIAMInstanceProfile = ResourceSchema(
        type: "aws_iam_instance_profile", plane: .security, taggable: true,
        summary: "An EC2 instance profile holding one role",
        attributes: [
            .id, .arn, .tags, .tagsAll,
            .generatedName, .namePrefix,
            .defaulted("path", .string, .string("/"), forcesReplacement: true),
            // Removing and adding the role are separate calls, so swapping it is an update.
            .optional("role", .string),
            .computed("unique_id", .string),
            .computed("create_date", .string),
        ],
        limits: .name(.iamName("instance profile names", 128), also: ["path": .text(.iamPath)]))
}
