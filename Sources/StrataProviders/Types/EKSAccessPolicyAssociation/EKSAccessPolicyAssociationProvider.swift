import AWSClient
import Foundation
import StrataModel

/// `aws_eks_access_policy_association`: an access policy granted to an access entry. It has no
/// tags: it is the stack's when its access entry is, and matches by identity
/// `cluster|principal|policy`.
struct EKSAccessPolicyAssociationProvider: ResourceProvider {
    let schema = ResourceSchema.awsEKSAccessPolicyAssociation
    let deletion = DeletionRule(rank: 1)
    let normalisation = NormalisationRules(sets: ["namespaces"])

    /// ListAssociatedAccessPolicies per access entry of the stack (entries read once, shared with
    /// `aws_eks_access_entry`).
    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        let eks = EKS(context.client)
        var out: [LiveResource] = []
        for entry in try await EKSAccessEntryProvider.ownedEntries(context) {
            guard let cluster = entry["clusterName"]?.stringValue, let principal = entry["principalArn"]?.stringValue else { continue }
            for policy in try await eks.listAssociatedAccessPolicies(cluster: cluster, principal: principal) {
                out.append(liveResource(policy, cluster: cluster, principal: principal))
            }
        }
        return out
    }

    func identity(of attributes: [String: Value]) -> String? {
        guard let cluster = attributes.string("cluster_name"), let principal = attributes.string("principal_arn"),
            let policy = attributes.string("policy_arn")
        else { return nil }
        return "\(cluster)|\(principal)|\(policy)"
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let cluster = try desired.required("cluster_name")
        let principal = try desired.required("principal_arn")
        let policy = try desired.required("policy_arn")
        // Associating again replaces the scope: a re-run create is harmless.
        let associated = try await EKS(context.client).associateAccessPolicy(
            cluster: cluster, principal: principal, policyARN: policy, scope: try scope(desired))
        return liveResource(associated, cluster: cluster, principal: principal)
    }

    /// Every attribute forces replacement; the one call EKS has re-associates with the new scope.
    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        try await create(desired, context)
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        guard let cluster = live.attributes.string("cluster_name"), let principal = live.attributes.string("principal_arn"),
            let policy = live.attributes.string("policy_arn")
        else { return }
        do {
            try await EKS(context.client).disassociateAccessPolicy(cluster: cluster, principal: principal, policyARN: policy)
        } catch let error as AWSError where error.isNotFound {
        }
    }

    private func scope(_ desired: DesiredResource) throws -> JSONValue {
        let block = EKSSupport.block(desired.attributes["access_scope"])
        guard let kind = block["type"]?.stringValue else {
            throw ProviderError.invalidAttribute(type: type, attribute: "access_scope.type", problem: "is required")
        }
        var scope: [String: JSONValue] = ["type": .string(kind)]
        if let namespaces = block["namespaces"], namespaces != .null {
            scope["namespaces"] = try EKSSupport.wire(desired, "access_scope.namespaces", namespaces)
        }
        return .object(scope)
    }

    func liveResource(_ policy: JSONValue, cluster: String, principal: String) -> LiveResource {
        let policyARN = policy["policyArn"]?.stringValue ?? ""
        let namespaces = policy["accessScope"]?["namespaces"]?.arrayValue ?? []
        var scope: [String: Value] = ["type": EKSSupport.string(policy["accessScope"]?["type"])]
        // EKS reports `[]` for a cluster scope; the stack leaves namespaces out then.
        if !namespaces.isEmpty { scope["namespaces"] = EKSSupport.strings(policy["accessScope"]?["namespaces"]) }
        let attributes: [String: Value] = [
            "id": .string("\(cluster)#\(principal)#\(policyARN)"),
            "cluster_name": .string(cluster),
            "principal_arn": .string(principal),
            "policy_arn": .string(policyARN),
            "access_scope": .map(scope),
            "associated_at": EKSSupport.time(policy["associatedAt"]),
            "modified_at": EKSSupport.time(policy["modifiedAt"]),
        ]
        return LiveResource(
            type: type, address: nil, id: "\(cluster)#\(principal)#\(policyARN)", identity: "\(cluster)|\(principal)|\(policyARN)",
            attributes: attributes.filter { $0.value != .null },
            parent: LiveResource.Parent(type: "aws_eks_access_entry", id: "\(cluster):\(principal)"))
    }
}
