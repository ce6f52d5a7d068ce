import AWSClient
import Foundation
import StrataModel

/// `aws_eks_access_entry`: lets an IAM principal authenticate to a cluster. Created with its
/// client token and tags; groups and user name change in place.
struct EKSAccessEntryProvider: ResourceProvider {
    let schema = ResourceSchema.awsEKSAccessEntry
    let deletion = DeletionRule(rank: 2)
    let normalisation = NormalisationRules(sets: ["kubernetes_groups"])

    /// ListAccessEntries + DescribeAccessEntry per entry in each of the stack's clusters; the
    /// cluster creator's bootstrap entry carries no strata tags and is not the stack's.
    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        try await EKSAccessEntryProvider.ownedEntries(context).map { liveResource($0, stack: context.stack) }
    }

    /// The stack's access entries (DescribeAccessEntry answers), shared with the policy associations.
    static func ownedEntries(_ context: ProviderContext) async throws -> [JSONValue] {
        let eks = EKS(context.client)
        let stack = context.stack
        let clusters = try await EKSSupport.ownedClusterNames(context)
        return try await context.cache.value("eks:access-entries") { () async throws -> [JSONValue] in
            var out: [JSONValue] = []
            for cluster in clusters {
                for principal in try await eks.listAccessEntries(cluster: cluster) {
                    guard let entry = try await eks.describeAccessEntry(cluster: cluster, principal: principal) else { continue }
                    if EKSSupport.stringMap(entry["tags"])[ProviderContext.stackTag] == stack { out.append(entry) }
                }
            }
            return out
        }
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let eks = EKS(context.client)
        let cluster = try desired.required("cluster_name")
        let principal = try desired.required("principal_arn")
        var body: [String: JSONValue] = [
            "principalArn": .string(principal), "clientRequestToken": .string(desired.idempotencyToken),
            "tags": EKSSupport.tagsJSON(desired.tags),
        ]
        if let kind = desired.attributes.string("type") { body["type"] = .string(kind) }
        if let groups = desired.attributes["kubernetes_groups"], groups != .null {
            body["kubernetesGroups"] = try EKSSupport.wire(desired, "kubernetes_groups", groups)
        }
        if let user = desired.attributes.string("user_name") { body["username"] = .string(user) }
        let entry: JSONValue
        do {
            entry = try await eks.createAccessEntry(cluster: cluster, .object(body))
        } catch let error as AWSError where error.isAlreadyExists {
            guard let existing = try await eks.describeAccessEntry(cluster: cluster, principal: principal) else { throw error }
            let tags = EKSSupport.stringMap(existing["tags"])
            try Ownership.claim(tags, name: "\(cluster)/\(principal)", for: desired, stack: context.stack)
            entry = existing
        }
        await context.cache.invalidate(prefix: "eks:access-entries")
        return liveResource(entry, stack: context.stack)
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let eks = EKS(context.client)
        guard let cluster = live.attributes.string("cluster_name"), let principal = live.attributes.string("principal_arn") else {
            throw ProviderError.invalidAttribute(
                type: type, attribute: "id", problem: "live access entry \(live.id) has no cluster or principal")
        }
        var entry: JSONValue?
        if changed.contains("kubernetes_groups") || changed.contains("user_name") {
            var body: [String: JSONValue] = ["clientRequestToken": .string(EKSSupport.updateToken(desired, call: "entry", from: live))]
            if changed.contains("kubernetes_groups") {
                body["kubernetesGroups"] = try EKSSupport.wire(
                    desired, "kubernetes_groups", desired.attributes["kubernetes_groups"] ?? .list([]))
            }
            if changed.contains("user_name"), let user = desired.attributes.string("user_name") { body["username"] = .string(user) }
            entry = try await eks.updateAccessEntry(cluster: cluster, principal: principal, .object(body))
        }
        if let arn = live.attributes.string("access_entry_arn"),
            try await TagSync.update(live, to: desired, changed: changed, eks.tagCalls(arn: arn))
        {
            entry = nil
        }
        await context.cache.invalidate(prefix: "eks:access-entries")
        if entry == nil { entry = try await eks.describeAccessEntry(cluster: cluster, principal: principal) }
        guard let entry else {
            throw ProviderError.failed(type: type, name: "\(cluster)/\(principal)", status: "gone", detail: "disappeared during its update")
        }
        return liveResource(entry, stack: context.stack)
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        guard let cluster = live.attributes.string("cluster_name"), let principal = live.attributes.string("principal_arn") else { return }
        do {
            try await EKS(context.client).deleteAccessEntry(cluster: cluster, principal: principal)
        } catch let error as AWSError where error.isNotFound {
        }
        await context.cache.invalidate(prefix: "eks:access-entries")
    }

    func liveResource(_ entry: JSONValue, stack: String) -> LiveResource {
        let cluster = entry["clusterName"]?.stringValue ?? ""
        let principal = entry["principalArn"]?.stringValue ?? ""
        let tags = EKSSupport.stringMap(entry["tags"])
        var attributes: [String: Value] = [
            "id": .string("\(cluster):\(principal)"),
            "access_entry_arn": EKSSupport.string(entry["accessEntryArn"]),
            "cluster_name": .string(cluster),
            "principal_arn": .string(principal),
            "type": EKSSupport.string(entry["type"]),
            "kubernetes_groups": EKSSupport.strings(entry["kubernetesGroups"]),
            "user_name": EKSSupport.string(entry["username"]),
            "created_at": EKSSupport.time(entry["createdAt"]),
            "modified_at": EKSSupport.time(entry["modifiedAt"]),
        ]
        attributes.merge(Ownership.tagAttributes(tags)) { $1 }
        return LiveResource(
            type: type, address: Ownership.address(tags, stack: stack), id: "\(cluster):\(principal)",
            attributes: attributes.filter { $0.value != .null })
    }
}
