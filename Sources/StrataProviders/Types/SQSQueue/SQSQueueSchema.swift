import StrataModel

extension ResourceSchema {
    /// `aws_sqs_queue`: e.g. Karpenter's interruption queue.
    static let awsSQSQueue = ResourceSchema(
        type: "aws_sqs_queue", plane: .storage, taggable: true,
        summary: "An SQS queue",
        attributes: [
            .id, .arn, .tags, .tagsAll,
            .computed("url", .string),
            .generatedName, .namePrefix,
            .defaulted("fifo_queue", .bool, .bool(false), forcesReplacement: true),
            .defaulted("content_based_deduplication", .bool, .bool(false)),
            AttributeSchema("deduplication_scope", .string, .optionalComputed),
            AttributeSchema("fifo_throughput_limit", .string, .optionalComputed),
            // The attribute defaults CreateQueue applies (SQS API reference).
            .defaulted("visibility_timeout_seconds", .int, .int(30)),
            .defaulted("message_retention_seconds", .int, .int(345_600)),
            // 1 MiB since SQS raised the limit (botocore: "Default: 1,048,576 bytes").
            .defaulted("max_message_size", .int, .int(1_048_576)),
            .defaulted("delay_seconds", .int, .int(0)),
            .defaulted("receive_wait_time_seconds", .int, .int(0)),
            AttributeSchema("policy", .json, .optionalComputed),
            AttributeSchema("redrive_policy", .json, .optionalComputed),
            AttributeSchema("redrive_allow_policy", .json, .optionalComputed),
            // SSE-SQS is on for every new queue unless a KMS key is given.
            AttributeSchema("sqs_managed_sse_enabled", .bool, .optionalComputed),
            .optional("kms_master_key_id", .string),
            AttributeSchema("kms_data_key_reuse_period_seconds", .int, .optionalComputed),
        ],
        inlineChildren: ["aws_sqs_queue_policy": InlineChildren(attribute: "policy", parentReference: "queue_url")],
        limits: .name(
            // CreateQueue: up to 80 characters of `[A-Za-z0-9_-]`, `.fifo` included for FIFO queues.
            TextLimit(
                "SQS queue names", length: 1...80, characters: "A-Za-z0-9_-", said: "letters, digits, `-` and `_`",
                allowedSuffix: ".fifo")))
}
