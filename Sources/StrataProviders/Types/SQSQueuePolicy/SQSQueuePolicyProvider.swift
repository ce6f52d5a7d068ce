import AWSClient
import StrataModel

/// `aws_sqs_queue_policy`: the `Policy` attribute of a queue, managed apart from it. A child of
/// the queue: discovery reads it from the stack's queues' attributes, with no call of its own.
/// Identity: the queue URL.
struct SQSQueuePolicyProvider: ResourceProvider {
    let schema = ResourceSchema.awsSQSQueuePolicy
    let deletion = DeletionRule(rank: 4, waitsFor: [:])

    func identity(of attributes: [String: Value]) -> String? {
        attributes.string("queue_url")
    }

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        try await SQS(context).ownedQueues().compactMap { queue in
            guard let policy = queue.attributes["Policy"], !policy.isEmpty else { return nil }
            return Self.live(url: queue.url, policy: PolicyDocument.live(policy))
        }
    }

    static func live(url: String, policy: Value) -> LiveResource {
        LiveResource(
            type: "aws_sqs_queue_policy", address: nil, id: url, identity: url,
            attributes: ["id": .string(url), "queue_url": .string(url), "policy": policy],
            parent: LiveResource.Parent(type: "aws_sqs_queue", id: url))
    }

    /// SetQueueAttributes overwrites: creating twice is harmless, so there is nothing to adopt.
    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let url = try desired.required("queue_url")
        let policy = try PolicyDocument.required(desired, "policy")
        let sqs = SQS(context)
        try await sqs.setAttributes(url, ["Policy": policy])
        await sqs.invalidate()
        let stored = try await sqs.attributes(url)["Policy"] ?? policy
        return Self.live(url: url, policy: PolicyDocument.live(stored))
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        try await updateByWritingAgain(live, to: desired, context)
    }

    /// An empty Policy removes it; a queue already gone has no policy either.
    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let sqs = SQS(context)
        do {
            try await sqs.setAttributes(live.id, ["Policy": ""])
        } catch let error as AWSError where error.isNotFound {
        }
        await sqs.invalidate()
    }
}
