import AWSClient
import Foundation
import StrataModel

/// `aws_eks_cluster`: CreateCluster with its client token and ownership tags, waited ACTIVE;
/// config, version and tag updates in place, each waited Successful; delete waited gone.
struct EKSClusterProvider: ResourceProvider {
    let schema = ResourceSchema.awsEKSCluster
    let deletion = DeletionRule(rank: 3)
    let normalisation = NormalisationRules(
        sets: ["security_group_ids", "subnet_ids", "enabled_cluster_log_types", "public_access_cidrs", "resources"],
        writeOnly: ["force_update_version"])

    /// Real AWS: ~9-12 minutes to create, ~20 to upgrade; these are the outer limits.
    static let createDeadline: Duration = .seconds(30 * 60)
    static let updateDeadline: Duration = .seconds(60 * 60)
    static let deleteDeadline: Duration = .seconds(20 * 60)

    /// EKS has no tag filter: the tag index names the stack's clusters, one DescribeCluster each
    /// reads them; memoised for the plan.
    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        try await EKSSupport.ownedClusters(context).map { liveResource($0, stack: context.stack) }
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let eks = EKS(context.client)
        let name = try desired.required("name")
        let body = try createBody(desired, name: name)
        do {
            _ = try await eks.createCluster(body)
        } catch let error as AWSError where error.isAlreadyExists {
            // A crashed earlier run may have created it: adopt only what carries our address.
            guard let existing = try await eks.describeCluster(name) else { throw error }
            let tags = EKSSupport.stringMap(existing["tags"])
            try Ownership.claim(tags, name: name, for: desired, stack: context.stack)
        }
        await EKSSupport.forgetClusters(context)
        return try await waitActive(name, context, what: "EKS cluster \(name) to be ACTIVE", deadline: Self.createDeadline)
    }

    /// A cluster still CREATING (or UPDATING) when discovered, which a killed run left waiting:
    /// node groups, add-ons, access entries and manifests need it ACTIVE first.
    func settle(_ live: LiveResource, _ context: ProviderContext) async throws -> LiveResource? {
        guard let status = live.attributes.string("status"), Self.settling.contains(status) else { return nil }
        return try await waitActive(
            live.id, context, what: "EKS cluster \(live.id) to be ACTIVE (found \(status))", deadline: Self.updateDeadline)
    }

    /// States EKS moves out of by itself.
    static let settling: Set<String> = ["CREATING", "UPDATING", "PENDING"]

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let eks = EKS(context.client)
        let name = live.id
        var current = live
        func run(_ call: String, _ body: [String: JSONValue]) async throws {
            var request = body
            request["clientRequestToken"] = .string(EKSSupport.updateToken(desired, call: call, from: current))
            let update = try await eks.updateClusterConfig(name, .object(request))
            try await eks.waitForUpdate(
                update, cluster: name, what: "EKS cluster \(name) \(call) update", deadline: Self.updateDeadline, waits: context.waits)
            current = try await waitActive(
                name, context, what: "EKS cluster \(name) to be ACTIVE after its \(call) update", deadline: Self.updateDeadline)
        }

        if changed.contains("version"), let version = desired.attributes.string("version"), version != live.attributes.string("version") {
            let force = desired.attributes.bool("force_update_version") ?? false
            let update = try await eks.updateClusterVersion(
                name, version: version, force: force, token: EKSSupport.updateToken(desired, call: "version", from: current))
            try await eks.waitForUpdate(
                update, cluster: name, what: "EKS cluster \(name) upgrade to \(version)", deadline: Self.updateDeadline,
                waits: context.waits)
            current = try await waitActive(
                name, context, what: "EKS cluster \(name) to be ACTIVE after its upgrade", deadline: Self.updateDeadline)
        }
        if changed.contains("vpc_config") {
            let want = EKSSupport.block(desired.attributes["vpc_config"])
            let have = EKSSupport.block(current.attributes["vpc_config"])
            // EKS takes one kind of change per call: endpoint access, then subnets and groups.
            var access: [String: JSONValue] = [:]
            for (attribute, wire) in [
                ("endpoint_public_access", "endpointPublicAccess"), ("endpoint_private_access", "endpointPrivateAccess"),
                ("public_access_cidrs", "publicAccessCidrs"),
            ] {
                if let value = want[attribute], value != have[attribute] {
                    access[wire] = try EKSSupport.wire(desired, "vpc_config.\(attribute)", value)
                }
            }
            if !access.isEmpty { try await run("access", ["resourcesVpcConfig": .object(access)]) }
            var network: [String: JSONValue] = [:]
            if let subnets = want["subnet_ids"], Set(subnets.stringList) != Set(have["subnet_ids"]?.stringList ?? []) {
                network["subnetIds"] = try EKSSupport.wire(desired, "vpc_config.subnet_ids", subnets)
            }
            let groups = want["security_group_ids"] ?? .list([])
            if Set(groups.stringList) != Set(have["security_group_ids"]?.stringList ?? []) {
                network["securityGroupIds"] = try EKSSupport.wire(desired, "vpc_config.security_group_ids", groups)
            }
            if !network.isEmpty { try await run("vpc", ["resourcesVpcConfig": .object(network)]) }
        }
        if changed.contains("enabled_cluster_log_types") {
            let want = Set(desired.attributes["enabled_cluster_log_types"]?.stringList ?? [])
            let have = Set(current.attributes["enabled_cluster_log_types"]?.stringList ?? [])
            var entries: [JSONValue] = []
            if !want.isEmpty { entries.append(["types": .array(want.sorted().map { .string($0) }), "enabled": true]) }
            let off = have.subtracting(want)
            if !off.isEmpty { entries.append(["types": .array(off.sorted().map { .string($0) }), "enabled": false]) }
            if want != have { try await run("logging", ["logging": ["clusterLogging": .array(entries)]]) }
        }
        if changed.contains("access_config"),
            let mode = EKSSupport.block(desired.attributes["access_config"])["authentication_mode"]?.stringValue,
            mode != EKSSupport.block(current.attributes["access_config"])["authentication_mode"]?.stringValue
        {
            try await run("access-config", ["accessConfig": ["authenticationMode": .string(mode)]])
        }
        if changed.contains("upgrade_policy"),
            let support = EKSSupport.block(desired.attributes["upgrade_policy"])["support_type"]?.stringValue,
            support != EKSSupport.block(current.attributes["upgrade_policy"])["support_type"]?.stringValue
        {
            try await run("upgrade-policy", ["upgradePolicy": ["supportType": .string(support)]])
        }
        if changed.contains("zonal_shift_config") {
            let enabled = EKSSupport.block(desired.attributes["zonal_shift_config"])["enabled"] ?? .bool(false)
            try await run(
                "zonal-shift", ["zonalShiftConfig": ["enabled": try EKSSupport.wire(desired, "zonal_shift_config.enabled", enabled)]])
        }
        if changed.contains("encryption_config"), current.attributes["encryption_config"] == nil,
            let config = try encryptionConfig(desired)
        {
            // Enabling is the one change EKS allows; a changed key or resource list needs a new cluster.
            let update = try await eks.associateEncryptionConfig(
                name, config, token: EKSSupport.updateToken(desired, call: "encrypt", from: current))
            try await eks.waitForUpdate(
                update, cluster: name, what: "EKS cluster \(name) encryption", deadline: Self.updateDeadline, waits: context.waits)
            current = try await waitActive(
                name, context, what: "EKS cluster \(name) to be ACTIVE after enabling encryption", deadline: Self.updateDeadline)
        }
        if let arn = current.attributes.string("arn") {
            try await TagSync.update(current, to: desired, changed: changed, eks.tagCalls(arn: arn))
        }
        await EKSSupport.forgetClusters(context)
        guard let described = try await eks.describeCluster(name) else {
            throw ProviderError.failed(type: type, name: name, status: "gone", detail: "the cluster disappeared during its update")
        }
        return liveResource(described, stack: context.stack)
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let eks = EKS(context.client)
        let name = live.id
        let waiter = Waiter(policy: context.waits)
        // A cluster mid-create or mid-update cannot be deleted yet: wait until it settles.
        let deleted: Bool = try await waiter.wait(for: "EKS cluster \(name) to accept deletion", deadline: Self.updateDeadline) {
            // Twice per poll: a cluster that turned ACTIVE between the refusal and the describe
            // is asked again at once; refused while ACTIVE (node groups attached) is an error.
            for attempt in 1...2 {
                do {
                    try await eks.deleteCluster(name)
                    return true
                } catch let error as AWSError where error.isNotFound {
                    return false
                } catch let error as AWSError where error.code == "ResourceInUseException" {
                    guard let now = try await eks.describeCluster(name) else { return false }
                    let status = now["status"]?.stringValue ?? ""
                    if ["CREATING", "UPDATING", "PENDING"].contains(status) { return nil }
                    // Already being deleted (an earlier run's delete, killed while it waited):
                    // what was asked for is under way; wait for it to be gone.
                    if status == "DELETING" { return true }
                    if attempt == 2 { throw error }
                }
            }
            return nil
        }
        await EKSSupport.forgetClusters(context)
        guard deleted else { return }
        _ = try await waiter.wait(for: "EKS cluster \(name) to be deleted", deadline: Self.deleteDeadline) {
            try await eks.describeCluster(name) == nil ? true : nil
        }
    }

    // MARK: - Mapping

    private func createBody(_ desired: DesiredResource, name: String) throws -> JSONValue {
        let attributes = desired.attributes
        var body: [String: JSONValue] = [
            "name": .string(name),
            "roleArn": .string(try desired.required("role_arn")),
            "clientRequestToken": .string(desired.idempotencyToken),
            "tags": EKSSupport.tagsJSON(desired.tags),
        ]
        if let version = attributes.string("version") { body["version"] = .string(version) }
        let vpc = EKSSupport.block(attributes["vpc_config"])
        var resources: [String: JSONValue] = [:]
        for (attribute, wire) in [
            ("subnet_ids", "subnetIds"), ("security_group_ids", "securityGroupIds"), ("endpoint_private_access", "endpointPrivateAccess"),
            ("endpoint_public_access", "endpointPublicAccess"), ("public_access_cidrs", "publicAccessCidrs"),
        ] {
            if let value = vpc[attribute], value != .null {
                resources[wire] = try EKSSupport.wire(desired, "vpc_config.\(attribute)", value)
            }
        }
        guard resources["subnetIds"] != nil else {
            throw ProviderError.invalidAttribute(type: type, attribute: "vpc_config.subnet_ids", problem: "is required")
        }
        body["resourcesVpcConfig"] = .object(resources)
        let network = EKSSupport.block(attributes["kubernetes_network_config"])
        var knc: [String: JSONValue] = [:]
        if let cidr = network["service_ipv4_cidr"]?.stringValue { knc["serviceIpv4Cidr"] = .string(cidr) }
        if let family = network["ip_family"]?.stringValue { knc["ipFamily"] = .string(family) }
        if !knc.isEmpty { body["kubernetesNetworkConfig"] = .object(knc) }
        if let encryption = try encryptionConfig(desired) { body["encryptionConfig"] = encryption }
        let logs = attributes["enabled_cluster_log_types"]?.stringList ?? []
        if !logs.isEmpty { body["logging"] = ["clusterLogging": [["types": .array(logs.map { .string($0) }), "enabled": true]]] }
        let access = EKSSupport.block(attributes["access_config"])
        var accessBody: [String: JSONValue] = [:]
        if let mode = access["authentication_mode"]?.stringValue { accessBody["authenticationMode"] = .string(mode) }
        if case .bool(let flag)? = access["bootstrap_cluster_creator_admin_permissions"] {
            accessBody["bootstrapClusterCreatorAdminPermissions"] = .bool(flag)
        }
        if !accessBody.isEmpty { body["accessConfig"] = .object(accessBody) }
        if let support = EKSSupport.block(attributes["upgrade_policy"])["support_type"]?.stringValue {
            body["upgradePolicy"] = ["supportType": .string(support)]
        }
        if let bootstrap = attributes.bool("bootstrap_self_managed_addons") { body["bootstrapSelfManagedAddons"] = .bool(bootstrap) }
        if case .bool(let enabled)? = EKSSupport.block(attributes["zonal_shift_config"])["enabled"] {
            body["zonalShiftConfig"] = ["enabled": .bool(enabled)]
        }
        return .object(body)
    }

    /// `encryption_config` as EKS's one-element `encryptionConfig` list; nil when not set.
    private func encryptionConfig(_ desired: DesiredResource) throws -> JSONValue? {
        let encryption = EKSSupport.block(desired.attributes["encryption_config"])
        guard !encryption.isEmpty else { return nil }
        let key = EKSSupport.block(encryption["provider"])["key_arn"] ?? .null
        return [
            [
                "resources": try EKSSupport.wire(
                    desired, "encryption_config.resources", encryption["resources"] ?? .list([.string("secrets")])),
                "provider": ["keyArn": try EKSSupport.wire(desired, "encryption_config.provider.key_arn", key)],
            ]
        ]
    }

    private func waitActive(_ name: String, _ context: ProviderContext, what: String, deadline: Duration) async throws -> LiveResource {
        let eks = EKS(context.client)
        let stack = context.stack
        let type = self.type
        return try await Waiter(policy: context.waits).wait(for: what, deadline: deadline) {
            guard let cluster = try await eks.describeCluster(name) else {
                throw ProviderError.failed(type: type, name: name, status: "gone", detail: "the cluster disappeared while waiting")
            }
            try EKSSupport.throwIfFailed(type, name, cluster, failed: ["FAILED"])
            return cluster["status"]?.stringValue == "ACTIVE" ? liveResource(cluster, stack: stack) : nil
        }
    }

    func liveResource(_ cluster: JSONValue, stack: String) -> LiveResource {
        let name = cluster["name"]?.stringValue ?? ""
        let tags = EKSSupport.stringMap(cluster["tags"])
        let vpc = cluster["resourcesVpcConfig"]
        var attributes: [String: Value] = [
            "id": .string(name),
            "name": .string(name),
            "arn": EKSSupport.string(cluster["arn"]),
            "role_arn": EKSSupport.string(cluster["roleArn"]),
            "version": EKSSupport.string(cluster["version"]),
            "enabled_cluster_log_types": .list(
                (cluster["logging"]?["clusterLogging"]?.arrayValue ?? [])
                    .filter { $0["enabled"] == .bool(true) }
                    .flatMap { $0["types"]?.arrayValue ?? [] }.compactMap(\.stringValue).sorted().map(Value.string)),
            "vpc_config": EKSSupport.compact([
                "subnet_ids": EKSSupport.strings(vpc?["subnetIds"]),
                "security_group_ids": EKSSupport.strings(vpc?["securityGroupIds"]),
                "endpoint_private_access": EKSSupport.bool(vpc?["endpointPrivateAccess"]),
                "endpoint_public_access": EKSSupport.bool(vpc?["endpointPublicAccess"]),
                "public_access_cidrs": EKSSupport.strings(vpc?["publicAccessCidrs"]),
                "cluster_security_group_id": EKSSupport.string(vpc?["clusterSecurityGroupId"]),
                "vpc_id": EKSSupport.string(vpc?["vpcId"]),
            ]),
            "kubernetes_network_config": EKSSupport.compact([
                "service_ipv4_cidr": EKSSupport.string(cluster["kubernetesNetworkConfig"]?["serviceIpv4Cidr"]),
                "ip_family": EKSSupport.string(cluster["kubernetesNetworkConfig"]?["ipFamily"]),
                "service_ipv6_cidr": EKSSupport.string(cluster["kubernetesNetworkConfig"]?["serviceIpv6Cidr"]),
            ]),
            "access_config": EKSSupport.compact([
                "authentication_mode": EKSSupport.string(cluster["accessConfig"]?["authenticationMode"]),
                "bootstrap_cluster_creator_admin_permissions": EKSSupport.bool(
                    cluster["accessConfig"]?["bootstrapClusterCreatorAdminPermissions"]),
            ]),
            "upgrade_policy": EKSSupport.compact(["support_type": EKSSupport.string(cluster["upgradePolicy"]?["supportType"])]),
            "endpoint": EKSSupport.string(cluster["endpoint"]),
            "certificate_authority": EKSSupport.compact(["data": EKSSupport.string(cluster["certificateAuthority"]?["data"])]),
            "identity": .map(["oidc": EKSSupport.compact(["issuer": EKSSupport.string(cluster["identity"]?["oidc"]?["issuer"])])]),
            "platform_version": EKSSupport.string(cluster["platformVersion"]),
            "status": EKSSupport.string(cluster["status"]),
            "created_at": EKSSupport.time(cluster["createdAt"]),
            "cluster_id": EKSSupport.string(cluster["id"]),
        ]
        if let encryption = cluster["encryptionConfig"]?.arrayValue?.first {
            attributes["encryption_config"] = .map([
                "resources": EKSSupport.strings(encryption["resources"]),
                "provider": .map(["key_arn": EKSSupport.string(encryption["provider"]?["keyArn"])]),
            ])
        }
        if let zonal = cluster["zonalShiftConfig"] {
            attributes["zonal_shift_config"] = .map(["enabled": EKSSupport.bool(zonal["enabled"])])
        }
        attributes.merge(Ownership.tagAttributes(tags)) { $1 }
        let status = cluster["status"]?.stringValue ?? ""
        return LiveResource(
            type: type, address: Ownership.address(tags, stack: stack), id: name, attributes: attributes.filter { $0.value != .null },
            transitional: Self.settling.contains(status) ? status : nil)
    }
}
