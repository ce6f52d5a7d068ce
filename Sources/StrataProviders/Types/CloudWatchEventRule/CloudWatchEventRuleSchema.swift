import StrataModel

extension ResourceSchema {
    /// `aws_cloudwatch_event_rule`: an EventBridge rule (pattern or schedule).
    static let awsCloudWatchEventRule = ResourceSchema(
        type: "aws_cloudwatch_event_rule", plane: .observability, taggable: true,
        summary: "An EventBridge rule",
        attributes: [
            .id, .arn, .tags, .tagsAll,
            .generatedName, .namePrefix,
            .optional("description", .string),
            .optional("event_pattern", .json),
            .optional("schedule_expression", .string),
            .defaulted("event_bus_name", .string, .string("default"), forcesReplacement: true),
            .optional("role_arn", .string),
            .defaulted("state", .string, .string("ENABLED")),
        ],
        limits: .name(
            // botocore events RuleName: 1-64, `[\.\-_A-Za-z0-9]+`.
            TextLimit("EventBridge rule names", length: 1...64, characters: "A-Za-z0-9._-", said: "letters, digits and `._-`")))
}
