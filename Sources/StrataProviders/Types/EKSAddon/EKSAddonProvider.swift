import AWSClient
import Foundation
import StrataModel

/// `aws_eks_addon`: CreateAddon (client token, tags, conflict resolution) waited ACTIVE;
/// UpdateAddon for version, configuration, service account role and pod identities, waited
/// Successful; DeleteAddon (optionally preserving the add-on's objects) waited gone.
struct EKSAddonProvider: ResourceProvider {
    let schema = ResourceSchema.awsEKSAddon
    let deletion = DeletionRule(rank: 1)
    let normalisation = NormalisationRules(
        sets: ["pod_identity_association"], writeOnly: ["resolve_conflicts_on_create", "resolve_conflicts_on_update", "preserve"])

    static let deadline: Duration = .seconds(20 * 60)

    /// ListAddons + DescribeAddon per add-on, in each of the stack's clusters.
    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        let eks = EKS(context.client)
        return try await EKSSupport.ownedChildren(context, list: { try await eks.listAddons(cluster: $0) }) { cluster, name in
            guard let addon = try await eks.describeAddon(cluster: cluster, name: name) else { return nil }
            var live = liveResource(addon, stack: context.stack)
            // Only the stack's own add-ons are worth the extra read.
            if live.address != nil { live.attributes.merge(try await podIdentities(addon, eks)) { $1 } }
            return live
        }
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let eks = EKS(context.client)
        let cluster = try desired.required("cluster_name")
        let name = try desired.required("addon_name")
        var body: [String: JSONValue] = [
            "addonName": .string(name), "clientRequestToken": .string(desired.idempotencyToken), "tags": EKSSupport.tagsJSON(desired.tags),
        ]
        try fill(&body, desired)
        if let resolve = desired.attributes.string("resolve_conflicts_on_create") { body["resolveConflicts"] = .string(resolve) }
        do {
            _ = try await eks.createAddon(cluster: cluster, .object(body))
        } catch let error as AWSError where error.isAlreadyExists {
            guard let existing = try await eks.describeAddon(cluster: cluster, name: name) else { throw error }
            let tags = EKSSupport.stringMap(existing["tags"])
            try Ownership.claim(tags, name: "\(cluster)/\(name)", for: desired, stack: context.stack)
        }
        return try await waitActive(cluster, name, context, what: "EKS add-on \(cluster)/\(name) to be ACTIVE")
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let eks = EKS(context.client)
        guard let cluster = live.attributes.string("cluster_name"), let name = live.attributes.string("addon_name") else {
            throw ProviderError.invalidAttribute(type: type, attribute: "id", problem: "live add-on \(live.id) has no cluster or name")
        }
        let settable: Set<String> = ["addon_version", "configuration_values", "service_account_role_arn", "pod_identity_association"]
        if !changed.isDisjoint(with: settable) {
            var body: [String: JSONValue] = [:]
            try fill(&body, desired)
            // Only what changed: EKS refuses an update that changes nothing.
            if !changed.contains("addon_version") { body["addonVersion"] = nil }
            if changed.contains("configuration_values"), body["configurationValues"] == nil { body["configurationValues"] = "" }
            if !changed.contains("configuration_values") { body["configurationValues"] = nil }
            if changed.contains("service_account_role_arn"), body["serviceAccountRoleArn"] == nil { body["serviceAccountRoleArn"] = "" }
            if !changed.contains("service_account_role_arn") { body["serviceAccountRoleArn"] = nil }
            if !changed.contains("pod_identity_association") { body["podIdentityAssociations"] = nil }
            if changed.contains("pod_identity_association"), body["podIdentityAssociations"] == nil { body["podIdentityAssociations"] = [] }
            if let resolve = desired.attributes.string("resolve_conflicts_on_update") { body["resolveConflicts"] = .string(resolve) }
            body["clientRequestToken"] = .string(EKSSupport.updateToken(desired, call: "addon", from: live))
            let update = try await eks.updateAddon(cluster: cluster, name: name, .object(body))
            try await eks.waitForUpdate(
                update, cluster: cluster, addon: name, what: "EKS add-on \(cluster)/\(name)", deadline: Self.deadline, waits: context.waits)
        }
        var current = try await waitActive(cluster, name, context, what: "EKS add-on \(cluster)/\(name) to be ACTIVE after its update")
        if let arn = current.attributes.string("arn"),
            try await TagSync.update(current, to: desired, changed: changed, eks.tagCalls(arn: arn))
        {
            if let described = try await eks.describeAddon(cluster: cluster, name: name) {
                current = liveResource(described, stack: context.stack)
                current.attributes.merge(try await podIdentities(described, eks)) { $1 }
            }
        }
        return current
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let eks = EKS(context.client)
        guard let cluster = live.attributes.string("cluster_name"), let name = live.attributes.string("addon_name") else { return }
        let preserve = live.attributes.bool("preserve") ?? false
        do {
            try await eks.deleteAddon(cluster: cluster, name: name, preserve: preserve)
        } catch let error as AWSError where error.isNotFound {
            return
        }
        _ = try await Waiter(policy: context.waits).wait(for: "EKS add-on \(cluster)/\(name) to be deleted", deadline: Self.deadline) {
            guard let now = try await eks.describeAddon(cluster: cluster, name: name) else { return true }
            try EKSSupport.throwIfFailed(type, "\(cluster)/\(name)", now, failed: ["DELETE_FAILED"])
            return nil
        }
    }

    /// `pod_identity_association`: EKS reports only the ARNs of the associations the add-on owns;
    /// one DescribePodIdentityAssociation each gives the role and service account.
    private func podIdentities(_ addon: JSONValue, _ eks: EKS) async throws -> [String: Value] {
        let arns = (addon["podIdentityAssociations"]?.arrayValue ?? []).compactMap(\.stringValue)
        guard !arns.isEmpty, let cluster = addon["clusterName"]?.stringValue else { return [:] }
        var items: [Value] = []
        for arn in arns {
            // arn:aws:eks:<region>:<account>:podidentityassociation/<cluster>/<id>
            guard let id = arn.split(separator: "/").last.map(String.init),
                let association = try await eks.describePodIdentityAssociation(cluster: cluster, id: id)
            else { continue }
            items.append(
                .map([
                    "role_arn": EKSSupport.string(association["roleArn"]),
                    "service_account": EKSSupport.string(association["serviceAccount"]),
                ]))
        }
        let sorted = items.sorted {
            EKSSupport.block($0)["service_account"]?.stringValue ?? "" < EKSSupport.block($1)["service_account"]?.stringValue ?? ""
        }
        return ["pod_identity_association": .list(sorted)]
    }

    // MARK: - Mapping

    private func fill(_ body: inout [String: JSONValue], _ desired: DesiredResource) throws {
        if let version = desired.attributes.string("addon_version") { body["addonVersion"] = .string(version) }
        if let values = try EKSSupport.jsonText(desired, "configuration_values") { body["configurationValues"] = .string(values) }
        if let role = desired.attributes.string("service_account_role_arn") { body["serviceAccountRoleArn"] = .string(role) }
        let identities = try EKSSupport.list(desired.attributes["pod_identity_association"]).map { item -> JSONValue in
            let block = EKSSupport.block(item)
            return [
                "roleArn": try EKSSupport.wire(desired, "pod_identity_association.role_arn", block["role_arn"] ?? .null),
                "serviceAccount": try EKSSupport.wire(
                    desired, "pod_identity_association.service_account", block["service_account"] ?? .null),
            ]
        }
        if !identities.isEmpty { body["podIdentityAssociations"] = .array(identities) }
    }

    /// An add-on still CREATING (or UPDATING) when discovered. Its attributes carry no status
    /// (the schema has none), so this asks EKS once.
    func settle(_ live: LiveResource, _ context: ProviderContext) async throws -> LiveResource? {
        guard let cluster = live.attributes.string("cluster_name"), let name = live.attributes.string("addon_name"),
            let addon = try await EKS(context.client).describeAddon(cluster: cluster, name: name),
            let status = addon["status"]?.stringValue, ["CREATING", "UPDATING"].contains(status)
        else { return nil }
        return try await waitActive(cluster, name, context, what: "EKS add-on \(cluster)/\(name) to be ACTIVE (found \(status))")
    }

    private func waitActive(_ cluster: String, _ name: String, _ context: ProviderContext, what: String) async throws -> LiveResource {
        let eks = EKS(context.client)
        let stack = context.stack
        let type = self.type
        return try await Waiter(policy: context.waits).wait(for: what, deadline: Self.deadline) {
            guard let addon = try await eks.describeAddon(cluster: cluster, name: name) else {
                throw ProviderError.failed(type: type, name: "\(cluster)/\(name)", status: "gone", detail: "disappeared while waiting")
            }
            try EKSSupport.throwIfFailed(type, "\(cluster)/\(name)", addon, failed: ["CREATE_FAILED", "UPDATE_FAILED"])
            guard addon["status"]?.stringValue == "ACTIVE" else { return nil }
            var live = liveResource(addon, stack: stack)
            live.attributes.merge(try await podIdentities(addon, eks)) { $1 }
            return live
        }
    }

    func liveResource(_ addon: JSONValue, stack: String) -> LiveResource {
        let cluster = addon["clusterName"]?.stringValue ?? ""
        let name = addon["addonName"]?.stringValue ?? ""
        let tags = EKSSupport.stringMap(addon["tags"])
        var attributes: [String: Value] = [
            "id": .string("\(cluster):\(name)"),
            "arn": EKSSupport.string(addon["addonArn"]),
            "cluster_name": .string(cluster),
            "addon_name": .string(name),
            "addon_version": EKSSupport.string(addon["addonVersion"]),
            "service_account_role_arn": EKSSupport.string(addon["serviceAccountRoleArn"]),
            "created_at": EKSSupport.time(addon["createdAt"]),
            "modified_at": EKSSupport.time(addon["modifiedAt"]),
        ]
        if let values = addon["configurationValues"]?.stringValue, !values.isEmpty {
            attributes["configuration_values"] = EKSSupport.canonicalJSON(values)
        }
        // EKS reports association ARNs only; the roles and service accounts live on the associations.
        attributes.merge(Ownership.tagAttributes(tags)) { $1 }
        let status = addon["status"]?.stringValue ?? ""
        return LiveResource(
            type: type, address: Ownership.address(tags, stack: stack), id: "\(cluster):\(name)",
            attributes: attributes.filter { $0.value != .null },
            transitional: ["CREATING", "UPDATING"].contains(status) ? status : nil)
    }
}
