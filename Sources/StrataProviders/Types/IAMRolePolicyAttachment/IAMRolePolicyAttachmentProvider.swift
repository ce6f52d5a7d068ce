import AWSClient
import StrataModel

/// `aws_iam_role_policy_attachment`: a managed policy attached to a role. Untagged, it is a
/// child of the role: discovery reads the `AttachedManagedPolicies` of the stack's roles from the
/// account snapshot, with no call of its own. Identity: role name and policy ARN.
struct IAMRolePolicyAttachmentProvider: ResourceProvider {
    let schema = ResourceSchema.awsIAMRolePolicyAttachment
    let deletion = DeletionRule(rank: 4, waitsFor: [:])

    func identity(of attributes: [String: Value]) -> String? {
        guard let role = attributes.string("role"), let arn = attributes.string("policy_arn") else { return nil }
        return "\(role)|\(arn)"
    }

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        let roles = try await IAM(context).snapshot(pathPrefix: context.iamPath).roles
        var live: [LiveResource] = []
        for role in roles where IAM.tags(of: role)[ProviderContext.stackTag] == context.stack {
            guard let name = role.child("RoleName")?.text else { continue }
            for policy in role.child("AttachedManagedPolicies")?.items ?? [] {
                guard let arn = IAM.text(policy, "PolicyArn") else { continue }
                live.append(Self.live(role: name, policyARN: arn))
            }
        }
        return live
    }

    static func live(role: String, policyARN: String) -> LiveResource {
        let attributes: [String: Value] = [
            "id": .string("\(role)/\(policyARN)"), "role": .string(role), "policy_arn": .string(policyARN),
        ]
        return LiveResource(
            type: "aws_iam_role_policy_attachment", address: nil, id: "\(role)/\(policyARN)", identity: "\(role)|\(policyARN)",
            attributes: attributes, parent: LiveResource.Parent(type: "aws_iam_role", id: role))
    }

    /// AttachRolePolicy is idempotent in IAM: attaching what is attached succeeds, so a re-run
    /// after a crash needs no adoption step.
    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let role = try desired.required("role")
        let arn = try desired.required("policy_arn")
        let iam = IAM(context)
        try await iam.writing {
            try await iam.call("AttachRolePolicy", [(name: "RoleName", value: role), (name: "PolicyArn", value: arn)])
        }
        return Self.live(role: role, policyARN: arn)
    }

    /// Both attributes force replacement, so the planner never asks for an in-place change; a
    /// caller that does gets the replacement done here: the new pair attached, the old detached.
    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        try await updateByWritingAgain(live, to: desired, context)
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        guard let role = live.attributes.string("role"), let arn = live.attributes.string("policy_arn") else { return }
        let iam = IAM(context)
        try await iam.deleting {
            try await iam.call("DetachRolePolicy", [(name: "RoleName", value: role), (name: "PolicyArn", value: arn)])
        }
    }
}
