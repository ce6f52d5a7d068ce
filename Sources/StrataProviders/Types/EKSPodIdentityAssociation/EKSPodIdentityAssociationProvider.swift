import AWSClient
import Foundation
import StrataModel

/// `aws_eks_pod_identity_association`: a service account's IAM role through the Pod Identity
/// agent. Created with its client token and tags; the role changes in place.
struct EKSPodIdentityAssociationProvider: ResourceProvider {
    let schema = ResourceSchema.awsEKSPodIdentityAssociation
    let deletion = DeletionRule(rank: 1)

    /// ListPodIdentityAssociations (summaries) + DescribePodIdentityAssociation per association
    /// (for tags and role) in each of the stack's clusters.
    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        let eks = EKS(context.client)
        let ids = { (cluster: String) in
            try await eks.listPodIdentityAssociations(cluster: cluster).compactMap { $0["associationId"]?.stringValue }
        }
        return try await EKSSupport.ownedChildren(context, list: ids) { cluster, id in
            try await eks.describePodIdentityAssociation(cluster: cluster, id: id).map { liveResource($0, stack: context.stack) }
        }
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let eks = EKS(context.client)
        let cluster = try desired.required("cluster_name")
        let namespace = try desired.required("namespace")
        let account = try desired.required("service_account")
        let body: JSONValue = [
            "namespace": .string(namespace), "serviceAccount": .string(account), "roleArn": .string(try desired.required("role_arn")),
            "clientRequestToken": .string(desired.idempotencyToken), "tags": EKSSupport.tagsJSON(desired.tags),
        ]
        do {
            return liveResource(try await eks.createPodIdentityAssociation(cluster: cluster, body), stack: context.stack)
        } catch let error as AWSError where error.isAlreadyExists {
            // One association per service account: adopt ours from an earlier, interrupted run.
            for summary in try await eks.listPodIdentityAssociations(cluster: cluster)
            where summary["namespace"]?.stringValue == namespace && summary["serviceAccount"]?.stringValue == account {
                guard let id = summary["associationId"]?.stringValue,
                    let existing = try await eks.describePodIdentityAssociation(cluster: cluster, id: id)
                else { continue }
                try Ownership.claim(
                    EKSSupport.stringMap(existing["tags"]), name: "\(cluster)/\(namespace)/\(account)", for: desired, stack: context.stack)
                return liveResource(existing, stack: context.stack)
            }
            throw error
        }
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let eks = EKS(context.client)
        guard let cluster = live.attributes.string("cluster_name") else {
            throw ProviderError.invalidAttribute(type: type, attribute: "cluster_name", problem: "unknown for \(live.id)")
        }
        var current = live
        if changed.contains("role_arn") {
            let body: JSONValue = [
                "roleArn": .string(try desired.required("role_arn")),
                "clientRequestToken": .string(EKSSupport.updateToken(desired, call: "role", from: live)),
            ]
            current = liveResource(try await eks.updatePodIdentityAssociation(cluster: cluster, id: live.id, body), stack: context.stack)
        }
        if let arn = current.attributes.string("association_arn"),
            try await TagSync.update(current, to: desired, changed: changed, eks.tagCalls(arn: arn))
        {
            if let described = try await eks.describePodIdentityAssociation(cluster: cluster, id: live.id) {
                current = liveResource(described, stack: context.stack)
            }
        }
        return current
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        guard let cluster = live.attributes.string("cluster_name") else { return }
        do {
            try await EKS(context.client).deletePodIdentityAssociation(cluster: cluster, id: live.id)
        } catch let error as AWSError where error.isNotFound {
        }
    }

    func liveResource(_ association: JSONValue, stack: String) -> LiveResource {
        let id = association["associationId"]?.stringValue ?? ""
        let tags = EKSSupport.stringMap(association["tags"])
        var attributes: [String: Value] = [
            "id": .string(id),
            "association_id": .string(id),
            "association_arn": EKSSupport.string(association["associationArn"]),
            "cluster_name": EKSSupport.string(association["clusterName"]),
            "namespace": EKSSupport.string(association["namespace"]),
            "service_account": EKSSupport.string(association["serviceAccount"]),
            "role_arn": EKSSupport.string(association["roleArn"]),
        ]
        attributes.merge(Ownership.tagAttributes(tags)) { $1 }
        return LiveResource(
            type: type, address: Ownership.address(tags, stack: stack), id: id, attributes: attributes.filter { $0.value != .null })
    }
}
