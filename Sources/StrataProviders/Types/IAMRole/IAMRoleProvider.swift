import AWSClient
import StrataModel

/// `aws_iam_role`: created under the stack's IAM path with its tags in CreateRole; discovered
/// from the account snapshot (GetAccountAuthorizationDetails: tags, trust policy, boundary) plus
/// ListRoles under the path (description and session duration, which the snapshot omits) — two
/// paginated reads for every role of the stack.
struct IAMRoleProvider: ResourceProvider {
    let schema = ResourceSchema.awsIAMRole
    let deletion = DeletionRule(
        rank: 6, waitsFor: ["aws_iam_role_policy_attachment": .every, "aws_iam_role_policy": .every, "aws_iam_instance_profile": .every])
    let normalisation = NormalisationRules(writeOnly: ["force_detach_policies"])

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        let iam = IAM(context)
        async let snapshot = iam.snapshot(pathPrefix: context.iamPath)
        async let listed = iam.roles(pathPrefix: context.iamPath)
        let (details, summaries) = try await (snapshot, listed)
        return details.roles.compactMap { role in
            guard let name = role.child("RoleName")?.text else { return nil }
            return Self.live(role, summary: summaries[name], context)
        }
    }

    /// A live role from a `RoleDetail` or `Role` element; `summary` (a ListRoles `Role`) supplies
    /// what the detail lacks. Nil when the role is not this stack's.
    static func live(_ role: XMLNode, summary: XMLNode?, _ context: ProviderContext) -> LiveResource? {
        let tags = IAM.tags(of: role)
        guard let address = Ownership.address(tags, stack: context.stack), let name = role.child("RoleName")?.text else { return nil }
        let info = summary ?? role
        var attributes = Ownership.tagAttributes(tags)
        attributes["id"] = .string(name)
        attributes["name"] = .string(name)
        attributes["arn"] = IAM.text(role, "Arn").map(Value.string) ?? .null
        attributes["path"] = .string(IAM.userPath(role.child("Path")?.text ?? "/", stackPath: context.iamPath))
        if let document = IAM.text(role, "AssumeRolePolicyDocument") {
            attributes["assume_role_policy"] = PolicyDocument.live(IAM.decodeDocument(document))
        }
        if let description = IAM.text(info, "Description") { attributes["description"] = .string(description) }
        attributes["max_session_duration"] = .int(IAM.text(info, "MaxSessionDuration").flatMap { Int($0) } ?? 3600)
        if let boundary = role["PermissionsBoundary", "PermissionsBoundaryArn"]?.text, !boundary.isEmpty {
            attributes["permissions_boundary"] = .string(boundary)
        }
        attributes["unique_id"] = IAM.text(role, "RoleId").map(Value.string) ?? .null
        attributes["create_date"] = IAM.text(role, "CreateDate").map(Value.string) ?? .null
        return LiveResource(type: "aws_iam_role", address: address, id: name, attributes: attributes)
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let iam = IAM(context)
        let name = try GeneratedName.name(desired, maxLength: 64)
        var parameters: IAM.Parameters = [
            (name: "RoleName", value: name),
            (name: "Path", value: IAM.fullPath(desired.attributes.string("path"), stackPath: context.iamPath)),
            (name: "AssumeRolePolicyDocument", value: try PolicyDocument.required(desired, "assume_role_policy")),
        ]
        if let description = desired.attributes.string("description") { parameters.append((name: "Description", value: description)) }
        if let seconds = desired.attributes.int("max_session_duration") {
            parameters.append((name: "MaxSessionDuration", value: String(seconds)))
        }
        if let boundary = desired.attributes.string("permissions_boundary") {
            parameters.append((name: "PermissionsBoundary", value: boundary))
        }
        parameters += IAM.tags(desired.tags)
        let created: XMLNode
        do {
            created = try await iam.writing { try await iam.call("CreateRole", parameters) }
        } catch let error as AWSError where error.isAlreadyExists {
            return try await adopt(name, desired, context)
        }
        if let role = created.first(named: "Role"), let live = Self.live(Self.withTags(role, desired.tags), summary: nil, context) {
            return live
        }
        return try await read(name, context)
    }

    /// A role of this name exists: a run that crashed after CreateRole made it if it carries this
    /// stack's address tag under this stack's path; anything else is someone else's role.
    private func adopt(_ name: String, _ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let role = try await IAM(context).call("GetRole", [(name: "RoleName", value: name)]).first(named: "Role") ?? XMLNode(name: "Role")
        let tags = IAM.tags(of: role)
        let path = role.child("Path")?.text ?? ""
        guard path.hasPrefix(context.iamPath), Ownership.address(tags, stack: context.stack) == desired.address,
            let live = Self.live(role, summary: nil, context)
        else {
            throw ProviderError.nameTaken(type: type, name: name, owner: Ownership.owner(tags, path: path))
        }
        return live
    }

    /// CreateRole's answer echoes tags only on some endpoints: fill them from what was sent.
    private static func withTags(_ role: XMLNode, _ tags: [String: String]) -> XMLNode {
        guard role.child("Tags") == nil else { return role }
        var role = role
        let members = tags.sorted { $0.key < $1.key }.map {
            XMLNode(name: "member", children: [XMLNode(name: "Key", text: $0.key), XMLNode(name: "Value", text: $0.value)])
        }
        role.children.append(XMLNode(name: "Tags", children: members))
        return role
    }

    private func read(_ name: String, _ context: ProviderContext) async throws -> LiveResource {
        let role = try await IAM(context).call("GetRole", [(name: "RoleName", value: name)]).first(named: "Role")
        guard let role, let live = Self.live(role, summary: nil, context) else {
            throw ProviderError.nameTaken(type: type, name: name, owner: "its tags no longer name this stack")
        }
        return live
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let iam = IAM(context)
        let name = live.id
        try await iam.writing { try await apply(changed, name: name, live: live, desired: desired, iam) }
        return try await read(name, context)
    }

    private func apply(_ changed: Set<String>, name: String, live: LiveResource, desired: DesiredResource, _ iam: IAM) async throws {
        if changed.contains("assume_role_policy") {
            try await iam.call(
                "UpdateAssumeRolePolicy",
                [
                    (name: "RoleName", value: name),
                    (name: "PolicyDocument", value: try PolicyDocument.required(desired, "assume_role_policy")),
                ])
        }
        if changed.contains("description") || changed.contains("max_session_duration") {
            var parameters: IAM.Parameters = [(name: "RoleName", value: name)]
            // UpdateRole clears the description when it is sent empty; an absent one stays.
            parameters.append((name: "Description", value: desired.attributes.string("description") ?? ""))
            parameters.append((name: "MaxSessionDuration", value: String(desired.attributes.int("max_session_duration") ?? 3600)))
            try await iam.call("UpdateRole", parameters)
        }
        if changed.contains("permissions_boundary") {
            if let boundary = desired.attributes.string("permissions_boundary") {
                try await iam.call(
                    "PutRolePermissionsBoundary", [(name: "RoleName", value: name), (name: "PermissionsBoundary", value: boundary)])
            } else {
                try await iam.call("DeleteRolePermissionsBoundary", [(name: "RoleName", value: name)])
            }
        }
        try await TagSync.update(live, to: desired, changed: changed, iam.tagCalls("Role", [(name: "RoleName", value: name)]))
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let iam = IAM(context)
        try await iam.deleting {
            if live.attributes.bool("force_detach_policies") == true { try await detachEverything(live.id, iam) }
            try await iam.call("DeleteRole", [(name: "RoleName", value: live.id)])
        }
    }

    /// `force_detach_policies`: managed policies detached and inline ones deleted, so the role can go.
    private func detachEverything(_ name: String, _ iam: IAM) async throws {
        let role: IAM.Parameters = [(name: "RoleName", value: name)]
        for policy in try await iam.paged("ListAttachedRolePolicies", list: "AttachedPolicies", role) {
            guard let arn = policy.child("PolicyArn")?.text else { continue }
            try await iam.call("DetachRolePolicy", role + [(name: "PolicyArn", value: arn)])
        }
        for policy in try await iam.paged("ListRolePolicies", list: "PolicyNames", role) where !policy.text.isEmpty {
            try await iam.call("DeleteRolePolicy", role + [(name: "PolicyName", value: policy.text)])
        }
    }
}
