import StrataModel

extension ResourceSchema {
    /// `aws_iam_role_policy`: an inline policy embedded in a role.
    static let awsIAMRolePolicy = ResourceSchema(
        type: "aws_iam_role_policy", plane: .security, taggable: false,
        summary: "An inline IAM policy of a role",
        attributes: [
            .id,
            .generatedName, .namePrefix,
            .required("role", .string, forcesReplacement: true),
            // PutRolePolicy overwrites the document in place.
            .required("policy", .json),
        ],
        limits: .name(.iamName("inline policy names", 128)))
}
