import AWSClient
import StrataModel

/// `aws_iam_role_policy`: an inline policy of a role. Untagged, a child of the role: discovery
/// reads the `RolePolicyList` of the stack's roles from the account snapshot, with no call of
/// its own. Identity: role name and policy name. PutRolePolicy creates and overwrites alike.
struct IAMRolePolicyProvider: ResourceProvider {
    let schema = ResourceSchema.awsIAMRolePolicy
    let deletion = DeletionRule(rank: 4, waitsFor: [:])

    func identity(of attributes: [String: Value]) -> String? {
        guard let role = attributes.string("role"), let name = attributes.string("name") else { return nil }
        return "\(role)|\(name)"
    }

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        let roles = try await IAM(context).snapshot(pathPrefix: context.iamPath).roles
        var live: [LiveResource] = []
        for role in roles where IAM.tags(of: role)[ProviderContext.stackTag] == context.stack {
            guard let roleName = role.child("RoleName")?.text else { continue }
            for policy in role.child("RolePolicyList")?.items ?? [] {
                guard let name = IAM.text(policy, "PolicyName") else { continue }
                let document = IAM.text(policy, "PolicyDocument").map(IAM.decodeDocument)
                live.append(Self.live(role: roleName, name: name, document: document.map(PolicyDocument.live)))
            }
        }
        return live
    }

    static func live(role: String, name: String, document: Value?) -> LiveResource {
        var attributes: [String: Value] = ["id": .string("\(role):\(name)"), "role": .string(role), "name": .string(name)]
        if let document { attributes["policy"] = document }
        return LiveResource(
            type: "aws_iam_role_policy", address: nil, id: "\(role):\(name)", identity: "\(role)|\(name)", attributes: attributes,
            parent: LiveResource.Parent(type: "aws_iam_role", id: role))
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let role = try desired.required("role")
        let name = try GeneratedName.name(desired, maxLength: 128)
        let document = try PolicyDocument.required(desired, "policy")
        let iam = IAM(context)
        try await iam.writing {
            try await iam.call(
                "PutRolePolicy",
                [(name: "RoleName", value: role), (name: "PolicyName", value: name), (name: "PolicyDocument", value: document)])
        }
        return Self.live(role: role, name: name, document: .string(document))
    }

    /// Only the document changes in place (role and name force replacement): PutRolePolicy again.
    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        try await updateByWritingAgain(live, to: desired, context)
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        guard let role = live.attributes.string("role"), let name = live.attributes.string("name") else { return }
        let iam = IAM(context)
        try await iam.deleting {
            try await iam.call("DeleteRolePolicy", [(name: "RoleName", value: role), (name: "PolicyName", value: name)])
        }
    }
}
