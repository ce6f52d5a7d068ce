import StrataModel

extension ResourceSchema {
    /// `aws_cloudwatch_log_group`: e.g. `/aws/eks/<cluster>/cluster` for control-plane logs.
    static let awsCloudWatchLogGroup = ResourceSchema(
        type: "aws_cloudwatch_log_group", plane: .observability, taggable: true,
        summary: "A CloudWatch Logs log group",
        attributes: [
            .id, .arn, .tags, .tagsAll,
            .generatedName, .namePrefix,
            // 0 is how the API reports "never expire".
            .defaulted("retention_in_days", .int, .int(0)),
            .optional("kms_key_id", .string),
            .defaulted("log_group_class", .string, .string("STANDARD"), forcesReplacement: true),
            // Leave the group (and its logs) behind on destroy.
            .defaulted("skip_destroy", .bool, .bool(false)),
        ],
        limits: .name(
            // botocore logs LogGroupName: 1-512, `[\.\-_/#A-Za-z0-9]+`.
            TextLimit(
                "log group names", length: 1...512, characters: "A-Za-z0-9._/#-", said: "letters, digits and `._/#-`")))
}
