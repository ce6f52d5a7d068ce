import AWSClient
import StrataModel

/// The EC2 calls strata makes, and nothing else: request building in EC2's query encoding
/// (`Filter.N`, `TagSpecification.N`, `ClientToken`), paginated owned-resource describes shared
/// through the discovery cache, tag reads and writes. Wire names follow botocore's model (a
/// member's `locationName`, capitalised, is its EC2 query name).
public struct EC2: Sendable {
    typealias Parameters = [(name: String, value: String)]

    let client: AWSClient
    let stack: String
    let cache: DiscoveryCache

    init(_ context: ProviderContext) {
        client = context.client
        stack = context.stack
        cache = context.cache
    }

    /// One call. A mutating call is marked idempotent (safe to resend) only when it carries a
    /// client token, because then AWS answers a repeat with the first result.
    @discardableResult
    func call(_ action: String, _ parameters: Parameters = [], clientToken: String? = nil) async throws -> XMLNode {
        var parameters = parameters
        if let clientToken { parameters.append((name: "ClientToken", value: clientToken)) }
        let idempotent = AWSOperation.isRead(action) || clientToken != nil
        return try await client.send(.query(.ec2, action: action, parameters: parameters, idempotent: idempotent)).xml()
    }

    /// A call whose resource may be gone already (a delete, a disassociation): `NotFound` means
    /// done, as deleting what is gone succeeds.
    func callIgnoringNotFound(_ action: String, _ parameters: Parameters) async throws {
        do {
            try await call(action, parameters)
        } catch let error as AWSError where error.isNotFound {
        }
    }

    /// Deletes one resource by its id (gone already counts as deleted), then forgets the cached
    /// answer of the describe that lists it.
    func delete(_ action: String, _ idParameter: String, _ id: String, listedBy describe: String) async throws {
        try await callIgnoringNotFound(action, [(name: idParameter, value: id)])
        await invalidate(describe)
    }

    /// Every item of a paginated describe: `set` is the answer's list element (`vpcSet`).
    func describe(_ action: String, set: String, _ parameters: Parameters) async throws -> [XMLNode] {
        try await client.queryItems(.ec2, action, parameters, token: "NextToken", nextToken: Pagination.ec2NextToken) {
            $0.child(set)?.items ?? []
        }
    }

    /// Everything of one describe that carries this stack's tag, read once per plan or apply and
    /// shared with sibling types through the cache.
    func owned(_ action: String, set: String) async throws -> [XMLNode] {
        let stack = stack
        let ec2 = self
        return try await cache.value(Self.cacheKey(action) + ":" + stack) {
            // The filter does the work; the check keeps another stack's resources out should a
            // service (or a stand-in for it) ignore a filter, since discovery decides deletions.
            try await ec2.describe(action, set: set, QueryValue.filters([(name: "tag:\(ProviderContext.stackTag)", values: [stack])]))
                .filter { EC2.tags(of: $0)[ProviderContext.stackTag] == stack }
        }
    }

    /// After a write, the next discovery of that description must read AWS again.
    func invalidate(_ action: String) async {
        await cache.invalidate(prefix: Self.cacheKey(action))
    }

    static func cacheKey(_ action: String) -> String { "ec2:\(action)" }

    // MARK: - Tags

    /// `TagSpecification.1` for a create call: the desired tags (ownership tags included).
    static func tagSpecification(_ resourceType: String, _ tags: [String: String]) -> Parameters {
        QueryValue.tagSpecifications(
            resourceType: resourceType, tags: tags.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) })
    }

    /// The `tagSet` of a described item, without AWS's reserved `aws:` tags: nobody can set or
    /// remove those (CloudFormation and other services write them), so they are never a
    /// difference and never something to sync.
    static func tags(of item: XMLNode) -> [String: String] {
        var tags: [String: String] = [:]
        for tag in item.child("tagSet")?.items ?? [] {
            if let key = tag.child("key")?.text, !key.hasPrefix("aws:") { tags[key] = tag.child("value")?.text ?? "" }
        }
        return tags
    }

    /// CreateTags and DeleteTags for one resource, for ``TagSync``.
    func tagCalls(_ id: String) -> TagCalls {
        TagCalls(
            tag: { tags in
                var parameters: Parameters = [(name: "ResourceId.1", value: id)]
                for (index, tag) in tags.sorted(by: { $0.key < $1.key }).enumerated() {
                    parameters.append((name: "Tag.\(index + 1).Key", value: tag.key))
                    parameters.append((name: "Tag.\(index + 1).Value", value: tag.value))
                }
                try await call("CreateTags", parameters)
            },
            untag: { keys in
                try await call(
                    "DeleteTags",
                    [(name: "ResourceId.1", value: id)] + keys.enumerated().map { (name: "Tag.\($0.offset + 1).Key", value: $0.element) })
            })
    }

    // MARK: - Reading answers

    /// A described item as a live resource of a taggable type: the address from the
    /// `strata:address` tag, `tags` without strata's ownership tags, `tags_all` with every tag.
    static func taggedResource(type: String, id: String, item: XMLNode, attributes: [String: Value]) -> LiveResource {
        let all = tags(of: item)
        var attributes = attributes
        attributes["id"] = .string(id)
        attributes["tags"] = .map(Ownership.userTags(all).mapValues(Value.string))
        attributes["tags_all"] = .map(all.mapValues(Value.string))
        let address = all[ProviderContext.addressTag].flatMap(ResourceAddress.init(parsing:))
        return LiveResource(type: type, address: address, id: id, attributes: attributes)
    }

    /// The text of a child element, as a string attribute (nil when absent or empty).
    static func string(_ item: XMLNode, _ name: String) -> Value? {
        guard let text = item.child(name)?.text, !text.isEmpty else { return nil }
        return .string(text)
    }

    static func bool(_ item: XMLNode?, _ name: String, default value: Bool = false) -> Value {
        guard let text = item?.child(name)?.text else { return .bool(value) }
        return .bool(text == "true")
    }

    static func int(_ item: XMLNode, _ name: String) -> Value? {
        guard let text = item.child(name)?.text, let number = Int(text) else { return nil }
        return .int(number)
    }

    /// `<name><value>true</value></name>`: how Describe*Attribute answers a boolean.
    static func attributeBool(_ answer: XMLNode, _ name: String) -> Bool {
        answer[name, "value"]?.text == "true"
    }
}

extension DesiredResource {
    /// A boolean attribute, or the schema's server default when the stack left it out.
    func ec2Bool(_ name: String, default value: Bool) -> Bool {
        attributes.bool(name) ?? value
    }

    /// An optional request parameter from a string attribute.
    func ec2Parameter(_ wire: String, _ name: String) -> EC2.Parameters {
        guard let value = attributes[name]?.textForm else { return [] }
        return [(name: wire, value: value)]
    }

    /// Optional request parameters from attributes, by EC2 name: those the stack set.
    func ec2Parameters(_ table: KeyValuePairs<String, String>) -> EC2.Parameters {
        table.flatMap { ec2Parameter($0.key, $0.value) }
    }
}

extension EC2 {
    /// The new resource's id in a create call's answer, at a path of child names (`vpc`,
    /// `vpcId`). An answer without one is an error: nothing could adopt or delete what it made.
    static func createdID(_ answer: XMLNode, _ path: [String], call: String, _ desired: DesiredResource) throws -> String {
        var node: XMLNode? = answer
        for step in path { node = node?.child(step) }
        guard let id = node?.text, !id.isEmpty else { throw ProviderError.missing("id", from: call, desired) }
        return id
    }

    /// EC2's `ClientToken` (at most 64 ASCII characters) from the desired resource's token.
    static func clientToken(_ desired: DesiredResource) -> String {
        String(desired.idempotencyToken.prefix(64))
    }
}

extension EC2 {
    /// What creating a VPC or a subnet and waiting for it needs to know: its create and describe
    /// calls, and the element (`vpc`, `subnet`) whose `<element>Id` is its id.
    struct Creation: Sendable {
        var create: String
        var element: String
        var describe: String
        var set: String
        var idFilter: String
        var what: String

        static let vpc = Creation(
            create: "CreateVpc", element: "vpc", describe: "DescribeVpcs", set: "vpcSet", idFilter: "VpcId", what: "VPC")
        static let subnet = Creation(
            create: "CreateSubnet", element: "subnet", describe: "DescribeSubnets", set: "subnetSet", idFilter: "SubnetId",
            what: "subnet")
    }

    /// Creates a VPC or subnet and waits until it leaves `pending` (attribute calls and children
    /// made while it is pending may be refused): the element as the create call answered it
    /// (which often says `available` already and then costs no read), and its id.
    func createAvailable(_ kind: Creation, _ parameters: Parameters, for desired: DesiredResource, _ context: ProviderContext)
        async throws -> (element: XMLNode, id: String)
    {
        let answer = try await call(kind.create, parameters)
        guard let created = answer.child(kind.element), let id = created.child(kind.element + "Id")?.text else {
            throw ProviderError.missing("id", from: kind.create, desired)
        }
        await invalidate(kind.describe)
        if created.child("state")?.text == "available" { return (created, id) }
        _ = try await Waiter(policy: context.waits).wait(for: "\(kind.what) \(id) to become available", deadline: .seconds(300)) {
            () async throws -> Bool? in
            do {
                let now = try await describe(kind.describe, set: kind.set, [(name: kind.idFilter + ".1", value: id)])
                    .first { $0.child(kind.element + "Id")?.text == id }
                return now?.child("state")?.text == "available" ? true : nil
            } catch let error as AWSError where error.isNotFound {
                // Eventual consistency: a describe right after the create may not see it yet.
                return nil
            }
        }
        return (created, id)
    }
}
