import StrataModel

extension ResourceSchema {
    /// `aws_cloudwatch_event_target`: where an EventBridge rule delivers. Listed through its
    /// rule (ListTargetsByRule), so it carries no tags of its own.
    static let awsCloudWatchEventTarget = ResourceSchema(
        type: "aws_cloudwatch_event_target", plane: .observability, taggable: false,
        summary: "A target of an EventBridge rule",
        attributes: [
            .id,
            .required("rule", .string, forcesReplacement: true),
            // The destination's ARN: an input here, not the target's own ARN (it has none).
            .required("arn", .string),
            AttributeSchema("target_id", .string, .optionalComputed, forcesReplacement: true),
            .defaulted("event_bus_name", .string, .string("default"), forcesReplacement: true),
            .optional("role_arn", .string),
            .optional("input", .json),
            .optional("input_path", .string),
            .optional(
                "input_transformer",
                .block([
                    .optional("input_paths", .map(.string)),
                    .required("input_template", .string),
                ])),
            .optional("dead_letter_config", .block([.optional("arn", .string)])),
            .optional(
                "retry_policy",
                .block([
                    .optional("maximum_event_age_in_seconds", .int),
                    .optional("maximum_retry_attempts", .int),
                ])),
            .optional("sqs_target", .block([.optional("message_group_id", .string)])),
        ])
}
