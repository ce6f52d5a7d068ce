import AWSClient
import Foundation
import StrataKubernetes
import StrataModel
import StrataTestSupport
import Testing

@testable import StrataProviders

/// What the EKS provider tests share: a fresh stack and cluster name, a VPC with two subnets made
/// with raw EC2 calls, desired resources built as the planner builds them, raw EKS reads.
struct ClusterHarness {
    let sandbox: Sandbox
    let client: AWSClient
    let stack: String
    let subnets: [String]

    /// On the shared sandbox unless given one.
    static func make(on given: Sandbox? = nil) async throws -> ClusterHarness {
        let sandbox: Sandbox
        if let given { sandbox = given } else { sandbox = try await Sandbox.shared() }
        let client = sandbox.client()
        let vpc = try await client.query(.ec2, action: "CreateVpc", parameters: [(name: "CidrBlock", value: "10.1.0.0/16")])
        let vpcID = try #require(vpc.first(named: "vpcId")?.text)
        var subnets: [String] = []
        for (index, zone) in ["us-east-1a", "us-east-1b"].enumerated() {
            let subnet = try await client.query(
                .ec2, action: "CreateSubnet",
                parameters: [
                    (name: "VpcId", value: vpcID), (name: "CidrBlock", value: "10.1.\(index).0/24"),
                    (name: "AvailabilityZone", value: zone),
                ])
            subnets.append(try #require(subnet.first(named: "subnetId")?.text))
        }
        return ClusterHarness(sandbox: sandbox, client: client, stack: "t-\(UUID().uuidString.prefix(8).lowercased())", subnets: subnets)
    }

    var context: ProviderContext {
        ProviderContext(client: client, stack: stack, region: Sandbox.region, waits: WaitPolicy(interval: .milliseconds(50)))
    }

    var clusterName: String { "c-\(stack)" }

    func provider(_ type: String) throws -> any ResourceProvider {
        try #require(ProviderRegistry.provider(for: type), "no provider for \(type)")
    }

    /// A desired resource with the ownership tags and `tags_all` the planner adds.
    func desired(_ type: String, _ name: String, _ json: JSONValue, token: String? = nil) -> DesiredResource {
        var attributes: [String: Value] = [:]
        if case .map(let members) = Value(json: json) { attributes = members }
        let address = ResourceAddress(module: nil, type: type, name: name)
        var tags = attributes["tags"]?.stringMap ?? [:]
        tags[ProviderContext.stackTag] = stack
        tags[ProviderContext.addressTag] = address.canonical
        let taggable = ResourceCatalog.schema(for: type)?.taggable ?? false
        if taggable { attributes["tags_all"] = .map(tags.mapValues(Value.string)) }
        return DesiredResource(
            address: address, type: type, attributes: attributes, tags: taggable ? tags : [:],
            idempotencyToken: token ?? "\(stack)-\(name)-token")
    }

    func clusterDesired(_ extra: [String: JSONValue] = [:]) -> DesiredResource {
        var attributes: [String: JSONValue] = [
            "name": .string(clusterName),
            "role_arn": "arn:aws:iam::123456789012:role/eks-cluster",
            "version": "1.32",
            "vpc_config": .object(["subnet_ids": .array(subnets.map { .string($0) })]),
            "access_config": .object(["authentication_mode": "API_AND_CONFIG_MAP"]),
            "tags": .object(["team": "platform"]),
        ]
        attributes.merge(extra) { $1 }
        return desired("aws_eks_cluster", "main", .object(attributes))
    }

    func discovered(_ desired: DesiredResource) async throws -> LiveResource? {
        let provider = try provider(desired.type)
        let all = try await provider.discover(context)
        if let identity = provider.identity(of: desired.attributes) { return all.first { $0.identity == identity } }
        return all.first { $0.address == desired.address }
    }

    /// Tags as EKS itself reports them (ListTagsForResource, no provider involved).
    func rawTags(_ arn: String) async throws -> [String: String] {
        let answer = try await client.rest(
            .eks, action: "ListTagsForResource", method: "GET", path: "/tags/\(AWSOperation.pathSegment(arn))")
        guard case .object(let members)? = answer["tags"] else { return [:] }
        return members.compactMapValues(\.stringValue)
    }

    func ownershipTagsPresent(_ arn: String, _ desired: DesiredResource) async throws {
        let tags = try await rawTags(arn)
        #expect(tags[ProviderContext.stackTag] == stack, "\(arn) tags: \(tags)")
        #expect(tags[ProviderContext.addressTag] == desired.address.canonical, "\(arn) tags: \(tags)")
    }
}

@Suite("EKS providers against the sandbox")
struct ClusterProvidersTests {
    @Test("aws_eks_cluster: create with ownership tags, discover, update logging/version/tags, delete")
    func clusterLifecycle() async throws {
        let h = try await ClusterHarness.make()
        let provider = try h.provider("aws_eks_cluster")
        let desired = h.clusterDesired(["enabled_cluster_log_types": .array(["api"])])
        let created = try await provider.create(desired, h.context)
        #expect(created.id == h.clusterName)
        #expect(created.attributes.string("status") == "ACTIVE")
        #expect(created.address == desired.address)
        #expect(created.attributes["enabled_cluster_log_types"] == Value(json: ["api"]))
        #expect(created.attributes["tags"] == Value(json: ["team": "platform"]))
        let arn = try #require(created.attributes.string("arn"))
        try await h.ownershipTagsPresent(arn, desired)

        let found = try #require(try await h.discovered(desired))
        #expect(found.id == h.clusterName)
        #expect(EKSSupport.block(found.attributes["vpc_config"])["subnet_ids"]?.stringList.sorted() == h.subnets.sorted())
        #expect(found.attributes.string("endpoint")?.hasPrefix("https://") == true)

        // A re-run create with the same token answers the same cluster instead of failing.
        let again = try await provider.create(desired, h.context)
        #expect(again.attributes.string("arn") == arn)
        let clusters = try await h.client.rest(.eks, action: "ListClusters", method: "GET", path: "/clusters")
        #expect(clusters["clusters"]?.arrayValue?.filter { $0.stringValue == h.clusterName }.count == 1)

        // Logging, version and tags in place.
        var next = h.clusterDesired([
            "enabled_cluster_log_types": .array(["api", "audit"]), "version": "1.33", "tags": .object(["team": "infra"]),
        ])
        next.idempotencyToken = "\(h.stack)-main-token-2"
        let updated = try await provider.update(found, to: next, changed: ["enabled_cluster_log_types", "version", "tags"], h.context)
        #expect(updated.attributes["enabled_cluster_log_types"] == Value(json: ["api", "audit"]))
        #expect(updated.attributes.string("version") == "1.33")
        #expect(updated.attributes["tags"] == Value(json: ["team": "infra"]))
        try await h.ownershipTagsPresent(arn, desired)

        // Endpoint access through UpdateClusterConfig.
        var privateEndpoint = next
        privateEndpoint.attributes["vpc_config"] = Value(json: [
            "subnet_ids": .array(h.subnets.map { .string($0) }), "endpoint_private_access": true, "endpoint_public_access": false,
        ])
        let closed = try await provider.update(updated, to: privateEndpoint, changed: ["vpc_config"], h.context)
        #expect(EKSSupport.block(closed.attributes["vpc_config"])["endpoint_private_access"] == .bool(true))
        #expect(EKSSupport.block(closed.attributes["vpc_config"])["endpoint_public_access"] == .bool(false))

        try await provider.delete(closed, h.context)
        #expect(try await EKS(h.client).describeCluster(h.clusterName) == nil)
        #expect(try await h.discovered(desired) == nil)
        try await provider.delete(closed, h.context)
    }

    @Test("a cluster name held by another address is refused, its own earlier creation is adopted, other stacks do not see it")
    func nameTaken() async throws {
        let h = try await ClusterHarness.make()
        let provider = try h.provider("aws_eks_cluster")
        let desired = h.clusterDesired()
        let created = try await provider.create(desired, h.context)
        var other = desired
        other.address = ResourceAddress(module: nil, type: "aws_eks_cluster", name: "other")
        other.idempotencyToken = "different-token"
        await #expect(throws: ProviderError.self) { _ = try await provider.create(other, h.context) }
        // Another stack does not discover it.
        let elsewhere = ProviderContext(client: h.client, stack: "\(h.stack)-other", region: Sandbox.region, waits: h.context.waits)
        #expect(try await provider.discover(elsewhere).isEmpty)
        // A crashed run that created it under another token is adopted: same address, same cluster.
        var rerun = desired
        rerun.idempotencyToken = "a-later-run"
        rerun.attributes["tags"] = Value(json: ["team": "platform", "run": "2"])
        let adopted = try await provider.create(rerun, h.context)
        #expect(adopted.attributes.string("arn") == created.attributes.string("arn"))
        try await provider.delete(created, h.context)
    }

    @Test("a manifest reads back as the fields strata's manager owns (managedFields projection)")
    func projection() throws {
        let object: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": [
                "name": "web", "namespace": "default", "uid": "u-1", "resourceVersion": "7",
                "labels": ["app": "web", "strata.dev/stack": "s1"],
                "annotations": ["strata.dev/address": "kubernetes_manifest.web", "deployment.kubernetes.io/revision": "1"],
                "managedFields": [
                    [
                        "manager": "strata", "operation": "Apply", "apiVersion": "apps/v1",
                        "fieldsV1": [
                            "f:metadata": [
                                "f:labels": ["f:app": [:], "f:strata.dev/stack": [:]], "f:annotations": ["f:strata.dev/address": [:]],
                            ],
                            "f:spec": [
                                "f:replicas": [:],
                                "f:template": [
                                    "f:spec": ["f:containers": ["k:{\"name\":\"app\"}": [".": [:], "f:name": [:], "f:image": [:]]]]
                                ],
                            ],
                        ],
                    ],
                    ["manager": "kube-controller-manager", "operation": "Update", "fieldsV1": ["f:status": ["f:replicas": [:]]]],
                ],
            ],
            "spec": [
                "replicas": 2, "revisionHistoryLimit": 10,
                "template": [
                    "spec": [
                        "containers": [
                            ["name": "app", "image": "nginx:1", "imagePullPolicy": "IfNotPresent"],
                            ["name": "sidecar", "image": "envoy"],
                        ]
                    ]
                ],
            ],
            "status": ["replicas": 2],
        ]
        let projected = ManifestProjection.owned(object, manager: "strata")
        let expected: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "web", "labels": ["app": "web"]],
            "spec": ["replicas": 2, "template": ["spec": ["containers": [["name": "app", "image": "nginx:1"]]]]],
        ]
        #expect(projected == expected)
    }

    @Test("a Secret's values stay out of the read-back object")
    func secretObjectRedacted() {
        let secret: JSONValue = [
            "apiVersion": "v1", "kind": "Secret",
            "metadata": [
                "name": "token", "namespace": "apps", "labels": ["strata.dev/stack": "s1"],
                "annotations": ["strata.dev/address": "kubernetes_manifest.token"],
            ],
            "data": ["password": "aHVudGVyMg=="],
        ]
        let live = KubernetesManifestProvider().liveResource(secret, cluster: "c1", stack: "s1")
        #expect(live.address?.canonical == "kubernetes_manifest.token")
        #expect(EKSSupport.block(live.attributes["object"])["data"] == Value(json: ["password": "(sensitive)"]))
        #expect(!"\(live.attributes["object"] ?? .null)".contains("aHVudGVyMg=="))
    }

    @Test("node group, add-on, access entry + policy, pod identity, manifest: create, discover, update, delete")
    func children() async throws {
        let h = try await ClusterHarness.make()
        let clusterProvider = try h.provider("aws_eks_cluster")
        let cluster = try await clusterProvider.create(h.clusterDesired(), h.context)
        let name = JSONValue.string(h.clusterName)

        // Node group.
        let groups = try h.provider("aws_eks_node_group")
        let groupDesired = h.desired(
            "aws_eks_node_group", "workers",
            [
                "cluster_name": name, "node_group_name": "workers", "node_role_arn": "arn:aws:iam::123456789012:role/eks-node",
                "subnet_ids": .array(h.subnets.map { .string($0) }),
                "scaling_config": .object(["desired_size": 2, "min_size": 1, "max_size": 3]),
                "labels": .object(["role": "workers"]),
                "taint": .array([.object(["key": "dedicated", "value": "ci", "effect": "NO_SCHEDULE"])]),
                "tags": .object(["pool": "general"]),
            ])
        let group = try await groups.create(groupDesired, h.context)
        #expect(group.attributes.string("status") == "ACTIVE")
        try await h.ownershipTagsPresent(try #require(group.attributes.string("arn")), groupDesired)
        let foundGroup = try #require(try await h.discovered(groupDesired))
        #expect(foundGroup.attributes["scaling_config"] == Value(json: ["desired_size": 2, "min_size": 1, "max_size": 3]))
        #expect(foundGroup.attributes["labels"] == Value(json: ["role": "workers"]))
        var resized = groupDesired
        resized.attributes["scaling_config"] = Value(json: ["desired_size": 3, "min_size": 1, "max_size": 3])
        resized.attributes["labels"] = Value(json: ["role": "builders"])
        resized.attributes["taint"] = .list([])
        let scaled = try await groups.update(foundGroup, to: resized, changed: ["scaling_config", "labels", "taint"], h.context)
        #expect(scaled.attributes["scaling_config"] == Value(json: ["desired_size": 3, "min_size": 1, "max_size": 3]))
        #expect(scaled.attributes["labels"] == Value(json: ["role": "builders"]))
        #expect(scaled.attributes["taint"] == .list([]))

        // Add-on.
        let addons = try h.provider("aws_eks_addon")
        let addonDesired = h.desired(
            "aws_eks_addon", "cni",
            [
                "cluster_name": name, "addon_name": "vpc-cni", "resolve_conflicts_on_create": "OVERWRITE",
                "configuration_values": .object(["env": .object(["ENABLE_PREFIX_DELEGATION": "true"])]),
            ])
        let addon = try await addons.create(addonDesired, h.context)
        try await h.ownershipTagsPresent(try #require(addon.attributes.string("arn")), addonDesired)
        #expect(addon.attributes.string("configuration_values") == #"{"env":{"ENABLE_PREFIX_DELEGATION":"true"}}"#)
        #expect(try await h.discovered(addonDesired)?.attributes.string("addon_version") == addon.attributes.string("addon_version"))
        var reconfigured = addonDesired
        reconfigured.attributes["configuration_values"] = Value(json: ["env": ["WARM_IP_TARGET": "5"]])
        let addonUpdated = try await addons.update(addon, to: reconfigured, changed: ["configuration_values"], h.context)
        #expect(addonUpdated.attributes.string("configuration_values") == #"{"env":{"WARM_IP_TARGET":"5"}}"#)

        // Access entry and its policy association.
        let entries = try h.provider("aws_eks_access_entry")
        let principal = "arn:aws:iam::123456789012:role/ci-deployer"
        let entryDesired = h.desired(
            "aws_eks_access_entry", "ci",
            [
                "cluster_name": name, "principal_arn": .string(principal), "kubernetes_groups": .array(["deployers"]),
            ])
        let entry = try await entries.create(entryDesired, h.context)
        try await h.ownershipTagsPresent(try #require(entry.attributes.string("access_entry_arn")), entryDesired)
        var regrouped = entryDesired
        regrouped.attributes["kubernetes_groups"] = Value(json: ["deployers", "viewers"])
        let entryUpdated = try await entries.update(entry, to: regrouped, changed: ["kubernetes_groups"], h.context)
        #expect(entryUpdated.attributes["kubernetes_groups"] == Value(json: ["deployers", "viewers"]))
        let foundEntries = try await entries.discover(h.context)
        // The cluster creator's bootstrap entry is EKS's, not the stack's.
        #expect(foundEntries.map(\.address) == [entryDesired.address])
        let policies = try h.provider("aws_eks_access_policy_association")
        let policyARN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
        let policyDesired = h.desired(
            "aws_eks_access_policy_association", "ci_edit",
            [
                "cluster_name": name, "principal_arn": .string(principal), "policy_arn": .string(policyARN),
                "access_scope": .object(["type": "namespace", "namespaces": .array(["apps"])]),
            ])
        let association = try await policies.create(policyDesired, h.context)
        #expect(association.identity == "\(h.clusterName)|\(principal)|\(policyARN)")
        let foundAssociation = try #require(try await h.discovered(policyDesired))
        #expect(foundAssociation.attributes["access_scope"] == Value(json: ["type": "namespace", "namespaces": ["apps"]]))

        // Pod identity association.
        let identities = try h.provider("aws_eks_pod_identity_association")
        let podDesired = h.desired(
            "aws_eks_pod_identity_association", "karpenter",
            [
                "cluster_name": name, "namespace": "kube-system", "service_account": "karpenter",
                "role_arn": "arn:aws:iam::123456789012:role/karpenter",
            ])
        let pod = try await identities.create(podDesired, h.context)
        try await h.ownershipTagsPresent(try #require(pod.attributes.string("association_arn")), podDesired)
        #expect(try await identities.create(podDesired, h.context).id == pod.id)
        var newRole = podDesired
        newRole.attributes["role_arn"] = .string("arn:aws:iam::123456789012:role/karpenter-2")
        let moved = try await identities.update(
            try #require(try await h.discovered(podDesired)), to: newRole, changed: ["role_arn"], h.context)
        #expect(moved.attributes.string("role_arn") == "arn:aws:iam::123456789012:role/karpenter-2")

        // A manifest in the cluster.
        let manifests = try h.provider("kubernetes_manifest")
        let manifestJSON: JSONValue = .object([
            "apiVersion": "karpenter.sh/v1", "kind": "NodePool",
            "metadata": .object(["name": "general", "labels": .object(["tier": "base"])]),
            "spec": .object(["limits": .object(["cpu": "100"])]),
        ])
        let manifest = Value(json: manifestJSON)
        let manifestDesired = h.desired("kubernetes_manifest", "pool", ["cluster": name, "manifest": manifestJSON])
        let applied = try await manifests.create(manifestDesired, h.context)
        #expect(applied.address == manifestDesired.address)
        #expect(applied.attributes["manifest"] == manifest)
        let foundManifest = try #require(try await h.discovered(manifestDesired))
        #expect(foundManifest.attributes["manifest"] == manifest)
        let stored = try #require(foundManifest.attributes["object"])
        #expect(
            EKSSupport.block(EKSSupport.block(stored)["metadata"])["labels"]?.stringMap[KubernetesManifestProvider.stackLabel] == h.stack)

        // Delete everything, children first, and confirm each is gone.
        try await manifests.delete(foundManifest, h.context)
        #expect(try await h.discovered(manifestDesired) == nil)
        try await identities.delete(moved, h.context)
        #expect(try await h.discovered(podDesired) == nil)
        try await policies.delete(foundAssociation, h.context)
        #expect(try await h.discovered(policyDesired) == nil)
        try await entries.delete(entry, h.context)
        #expect(try await h.discovered(entryDesired) == nil)
        try await addons.delete(addon, h.context)
        #expect(try await h.discovered(addonDesired) == nil)
        try await groups.delete(scaled, h.context)
        #expect(try await h.discovered(groupDesired) == nil)
        try await groups.delete(scaled, h.context)
        try await clusterProvider.delete(cluster, h.context)
        #expect(try await EKS(h.client).describeCluster(h.clusterName) == nil)
    }

    @Test("discovery of every EKS type costs one tag-index read and one DescribeCluster per cluster of the stack")
    func discoveryCallCount() async throws {
        let h = try await ClusterHarness.make()
        let clusterProvider = try h.provider("aws_eks_cluster")
        let cluster = try await clusterProvider.create(h.clusterDesired(), h.context)
        // Another stack's cluster in the region: discovery must not read it.
        let other = try await ClusterHarness.make()
        let foreign = try await clusterProvider.create(other.clusterDesired(), other.context)
        // Count this test's own calls (the sandbox is shared): a transport that records them.
        let recorder = RecordingTransport()
        var configuration = h.client.configuration
        configuration.transport = recorder
        let client = AWSClient(configuration: configuration)
        let context = ProviderContext(
            client: client, stack: h.stack, region: Sandbox.region, waits: WaitPolicy(interval: .milliseconds(50)))
        let types = ["aws_eks_cluster", "aws_eks_node_group", "aws_eks_addon", "aws_eks_access_entry", "aws_eks_pod_identity_association"]
        for type in types { _ = try await h.provider(type).discover(context) }
        let calls = recorder.calls
        #expect(calls.filter { $0.hasSuffix("ResourceGroupsTaggingAPI_20170126.GetResources") }.count == 1, "\(calls)")
        #expect(!calls.contains("GET /clusters"), "no ListClusters: \(calls)")
        let describes = calls.filter { $0.hasPrefix("GET /clusters/") && $0.split(separator: "/").count == 3 }
        #expect(describes == ["GET /clusters/\(cluster.id)"], "\(calls)")
        #expect(!calls.contains { $0.contains(foreign.id) }, "\(calls)")
        // Children are listed in the stack's one cluster only.
        #expect(calls.filter { $0.hasSuffix("/node-groups") }.count == 1)
        #expect(calls.filter { $0.hasSuffix("/access-entries") }.count == 1)
        try await clusterProvider.delete(cluster, h.context)
        try await clusterProvider.delete(foreign, other.context)
    }

    @Test("node group version follows the cluster's upgrade through UpdateNodegroupVersion")
    func nodeGroupUpgrade() async throws {
        let h = try await ClusterHarness.make()
        let clusters = try h.provider("aws_eks_cluster")
        let groups = try h.provider("aws_eks_node_group")
        let cluster = try await clusters.create(h.clusterDesired(), h.context)
        let groupDesired = h.desired(
            "aws_eks_node_group", "workers",
            [
                "cluster_name": .string(h.clusterName), "node_group_name": "workers",
                "node_role_arn": "arn:aws:iam::123456789012:role/eks-node",
                "subnet_ids": .array(h.subnets.map { .string($0) }), "scaling_config": ["desired_size": 1, "min_size": 1, "max_size": 2],
            ])
        let group = try await groups.create(groupDesired, h.context)
        #expect(group.attributes.string("version") == "1.32")
        // Re-run with the same client token: the same group, not a second one or an error.
        #expect(try await groups.create(groupDesired, h.context).attributes.string("arn") == group.attributes.string("arn"))
        #expect(try await EKS(h.client).listNodegroups(cluster: h.clusterName) == ["workers"])
        let upgraded = try await clusters.update(cluster, to: h.clusterDesired(["version": "1.33"]), changed: ["version"], h.context)
        #expect(upgraded.attributes.string("version") == "1.33")
        var next = groupDesired
        next.attributes["version"] = .string("1.33")
        let moved = try await groups.update(group, to: next, changed: ["version"], h.context)
        #expect(moved.attributes.string("version") == "1.33")
        #expect(moved.attributes.string("release_version") != group.attributes.string("release_version"))
        #expect(moved.attributes.string("status") == "ACTIVE")
        try await groups.delete(moved, h.context)
        try await clusters.delete(upgraded, h.context)
    }

    @Test("a wait that runs out says what it waited for; deleting a cluster still CREATING waits until EKS accepts")
    func deadlines() async throws {
        // The sandbox's lifecycle clock stands still until the cluster has been seen CREATING:
        // on a loaded machine its few seconds of CREATING could otherwise pass before the look.
        try await Sandbox.shared().exclusive { sandbox in
            let h = try await ClusterHarness.make(on: sandbox)
            let provider = try h.provider("aws_eks_cluster")
            var hurried = h.context
            hurried.waits = WaitPolicy(interval: .milliseconds(50), deadlineScale: 0.000_01)
            try await sandbox.freezeClock(true)
            do {
                do {
                    _ = try await provider.create(h.clusterDesired(), hurried)
                    Issue.record("the create outran an 18 ms deadline")
                } catch let timeout as WaitTimeout {
                    #expect(timeout.description.contains("EKS cluster \(h.clusterName) to be ACTIVE"), "\(timeout)")
                }
                let creating = try #require(try await EKS(h.client).describeCluster(h.clusterName))
                #expect(creating["status"]?.stringValue == "CREATING")
            } catch {
                try? await sandbox.freezeClock(false)
                throw error
            }
            try await sandbox.freezeClock(false)
            // EKS refuses DeleteCluster while CREATING; the provider waits for it, then deletes.
            let live = LiveResource(type: "aws_eks_cluster", address: nil, id: h.clusterName, attributes: [:])
            try await provider.delete(live, h.context)
            #expect(try await EKS(h.client).describeCluster(h.clusterName) == nil)
        }
    }
}

/// Passes requests to libcurl and records `METHOD path` of each.
final class RecordingTransport: HTTPTransport, @unchecked Sendable {
    private let inner = CurlTransport()
    private let lock = NSLock()
    private var recorded: [String] = []

    private func record(_ call: String) {
        lock.lock()
        recorded.append(call)
        lock.unlock()
    }

    var calls: [String] {
        lock.lock()
        defer { lock.unlock() }
        return recorded
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        // JSON-protocol calls all POST to "/": their target names them.
        let target = request.headers.first { $0.name.lowercased() == "x-amz-target" }?.value
        record(target.map { "\(request.method) \(request.url.path) \($0)" } ?? "\(request.method) \(request.url.path)")
        return try await inner.send(request)
    }
}
