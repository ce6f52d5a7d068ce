import AWSClient
import StrataModel

/// `aws_iam_policy`: a customer-managed policy under the stack's IAM path. Discovery reads the
/// account snapshot (every version's document comes with it) and, because no IAM listing
/// returns a policy's tags, one ListPolicyTags per policy under the stack's path to learn its
/// address. A changed document is published as a new default version.
struct IAMPolicyProvider: ResourceProvider {
    let schema = ResourceSchema.awsIAMPolicy
    let deletion = DeletionRule(rank: 6, waitsFor: ["aws_iam_role_policy_attachment": .every])
    /// IAM keeps at most five versions of a managed policy.
    static let versionLimit = 5

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        let iam = IAM(context)
        let policies = try await iam.snapshot(pathPrefix: context.iamPath).policies
        let tagged: [(XMLNode, [String: String])] = try await concurrentMap(policies) { policy in
            guard let arn = policy.child("Arn")?.text else { return (policy, [:]) }
            do {
                let tags = try await iam.paged("ListPolicyTags", list: "Tags", [(name: "PolicyArn", value: arn)])
                return (policy, Self.tagMap(tags))
            } catch let error as AWSError where error.isNotFound {
                return (policy, [:])  // deleted between the snapshot and now
            }
        }
        return tagged.compactMap { policy, tags in
            let document = Self.defaultDocument(policy)
            return Self.live(policy, tags: tags, document: document, context)
        }
    }

    static func tagMap(_ members: [XMLNode]) -> [String: String] {
        var tags: [String: String] = [:]
        for tag in members {
            if let key = tag.child("Key")?.text { tags[key] = tag.child("Value")?.text ?? "" }
        }
        return tags
    }

    /// The document of the default version, from a `ManagedPolicyDetail`'s version list.
    static func defaultDocument(_ policy: XMLNode) -> String? {
        let versions = policy.child("PolicyVersionList")?.items ?? []
        let chosen = versions.first { $0.child("IsDefaultVersion")?.text == "true" } ?? versions.first
        return chosen.flatMap { IAM.text($0, "Document") }.map(IAM.decodeDocument)
    }

    /// A live policy from a `ManagedPolicyDetail` or `Policy` element; nil when not this stack's.
    static func live(_ policy: XMLNode, tags: [String: String], document: String?, _ context: ProviderContext) -> LiveResource? {
        guard let address = Ownership.address(tags, stack: context.stack), let arn = IAM.text(policy, "Arn") else { return nil }
        var attributes = Ownership.tagAttributes(tags)
        attributes["id"] = .string(arn)
        attributes["arn"] = .string(arn)
        attributes["name"] = IAM.text(policy, "PolicyName").map(Value.string) ?? .string(String(arn.split(separator: "/").last ?? ""))
        attributes["path"] = .string(IAM.userPath(policy.child("Path")?.text ?? "/", stackPath: context.iamPath))
        if let description = IAM.text(policy, "Description") { attributes["description"] = .string(description) }
        if let document { attributes["policy"] = PolicyDocument.live(document) }
        attributes["policy_id"] = IAM.text(policy, "PolicyId").map(Value.string) ?? .null
        attributes["attachment_count"] = .int(IAM.text(policy, "AttachmentCount").flatMap { Int($0) } ?? 0)
        return LiveResource(type: "aws_iam_policy", address: address, id: arn, attributes: attributes)
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let iam = IAM(context)
        let name = try GeneratedName.name(desired, maxLength: 128)
        let document = try PolicyDocument.required(desired, "policy")
        let path = IAM.fullPath(desired.attributes.string("path"), stackPath: context.iamPath)
        var parameters: IAM.Parameters = [
            (name: "PolicyName", value: name), (name: "Path", value: path), (name: "PolicyDocument", value: document),
        ]
        if let description = desired.attributes.string("description") { parameters.append((name: "Description", value: description)) }
        parameters += IAM.tags(desired.tags)
        let created: XMLNode
        do {
            created = try await iam.writing { try await iam.call("CreatePolicy", parameters) }
        } catch let error as AWSError where error.isAlreadyExists {
            return try await adopt(name, desired, context)
        }
        guard let policy = created.first(named: "Policy"), let arn = IAM.text(policy, "Arn") else {
            throw ProviderError.invalidAttribute(type: type, attribute: "arn", problem: "CreatePolicy answered without an ARN")
        }
        return try await read(arn, document: document, context)
    }

    /// A policy of this name exists somewhere in the account: a crashed run's when it sits under
    /// this stack's path with this address tag, adopted then; someone else's otherwise.
    private func adopt(_ name: String, _ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let iam = IAM(context)
        let ours = try await iam.paged(
            "ListPolicies", list: "Policies", [(name: "Scope", value: "Local"), (name: "PathPrefix", value: context.iamPath)])
        guard let policy = ours.first(where: { $0.child("PolicyName")?.text == name }), let arn = IAM.text(policy, "Arn") else {
            throw ProviderError.nameTaken(type: type, name: name, owner: "not under this stack's path \(context.iamPath)")
        }
        let live = try await read(arn, document: nil, context)
        guard live.address == desired.address else {
            let tags = live.attributes["tags_all"]?.stringMap ?? [:]
            throw ProviderError.nameTaken(type: type, name: name, owner: Ownership.owner(tags, path: nil))
        }
        return live
    }

    /// GetPolicy (tags included) and, unless the caller knows it, the default version's document.
    private func read(_ arn: String, document: String?, _ context: ProviderContext) async throws -> LiveResource {
        let iam = IAM(context)
        guard let policy = try await iam.call("GetPolicy", [(name: "PolicyArn", value: arn)]).first(named: "Policy") else {
            throw ProviderError.invalidAttribute(type: type, attribute: "arn", problem: "GetPolicy answered without a policy")
        }
        var text = document
        if text == nil, let version = IAM.text(policy, "DefaultVersionId") {
            let answer = try await iam.call("GetPolicyVersion", [(name: "PolicyArn", value: arn), (name: "VersionId", value: version)])
            text = answer.first(named: "Document").map { IAM.decodeDocument($0.text) }
        }
        let tags = IAM.tags(of: policy)
        guard let live = Self.live(policy, tags: tags, document: text, context) else {
            throw ProviderError.nameTaken(type: type, name: arn, owner: Ownership.owner(tags, path: nil))
        }
        return live
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let iam = IAM(context)
        let arn = live.id
        var document: String?
        try await iam.writing {
            if changed.contains("policy") {
                let text = try PolicyDocument.required(desired, "policy")
                try await publish(text, arn: arn, iam)
                document = text
            }
            try await TagSync.update(live, to: desired, changed: changed, iam.tagCalls("Policy", [(name: "PolicyArn", value: arn)]))
        }
        return try await read(arn, document: document, context)
    }

    /// A new default version; at IAM's five-version limit the oldest non-default goes first.
    private func publish(_ document: String, arn: String, _ iam: IAM) async throws {
        let target: IAM.Parameters = [(name: "PolicyArn", value: arn)]
        let versions = try await iam.paged("ListPolicyVersions", list: "Versions", target)
        if versions.count >= Self.versionLimit {
            let oldest = versions.filter { $0.child("IsDefaultVersion")?.text != "true" }
                .min { ($0.child("CreateDate")?.text ?? "") < ($1.child("CreateDate")?.text ?? "") }
            if let id = oldest?.child("VersionId")?.text {
                try await iam.call("DeletePolicyVersion", target + [(name: "VersionId", value: id)])
            }
        }
        try await iam.call(
            "CreatePolicyVersion", target + [(name: "PolicyDocument", value: document), (name: "SetAsDefault", value: "true")])
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let iam = IAM(context)
        let target: IAM.Parameters = [(name: "PolicyArn", value: live.id)]
        try await iam.deleting {
            // IAM refuses to delete a policy that still has non-default versions.
            for version in try await iam.paged("ListPolicyVersions", list: "Versions", target)
            where version.child("IsDefaultVersion")?.text != "true" {
                guard let id = version.child("VersionId")?.text else { continue }
                try await iam.call("DeletePolicyVersion", target + [(name: "VersionId", value: id)])
            }
            try await iam.call("DeletePolicy", target)
        }
    }
}
