import AWSClient
import StrataModel

/// The SQS calls strata makes, in SQS's JSON protocol (AmazonSQS, JSON 1.0): the stack's queues
/// (named by the tag index, their URLs from one listing, one GetQueueAttributes each) once per
/// plan, shared through the cache by `aws_sqs_queue` and `aws_sqs_queue_policy`.
struct SQS: Sendable {
    let calls: JSONCalls
    let cache: DiscoveryCache
    let tagging: ResourceTagging

    init(_ context: ProviderContext) {
        calls = JSONCalls(client: context.client, service: .sqs)
        cache = context.cache
        tagging = ResourceTagging(context)
    }

    /// The stack's queues: URL, tags and every attribute. The tag index names them (SQS has
    /// no tag-filtered listing), ListQueues gives their URLs, GetQueueAttributes reads each.
    func ownedQueues() async throws -> [SQSQueueState] {
        let sqs = self
        return try await cache.value("sqs:owned") {
            let indexed = try await sqs.tagging.owned("sqs")
            guard !indexed.isEmpty else { return [] }
            // A queue's ARN ends in its name, as its URL does.
            let tagsByName = Dictionary(indexed.map { ($0.resource, $0.tags) }, uniquingKeysWith: { first, _ in first })
            let urls = try await sqs.calls.paged(
                "ListQueues", ["MaxResults": 1000], tokenIn: "NextToken", tokenOut: "NextToken", list: "QueueUrls"
            )
            .compactMap(\.stringValue)
            let owned: [SQSQueueState?] = try await concurrentMap(urls) { url in
                guard let name = url.split(separator: "/").last, let tags = tagsByName[String(name)] else { return nil }
                do {
                    return SQSQueueState(url: url, tags: tags, attributes: try await sqs.attributes(url))
                } catch let error as AWSError where error.isNotFound {
                    return nil  // deleted since the listing
                }
            }
            return owned.compactMap { $0 }
        }
    }

    func tags(_ url: String) async throws -> [String: String] {
        let answer = try await calls.call("ListQueueTags", ["QueueUrl": .string(url)])
        guard case .object(let members)? = answer["Tags"] else { return [:] }
        return members.compactMapValues(\.stringValue)
    }

    func attributes(_ url: String) async throws -> [String: String] {
        let answer = try await calls.call("GetQueueAttributes", ["QueueUrl": .string(url), "AttributeNames": ["All"]])
        guard case .object(let members)? = answer["Attributes"] else { return [:] }
        return members.compactMapValues(\.stringValue)
    }

    /// The queue's URL by name, nil when there is none.
    func url(named name: String) async throws -> String? {
        do {
            return try await calls.call("GetQueueUrl", ["QueueName": .string(name)])["QueueUrl"]?.stringValue
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    /// TagQueue and UntagQueue for one queue, for ``TagSync``.
    func tagCalls(_ url: String) -> TagCalls {
        calls.tagCalls(
            tag: { ["QueueUrl": .string(url), "Tags": Logs.tagMap($0)] },
            untag: { ["QueueUrl": .string(url), "TagKeys": JSONCalls.strings($0)] },
            actions: ("TagQueue", "UntagQueue"))
    }

    func setAttributes(_ url: String, _ attributes: [String: String]) async throws {
        guard !attributes.isEmpty else { return }
        try await calls.call(
            "SetQueueAttributes", ["QueueUrl": .string(url), "Attributes": .object(attributes.mapValues(JSONValue.string))],
            idempotent: true)
    }

    func invalidate() async {
        await cache.invalidate(prefix: "sqs:")
        await ResourceTagging.invalidate(cache)
    }
}

/// One owned queue as discovery read it.
struct SQSQueueState: Sendable {
    var url: String
    var tags: [String: String]
    /// GetQueueAttributes' `Attributes`, every value a string as SQS sends them.
    var attributes: [String: String]
}
