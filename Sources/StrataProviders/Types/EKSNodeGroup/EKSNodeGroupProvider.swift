import AWSClient
import Foundation
import StrataModel

/// `aws_eks_node_group`: CreateNodegroup with its client token and ownership tags, waited ACTIVE;
/// scaling, labels, taints and update settings through UpdateNodegroupConfig, version, release
/// and launch template version through UpdateNodegroupVersion, each waited Successful.
struct EKSNodeGroupProvider: ResourceProvider {
    let schema = ResourceSchema.awsEKSNodeGroup
    let deletion = DeletionRule(rank: 2)
    let normalisation = NormalisationRules(
        sets: ["subnet_ids", "resources", "instance_types", "source_security_group_ids", "taint"],
        writeOnly: ["force_update_version", "rollout"],
        // A launch template named by `$Default` or `$Latest`: AWS reports the number it resolved.
        resolvedByAWS: ["version": ["$Default", "$Latest"]])

    static let createDeadline: Duration = .seconds(20 * 60)
    /// A version update replaces every node, a few at a time.
    static let updateDeadline: Duration = .seconds(60 * 60)
    static let deleteDeadline: Duration = .seconds(20 * 60)

    /// ListNodegroups + DescribeNodegroup per group, in each of the stack's clusters.
    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        let eks = EKS(context.client)
        return try await EKSSupport.ownedChildren(context, list: { try await eks.listNodegroups(cluster: $0) }) { cluster, name in
            try await eks.describeNodegroup(cluster: cluster, name: name).map { liveResource($0, stack: context.stack) }
        }
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let eks = EKS(context.client)
        let cluster = try desired.required("cluster_name")
        let name = try Self.name(desired)
        do {
            _ = try await eks.createNodegroup(cluster: cluster, try createBody(desired, name: name))
        } catch let error as AWSError where error.isAlreadyExists {
            guard let existing = try await eks.describeNodegroup(cluster: cluster, name: name) else { throw error }
            let tags = EKSSupport.stringMap(existing["tags"])
            try Ownership.claim(tags, name: "\(cluster)/\(name)", for: desired, stack: context.stack)
        }
        return try await waitActive(
            cluster, name, context, what: "EKS node group \(cluster)/\(name) to be ACTIVE", deadline: Self.createDeadline)
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let eks = EKS(context.client)
        guard let cluster = live.attributes.string("cluster_name"), let name = live.attributes.string("node_group_name") else {
            throw ProviderError.invalidAttribute(type: type, attribute: "id", problem: "live node group \(live.id) has no cluster or name")
        }
        var current = live
        let what = "EKS node group \(cluster)/\(name)"

        var config: [String: JSONValue] = [:]
        if changed.contains("scaling_config") {
            let scaling = EKSSupport.block(desired.attributes["scaling_config"])
            var body: [String: JSONValue] = [:]
            for (attribute, wire) in [("desired_size", "desiredSize"), ("min_size", "minSize"), ("max_size", "maxSize")] {
                if let value = scaling[attribute] { body[wire] = try EKSSupport.wire(desired, "scaling_config.\(attribute)", value) }
            }
            if !body.isEmpty { config["scalingConfig"] = .object(body) }
        }
        if changed.contains("labels") {
            let want = desired.attributes["labels"]?.stringMap ?? [:]
            let have = current.attributes["labels"]?.stringMap ?? [:]
            var labels: [String: JSONValue] = [:]
            let adds = want.filter { have[$0.key] != $0.value }
            let removes = have.keys.filter { want[$0] == nil }.sorted()
            if !adds.isEmpty { labels["addOrUpdateLabels"] = EKSSupport.tagsJSON(adds) }
            if !removes.isEmpty { labels["removeLabels"] = .array(removes.map { .string($0) }) }
            if !labels.isEmpty { config["labels"] = .object(labels) }
        }
        if changed.contains("taint") {
            let want = try taints(desired.attributes["taint"], desired)
            let have = try taints(current.attributes["taint"], desired)
            var body: [String: JSONValue] = [:]
            let adds = want.filter { !have.contains($0) }
            // A taint whose value changed is re-added, not removed: EKS keys taints by key and effect.
            let removes = have.filter { old in !want.contains { $0["key"] == old["key"] && $0["effect"] == old["effect"] } }
            if !adds.isEmpty { body["addOrUpdateTaints"] = .array(adds) }
            if !removes.isEmpty { body["removeTaints"] = .array(removes) }
            if !body.isEmpty { config["taints"] = .object(body) }
        }
        if changed.contains("update_config") {
            let update = EKSSupport.block(desired.attributes["update_config"])
            var body: [String: JSONValue] = [:]
            if let value = update["max_unavailable_percentage"], value != .null {
                body["maxUnavailablePercentage"] = try EKSSupport.wire(desired, "update_config.max_unavailable_percentage", value)
            } else if let value = update["max_unavailable"], value != .null {
                body["maxUnavailable"] = try EKSSupport.wire(desired, "update_config.max_unavailable", value)
            }
            if !body.isEmpty { config["updateConfig"] = .object(body) }
        }
        if changed.contains("node_repair_config"),
            case .bool(let enabled)? = EKSSupport.block(desired.attributes["node_repair_config"])["enabled"]
        {
            config["nodeRepairConfig"] = ["enabled": .bool(enabled)]
        }
        if !config.isEmpty {
            config["clientRequestToken"] = .string(EKSSupport.updateToken(desired, call: "config", from: current))
            let update = try await eks.updateNodegroupConfig(cluster: cluster, name: name, .object(config))
            current = try await finish(update, "config", cluster, name, what: what, eks, context)
        }

        var version: [String: JSONValue] = [:]
        if changed.contains("version"), let wanted = desired.attributes.string("version"), wanted != current.attributes.string("version") {
            version["version"] = .string(wanted)
        }
        if changed.contains("release_version"), let wanted = desired.attributes.string("release_version"),
            wanted != current.attributes.string("release_version")
        {
            version["releaseVersion"] = .string(wanted)
        }
        if changed.contains("launch_template") {
            let template = EKSSupport.block(desired.attributes["launch_template"])
            let have = EKSSupport.block(current.attributes["launch_template"])
            if let wanted = template["version"]?.textForm, wanted != have["version"]?.textForm {
                var spec: [String: JSONValue] = ["version": .string(wanted)]
                if let id = have["id"]?.stringValue {
                    spec["id"] = .string(id)
                } else if let name = have["name"]?.stringValue {
                    spec["name"] = .string(name)
                }
                version["launchTemplate"] = .object(spec)
            }
        }
        if !version.isEmpty {
            if desired.attributes.bool("force_update_version") == true { version["force"] = true }
            version["clientRequestToken"] = .string(EKSSupport.updateToken(desired, call: "version", from: current))
            let update = try await eks.updateNodegroupVersion(cluster: cluster, name: name, .object(version))
            current = try await finish(update, "version", cluster, name, what: what, eks, context)
        }
        if let arn = current.attributes.string("arn") {
            try await TagSync.update(current, to: desired, changed: changed, eks.tagCalls(arn: arn))
        }
        guard let described = try await eks.describeNodegroup(cluster: cluster, name: name) else {
            throw ProviderError.failed(type: type, name: "\(cluster)/\(name)", status: "gone", detail: "disappeared during its update")
        }
        return liveResource(described, stack: context.stack)
    }

    /// A node group still CREATING (or UPDATING) when discovered: add-ons scheduled on it, and
    /// its own updates, wait until it is ACTIVE.
    func settle(_ live: LiveResource, _ context: ProviderContext) async throws -> LiveResource? {
        guard let status = live.attributes.string("status"), Self.settling.contains(status),
            let cluster = live.attributes.string("cluster_name"), let name = live.attributes.string("node_group_name")
        else { return nil }
        return try await waitActive(
            cluster, name, context, what: "EKS node group \(cluster)/\(name) to be ACTIVE (found \(status))", deadline: Self.updateDeadline)
    }

    /// States EKS moves a node group out of by itself towards ACTIVE.
    static let settling: Set<String> = ["CREATING", "UPDATING"]

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let eks = EKS(context.client)
        guard let cluster = live.attributes.string("cluster_name"), let name = live.attributes.string("node_group_name") else { return }
        let waiter = Waiter(policy: context.waits)
        let deleted: Bool = try await waiter.wait(
            for: "EKS node group \(cluster)/\(name) to accept deletion", deadline: Self.updateDeadline
        ) {
            // Mid-create or mid-update EKS refuses until the group settles; one that settled
            // between the refusal and the describe is asked again at once.
            for attempt in 1...2 {
                do {
                    try await eks.deleteNodegroup(cluster: cluster, name: name)
                    return true
                } catch let error as AWSError where error.isNotFound {
                    return false
                } catch let error as AWSError where error.code == "ResourceInUseException" {
                    guard let now = try await eks.describeNodegroup(cluster: cluster, name: name) else { return false }
                    if Self.settling.contains(now["status"]?.stringValue ?? "") { return nil }
                    // Already being deleted by an earlier run killed while it waited: wait for it.
                    if now["status"]?.stringValue == "DELETING" { return true }
                    if attempt == 2 { throw error }
                }
            }
            return nil
        }
        guard deleted else { return }
        _ = try await waiter.wait(for: "EKS node group \(cluster)/\(name) to be deleted", deadline: Self.deleteDeadline) {
            guard let now = try await eks.describeNodegroup(cluster: cluster, name: name) else { return true }
            try EKSSupport.throwIfFailed(type, "\(cluster)/\(name)", now, failed: ["DELETE_FAILED"])
            return nil
        }
    }

    // MARK: - Mapping

    /// `node_group_name`, or `node_group_name_prefix` plus a suffix derived from the idempotency
    /// token, so a retried create asks for the same name.
    static func name(_ desired: DesiredResource) throws -> String {
        if let name = desired.attributes.string("node_group_name") { return name }
        if let prefix = desired.attributes.string("node_group_name_prefix") {
            return prefix + GeneratedName.fnv1a(desired.idempotencyToken).prefix(12)
        }
        throw ProviderError.invalidAttribute(
            type: desired.type, attribute: "node_group_name", problem: "is required (or node_group_name_prefix)")
    }

    private func taints(_ value: Value?, _ desired: DesiredResource) throws -> [JSONValue] {
        try EKSSupport.list(value).map { item in
            let taint = EKSSupport.block(item)
            var out: [String: JSONValue] = [:]
            for field in ["key", "value", "effect"] {
                if let value = taint[field], value != .null { out[field] = try EKSSupport.wire(desired, "taint.\(field)", value) }
            }
            return .object(out)
        }
    }

    private func createBody(_ desired: DesiredResource, name: String) throws -> JSONValue {
        let attributes = desired.attributes
        var body: [String: JSONValue] = [
            "nodegroupName": .string(name),
            "nodeRole": .string(try desired.required("node_role_arn")),
            "subnets": try EKSSupport.wire(desired, "subnet_ids", attributes["subnet_ids"] ?? .list([])),
            "clientRequestToken": .string(desired.idempotencyToken),
            "tags": EKSSupport.tagsJSON(desired.tags),
        ]
        let scaling = EKSSupport.block(attributes["scaling_config"])
        var scalingBody: [String: JSONValue] = [:]
        for (attribute, wire) in [("desired_size", "desiredSize"), ("min_size", "minSize"), ("max_size", "maxSize")] {
            if let value = scaling[attribute] { scalingBody[wire] = try EKSSupport.wire(desired, "scaling_config.\(attribute)", value) }
        }
        body["scalingConfig"] = .object(scalingBody)
        for (attribute, wire) in [
            ("ami_type", "amiType"), ("capacity_type", "capacityType"), ("disk_size", "diskSize"), ("instance_types", "instanceTypes"),
            ("version", "version"), ("release_version", "releaseVersion"),
        ] {
            if let value = attributes[attribute], value != .null { body[wire] = try EKSSupport.wire(desired, attribute, value) }
        }
        if let labels = attributes["labels"], labels != .null { body["labels"] = try EKSSupport.wire(desired, "labels", labels) }
        let taintList = try taints(attributes["taint"], desired)
        if !taintList.isEmpty { body["taints"] = .array(taintList) }
        let template = EKSSupport.block(attributes["launch_template"])
        if !template.isEmpty {
            var spec: [String: JSONValue] = [:]
            for field in ["id", "name"] {
                if let value = template[field], value != .null {
                    spec[field] = try EKSSupport.wire(desired, "launch_template.\(field)", value)
                }
            }
            if let version = template["version"]?.textForm { spec["version"] = .string(version) }
            body["launchTemplate"] = .object(spec)
        }
        let update = EKSSupport.block(attributes["update_config"])
        if let value = update["max_unavailable_percentage"], value != .null {
            body["updateConfig"] = ["maxUnavailablePercentage": try EKSSupport.wire(desired, "update_config", value)]
        } else if let value = update["max_unavailable"], value != .null {
            body["updateConfig"] = ["maxUnavailable": try EKSSupport.wire(desired, "update_config", value)]
        }
        let remote = EKSSupport.block(attributes["remote_access"])
        if !remote.isEmpty {
            var spec: [String: JSONValue] = [:]
            if let key = remote["ec2_ssh_key"]?.stringValue { spec["ec2SshKey"] = .string(key) }
            if let groups = remote["source_security_group_ids"], groups != .null {
                spec["sourceSecurityGroups"] = try EKSSupport.wire(desired, "remote_access.source_security_group_ids", groups)
            }
            body["remoteAccess"] = .object(spec)
        }
        if case .bool(let enabled)? = EKSSupport.block(attributes["node_repair_config"])["enabled"] {
            body["nodeRepairConfig"] = ["enabled": .bool(enabled)]
        }
        return .object(body)
    }

    /// Waits until EKS finished `update` (a `kind` update: config, version) and the group is
    /// ACTIVE again: the group as it is then.
    private func finish(
        _ update: EKSUpdate, _ kind: String, _ cluster: String, _ name: String, what: String, _ eks: EKS, _ context: ProviderContext
    ) async throws -> LiveResource {
        try await eks.waitForUpdate(
            update, cluster: cluster, nodegroup: name, what: "\(what) \(kind)", deadline: Self.updateDeadline, waits: context.waits)
        return try await waitActive(
            cluster, name, context, what: "\(what) to be ACTIVE after its \(kind) update", deadline: Self.updateDeadline)
    }

    private func waitActive(_ cluster: String, _ name: String, _ context: ProviderContext, what: String, deadline: Duration) async throws
        -> LiveResource
    {
        let eks = EKS(context.client)
        let stack = context.stack
        let type = self.type
        return try await Waiter(policy: context.waits).wait(for: what, deadline: deadline) {
            guard let group = try await eks.describeNodegroup(cluster: cluster, name: name) else {
                throw ProviderError.failed(type: type, name: "\(cluster)/\(name)", status: "gone", detail: "disappeared while waiting")
            }
            try EKSSupport.throwIfFailed(type, "\(cluster)/\(name)", group, failed: ["CREATE_FAILED", "DEGRADED", "DELETE_FAILED"])
            return group["status"]?.stringValue == "ACTIVE" ? liveResource(group, stack: stack) : nil
        }
    }

    func liveResource(_ group: JSONValue, stack: String) -> LiveResource {
        let cluster = group["clusterName"]?.stringValue ?? ""
        let name = group["nodegroupName"]?.stringValue ?? ""
        let tags = EKSSupport.stringMap(group["tags"])
        let scaling = group["scalingConfig"]
        var attributes: [String: Value] = [
            "id": .string("\(cluster):\(name)"),
            "arn": EKSSupport.string(group["nodegroupArn"]),
            "cluster_name": .string(cluster),
            "node_group_name": .string(name),
            "node_role_arn": EKSSupport.string(group["nodeRole"]),
            "subnet_ids": EKSSupport.strings(group["subnets"]),
            "scaling_config": EKSSupport.compact([
                "desired_size": EKSSupport.int(scaling?["desiredSize"]), "min_size": EKSSupport.int(scaling?["minSize"]),
                "max_size": EKSSupport.int(scaling?["maxSize"]),
            ]),
            "ami_type": EKSSupport.string(group["amiType"]),
            "capacity_type": EKSSupport.string(group["capacityType"]),
            "disk_size": EKSSupport.int(group["diskSize"]),
            "instance_types": EKSSupport.strings(group["instanceTypes"]),
            "labels": .map(EKSSupport.stringMap(group["labels"]).mapValues(Value.string)),
            "taint": .list(
                (group["taints"]?.arrayValue ?? []).map { taint in
                    EKSSupport.compact([
                        "key": EKSSupport.string(taint["key"]), "value": EKSSupport.string(taint["value"]),
                        "effect": EKSSupport.string(taint["effect"]),
                    ])
                }),
            "update_config": EKSSupport.compact([
                "max_unavailable": EKSSupport.int(group["updateConfig"]?["maxUnavailable"]),
                "max_unavailable_percentage": EKSSupport.int(group["updateConfig"]?["maxUnavailablePercentage"]),
            ]),
            "version": EKSSupport.string(group["version"]),
            "release_version": EKSSupport.string(group["releaseVersion"]),
            "status": EKSSupport.string(group["status"]),
            "resources": .list(
                (group["resources"]?.arrayValue ?? [group["resources"] ?? .null]).compactMap { resources -> Value? in
                    guard resources != .null else { return nil }
                    return EKSSupport.compact([
                        "autoscaling_groups": .list(
                            (resources["autoScalingGroups"]?.arrayValue ?? []).map {
                                .map(["name": EKSSupport.string($0["name"])])
                            }),
                        "remote_access_security_group_id": EKSSupport.string(resources["remoteAccessSecurityGroup"]),
                    ])
                }),
        ]
        if let template = group["launchTemplate"] {
            attributes["launch_template"] = EKSSupport.compact([
                "id": EKSSupport.string(template["id"]), "name": EKSSupport.string(template["name"]),
                "version": EKSSupport.string(template["version"]),
            ])
        }
        if let remote = group["remoteAccess"] {
            attributes["remote_access"] = EKSSupport.compact([
                "ec2_ssh_key": EKSSupport.string(remote["ec2SshKey"]),
                "source_security_group_ids": EKSSupport.strings(remote["sourceSecurityGroups"]),
            ])
        }
        if let repair = group["nodeRepairConfig"] {
            attributes["node_repair_config"] = .map(["enabled": EKSSupport.bool(repair["enabled"])])
        }
        attributes.merge(Ownership.tagAttributes(tags)) { $1 }
        let status = group["status"]?.stringValue ?? ""
        return LiveResource(
            type: type, address: Ownership.address(tags, stack: stack), id: "\(cluster):\(name)",
            attributes: attributes.filter { $0.value != .null }, transitional: Self.settling.contains(status) ? status : nil)
    }
}
