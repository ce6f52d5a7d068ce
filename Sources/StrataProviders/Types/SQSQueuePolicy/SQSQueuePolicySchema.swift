import StrataModel

extension ResourceSchema {
    /// `aws_sqs_queue_policy`: the queue's resource policy, managed apart from the queue so a
    /// policy can reference things created after it (EventBridge rules).
    static let awsSQSQueuePolicy = ResourceSchema(
        type: "aws_sqs_queue_policy", plane: .security, taggable: false,
        summary: "The access policy of an SQS queue",
        attributes: [
            .id,
            .required("queue_url", .string, forcesReplacement: true),
            .required("policy", .json),
        ])
}
