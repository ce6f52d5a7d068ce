import StrataModel

extension ResourceSchema {
    /// `aws_kms_alias`: a readable name (`alias/...`) for a key.
    static let awsKMSAlias = ResourceSchema(
        type: "aws_kms_alias", plane: .security, taggable: false,
        summary: "A KMS key alias",
        attributes: [
            .id, .arn,
            .generatedName, .namePrefix,
            // UpdateAlias repoints an alias to another key in place.
            .required("target_key_id", .string),
            .computed("target_key_arn", .string),
        ],
        limits: .name(
            // botocore kms AliasNameType: 1-256, `^[a-zA-Z0-9:/_-]+$`; `alias/aws/` is AWS-managed keys'.
            TextLimit(
                "KMS alias names", length: 1...256, characters: "A-Za-z0-9:/_-", said: "letters, digits and `:/_-`",
                requiredPrefix: "alias/", reservedPrefixes: ["alias/aws/"])))
}
