import AWSClient
import Foundation
import StrataModel

/// The EKS calls a rollout makes (StrataRollouts), on the same ``EKS`` surface the providers
/// use: the cluster's and add-ons' version updates and their waits, the updates under way (a
/// killed run's, found again with `ListUpdates`), node groups by name, and the rollout tags.
/// Public because the rollout engine lives in its own target; nothing here decides anything.
public struct EKSRolloutCalls: Sendable {
    let eks: EKS
    let context: ProviderContext
    var waits: WaitPolicy { context.waits }

    public init(_ context: ProviderContext) {
        eks = EKS(context.client)
        self.context = context
    }

    /// An EKS update as a rollout reports it.
    public struct Update: Sendable, Equatable {
        public var id: String
        /// `InProgress`, `Successful`, `Failed`, `Cancelled`.
        public var status: String
        public var type: String
        /// `errors[].errorCode: errorMessage` of a failed update.
        public var errors: [String]
    }

    /// `DescribeCluster`: its version and status (nil when there is no such cluster).
    public func cluster(_ name: String) async throws -> (version: String, status: String)? {
        guard let cluster = try await eks.describeCluster(name) else { return nil }
        return (cluster["version"]?.stringValue ?? "", cluster["status"]?.stringValue ?? "")
    }

    /// `DescribeCluster`'s endpoint and base64 CA, for a Kubernetes client.
    public func endpoint(_ name: String) async throws -> (endpoint: String, caData: String)? {
        guard let cluster = try await eks.describeCluster(name), let endpoint = cluster["endpoint"]?.stringValue,
            let ca = cluster["certificateAuthority"]?["data"]?.stringValue
        else { return nil }
        return (endpoint, ca)
    }

    /// `UpdateClusterVersion`; `token` makes a resend (a re-run after a crash) the same update.
    public func updateClusterVersion(_ name: String, to version: String, token: String) async throws -> Update {
        Update(try await eks.updateClusterVersion(name, version: version, force: false, token: token))
    }

    /// `ListUpdates` + `DescribeUpdate`: the cluster's (or one node group's or add-on's) updates
    /// still `InProgress`, newest last.
    public func updatesInProgress(cluster: String, nodegroup: String? = nil, addon: String? = nil) async throws -> [Update] {
        var query: [(name: String, value: String)] = []
        if let nodegroup { query.append((name: "nodegroupName", value: nodegroup)) }
        if let addon { query.append((name: "addonName", value: addon)) }
        var ids: [String] = []
        var token: String?
        repeat {
            var page = query + [(name: "maxResults", value: "100")]
            if let token { page.append((name: "nextToken", value: token)) }
            let answer = try await eks.client.rest(
                .eks, action: "ListUpdates", method: "GET", path: "/clusters/\(AWSOperation.pathSegment(cluster))/updates", query: page)
            ids += (answer["updateIds"]?.arrayValue ?? []).compactMap(\.stringValue)
            token = answer["nextToken"]?.stringValue
        } while token != nil
        var running: [Update] = []
        for id in ids {
            let update = Update(try await eks.describeUpdate(cluster: cluster, id: id, nodegroup: nodegroup, addon: addon))
            if update.status == "InProgress" { running.append(update) }
        }
        return running
    }

    /// Waits until `update` is `Successful` (polling `DescribeUpdate`); a `Failed` or `Cancelled`
    /// one throws naming the update id and EKS's errors.
    public func wait(
        for update: Update, cluster: String, nodegroup: String? = nil, addon: String? = nil, what: String, deadline: Duration
    ) async throws {
        try await eks.waitForUpdate(
            EKSUpdate(id: update.id, status: update.status, type: update.type, errors: update.errors), cluster: cluster,
            nodegroup: nodegroup, addon: addon, what: what, deadline: deadline, waits: waits)
    }

    /// `DescribeAddon`: its version and status (nil when absent).
    public func addon(cluster: String, name: String) async throws -> (version: String, status: String)? {
        guard let addon = try await eks.describeAddon(cluster: cluster, name: name) else { return nil }
        return (addon["addonVersion"]?.stringValue ?? "", addon["status"]?.stringValue ?? "")
    }

    /// `UpdateAddon` to `version`, conflicts resolved as `resolveConflicts` says (`OVERWRITE` when nil:
    /// a version move must not stop on fields the add-on's previous version set).
    public func updateAddon(cluster: String, name: String, to version: String, resolveConflicts: String?, token: String) async throws
        -> Update
    {
        Update(
            try await eks.updateAddon(
                cluster: cluster, name: name,
                [
                    "addonVersion": .string(version), "resolveConflicts": .string(resolveConflicts ?? "OVERWRITE"),
                    "clientRequestToken": .string(token),
                ]))
    }

    /// `DescribeAddonVersions` for one add-on: the version EKS marks default for `kubernetes`.
    public func defaultAddonVersion(_ name: String, kubernetes: String) async throws -> String? {
        let answer = try await eks.client.rest(
            .eks, action: "DescribeAddonVersions", method: "GET", path: "/addons/supported-versions",
            query: [(name: "addonName", value: name), (name: "kubernetesVersion", value: kubernetes)])
        for addon in answer["addons"]?.arrayValue ?? [] {
            for version in addon["addonVersions"]?.arrayValue ?? [] {
                let compatible = version["compatibilities"]?.arrayValue ?? []
                if compatible.contains(where: { $0["clusterVersion"]?.stringValue == kubernetes && $0["defaultVersion"] == .bool(true) }) {
                    return version["addonVersion"]?.stringValue
                }
            }
        }
        return nil
    }

    /// A managed node group as a rollout reads it.
    public struct NodeGroup: Sendable {
        public var name: String
        public var status: String
        public var version: String
        public var arn: String
        public var tags: [String: String]
        /// `health.issues[]` as `code: message` (why a group is CREATE_FAILED or DEGRADED).
        public var issues: [String]
    }

    /// `DescribeNodegroup` (nil when absent).
    public func nodegroup(cluster: String, name: String) async throws -> NodeGroup? {
        guard let group = try await eks.describeNodegroup(cluster: cluster, name: name) else { return nil }
        return NodeGroup(
            name: name, status: group["status"]?.stringValue ?? "", version: group["version"]?.stringValue ?? "",
            arn: group["nodegroupArn"]?.stringValue ?? "", tags: EKSSupport.stringMap(group["tags"]),
            issues: (group["health"]?["issues"]?.arrayValue ?? []).map {
                "\($0["code"]?.stringValue ?? "issue"): \($0["message"]?.stringValue ?? "")"
            })
    }

    /// `ListNodegroups`.
    public func nodegroups(cluster: String) async throws -> [String] {
        try await eks.listNodegroups(cluster: cluster)
    }

    /// `UpdateNodegroupVersion` to `version` (EKS's managed rolling update); `force` replaces
    /// nodes whose pods a PodDisruptionBudget keeps from being evicted.
    public func updateNodegroupVersion(cluster: String, name: String, to version: String, force: Bool, token: String) async throws
        -> Update
    {
        var body: [String: JSONValue] = ["version": .string(version), "clientRequestToken": .string(token)]
        if force { body["force"] = true }
        return Update(try await eks.updateNodegroupVersion(cluster: cluster, name: name, .object(body)))
    }

    /// Deletes the node group as the provider does (asked again while EKS is still creating or
    /// updating it; one already DELETING is accepted) and waits until it is gone.
    public func deleteNodegroup(cluster: String, name: String) async throws {
        let group = LiveResource(
            type: "aws_eks_node_group", address: nil, id: "\(cluster):\(name)",
            attributes: ["cluster_name": .string(cluster), "node_group_name": .string(name)])
        try await EKSNodeGroupProvider().delete(group, context)
    }

    /// `UntagResource`.
    public func untag(arn: String, keys: [String]) async throws {
        try await eks.untagResource(arn: arn, keys: keys)
    }
}

extension EKSRolloutCalls.Update {
    init(_ update: EKSUpdate) {
        self.init(id: update.id, status: update.status, type: update.type, errors: update.errors)
    }
}

extension EKSUpdate {
    init(id: String, status: String, type: String, errors: [String]) {
        self.id = id
        self.status = status
        self.type = type
        self.errors = errors
    }
}
