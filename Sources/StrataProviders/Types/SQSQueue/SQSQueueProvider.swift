import AWSClient
import StrataModel

/// `aws_sqs_queue`: CreateQueue with its tags and attributes; every attribute but FIFO-ness
/// changes in place with SetQueueAttributes. Discovery: the tag index (shared) + ListQueues +
/// one GetQueueAttributes per queue of the stack (see ``SQS/ownedQueues()``).
struct SQSQueueProvider: ResourceProvider {
    let schema = ResourceSchema.awsSQSQueue
    let deletion = DeletionRule(rank: 5, waitsFor: ["aws_sqs_queue_policy": .every, "aws_cloudwatch_event_target": .every])

    enum Kind { case int, bool, string, json }

    /// Catalog attribute, SQS attribute name, how the string SQS sends reads, and what SQS
    /// falls back to when the attribute is removed from the stack.
    static let mapping: [(attribute: String, sqs: String, kind: Kind, reset: String?)] = [
        ("fifo_queue", "FifoQueue", .bool, nil),
        ("content_based_deduplication", "ContentBasedDeduplication", .bool, "false"),
        ("deduplication_scope", "DeduplicationScope", .string, nil),
        ("fifo_throughput_limit", "FifoThroughputLimit", .string, nil),
        ("visibility_timeout_seconds", "VisibilityTimeout", .int, "30"),
        ("message_retention_seconds", "MessageRetentionPeriod", .int, "345600"),
        ("max_message_size", "MaximumMessageSize", .int, "1048576"),
        ("delay_seconds", "DelaySeconds", .int, "0"),
        ("receive_wait_time_seconds", "ReceiveMessageWaitTimeSeconds", .int, "0"),
        ("policy", "Policy", .json, ""),
        ("redrive_policy", "RedrivePolicy", .json, ""),
        ("redrive_allow_policy", "RedriveAllowPolicy", .json, ""),
        ("sqs_managed_sse_enabled", "SqsManagedSseEnabled", .bool, nil),
        ("kms_master_key_id", "KmsMasterKeyId", .string, ""),
        ("kms_data_key_reuse_period_seconds", "KmsDataKeyReusePeriodSeconds", .int, nil),
    ]

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        try await SQS(context).ownedQueues().compactMap { Self.live($0, context) }
    }

    static func live(_ queue: SQSQueueState, _ context: ProviderContext) -> LiveResource? {
        guard let address = Ownership.address(queue.tags, stack: context.stack) else { return nil }
        var attributes = Ownership.tagAttributes(queue.tags)
        attributes["id"] = .string(queue.url)
        attributes["url"] = .string(queue.url)
        attributes["name"] = .string(String(queue.url.split(separator: "/").last ?? ""))
        attributes["arn"] = queue.attributes["QueueArn"].map(Value.string) ?? .null
        for entry in mapping {
            guard let text = queue.attributes[entry.sqs], !text.isEmpty else { continue }
            switch entry.kind {
            case .int: attributes[entry.attribute] = Int(text).map(Value.int) ?? .string(text)
            case .bool: attributes[entry.attribute] = .bool(text == "true")
            case .string: attributes[entry.attribute] = .string(text)
            case .json: attributes[entry.attribute] = PolicyDocument.live(text)
            }
        }
        // A standard queue reports no FifoQueue attribute.
        if attributes["fifo_queue"] == nil { attributes["fifo_queue"] = .bool(false) }
        return LiveResource(type: "aws_sqs_queue", address: address, id: queue.url, attributes: attributes)
    }

    /// The SQS attribute value of one desired catalog attribute; nil when the stack leaves it out.
    static func wire(_ entry: (attribute: String, sqs: String, kind: Kind, reset: String?), _ desired: DesiredResource) throws -> String? {
        let value = desired.attributes[entry.attribute]
        switch entry.kind {
        case .json:
            return try PolicyDocument.canonical(value, type: desired.type, attribute: entry.attribute)
        case .bool:
            if case .bool(let flag)? = value { return flag ? "true" : "false" }
            return nil
        case .int:
            return value?.intValue.map(String.init)
        case .string:
            return value?.stringValue
        }
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let sqs = SQS(context)
        let fifo = desired.attributes.bool("fifo_queue") == true
        var name = try GeneratedName.name(desired, maxLength: fifo ? 75 : 80)
        if fifo && !name.hasSuffix(".fifo") { name += ".fifo" }
        var attributes: [String: String] = [:]
        for entry in Self.mapping {
            // FifoQueue=false is refused by CreateQueue on some endpoints: a standard queue omits it.
            if entry.attribute == "fifo_queue" && !fifo { continue }
            if let text = try Self.wire(entry, desired) { attributes[entry.sqs] = text }
        }
        let url: String
        // Asked first because CreateQueue answers a queue of the same name and attributes with
        // its URL (and some endpoints re-tag it): someone else's queue must never become ours.
        if let existing = try await sqs.url(named: name) {
            let tags = try await sqs.tags(existing)
            try Ownership.claim(tags, name: name, for: desired, stack: context.stack)
            // A crashed run's queue: brought to the desired attributes.
            try await sqs.setAttributes(existing, attributes.filter { $0.key != "FifoQueue" })
            url = existing
        } else {
            let answer = try await sqs.calls.call(
                "CreateQueue",
                [
                    "QueueName": .string(name), "Attributes": .object(attributes.mapValues(JSONValue.string)),
                    "tags": Logs.tagMap(desired.tags),
                ])
            guard let created = answer["QueueUrl"]?.stringValue else {
                throw ProviderError.invalidAttribute(type: type, attribute: "url", problem: "CreateQueue answered without a URL")
            }
            url = created
        }
        await sqs.invalidate()
        let tags = try await sqs.tags(url)
        guard let live = Self.live(SQSQueueState(url: url, tags: tags, attributes: try await sqs.attributes(url)), context),
            live.address == desired.address
        else {
            throw ProviderError.nameTaken(type: type, name: name, owner: Ownership.owner(tags, path: nil))
        }
        return live
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let sqs = SQS(context)
        var attributes: [String: String] = [:]
        for entry in Self.mapping where changed.contains(entry.attribute) && entry.attribute != "fifo_queue" {
            if let text = try Self.wire(entry, desired) {
                attributes[entry.sqs] = text
            } else if let reset = entry.reset {
                attributes[entry.sqs] = reset
            }
        }
        try await sqs.setAttributes(live.id, attributes)
        try await TagSync.update(live, to: desired, changed: changed, sqs.tagCalls(live.id))
        await sqs.invalidate()
        let state = SQSQueueState(url: live.id, tags: try await sqs.tags(live.id), attributes: try await sqs.attributes(live.id))
        guard let updated = Self.live(state, context) else {
            throw ProviderError.nameTaken(type: type, name: live.id, owner: "its tags no longer name this stack")
        }
        return updated
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let sqs = SQS(context)
        do {
            try await sqs.calls.call("DeleteQueue", ["QueueUrl": .string(live.id)], idempotent: true)
        } catch let error as AWSError where error.isNotFound {
        }
        await sqs.invalidate()
    }
}
