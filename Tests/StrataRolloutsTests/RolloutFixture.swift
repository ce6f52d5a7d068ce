import AWSClient
import Foundation
import StrataExecutor
import StrataKubernetes
import StrataModel
import StrataProviders
import StrataRollouts
import StrataTestSupport
import Testing

/// A stack's EKS cluster in a sandbox of its own, as strata would have made it: a cluster at
/// `version`, the node pool `system` (tagged for stack `rollouts` at `aws_eks_node_group.system`),
/// the vpc-cni add-on, and seeded workloads: a Deployment whose budget allows one disruption, a
/// DaemonSet and mirror pods on every node. Made with raw calls, so a test depends on the engine
/// alone.
struct RolloutFixture {
    let sandbox: Sandbox
    let aws: AWSClient
    let cluster: String
    let subnets: [String]
    let kube: KubernetesClient
    let context: ProviderContext

    static let stack = "rollouts"
    static let pool = ResourceAddress(module: nil, type: "aws_eks_node_group", name: "system")
    static let clusterAddress = ResourceAddress(module: nil, type: "aws_eks_cluster", name: "main")
    static let addonAddress = ResourceAddress(module: nil, type: "aws_eks_addon", name: "vpc_cni")
    static let interval: Duration = .milliseconds(50)

    static func make(in sandbox: Sandbox, version: String = "1.30", nodes: Int = 3) async throws -> RolloutFixture {
        let addonVersion = ["1.28": "v1.15.5-eksbuild.1", "1.29": "v1.16.4-eksbuild.2", "1.30": "v1.18.6-eksbuild.1"][version] ?? ""
        let aws = sandbox.client()
        let cluster = "r-\(UUID().uuidString.prefix(8).lowercased())"
        let vpc = try await aws.query(.ec2, action: "CreateVpc", parameters: [(name: "CidrBlock", value: "10.0.0.0/16")])
        let vpcID = try #require(vpc.first(named: "vpcId")?.text)
        var subnets: [String] = []
        for (index, zone) in ["us-east-1a", "us-east-1b"].enumerated() {
            let subnet = try await aws.query(
                .ec2, action: "CreateSubnet",
                parameters: [
                    (name: "VpcId", value: vpcID), (name: "CidrBlock", value: "10.0.\(index).0/24"),
                    (name: "AvailabilityZone", value: zone),
                ])
            subnets.append(try #require(subnet.first(named: "subnetId")?.text))
        }
        _ = try await aws.rest(
            .eks, action: "CreateCluster", method: "POST", path: "/clusters",
            body: [
                "name": .string(cluster), "version": .string(version), "roleArn": "arn:aws:iam::123456789012:role/eks-cluster",
                "resourcesVpcConfig": ["subnetIds": .array(subnets.map { .string($0) })],
                "accessConfig": ["authenticationMode": "API_AND_CONFIG_MAP"],
                "tags": tags(clusterAddress),
            ])
        let described = try await poll("cluster \(cluster) ACTIVE") {
            let described = try await aws.rest(.eks, action: "DescribeCluster", method: "GET", path: "/clusters/\(cluster)")["cluster"]
            return described?["status"]?.stringValue == "ACTIVE" ? described : nil
        }
        let context = ProviderContext(
            client: aws, stack: stack, region: Sandbox.region, waits: WaitPolicy(interval: interval))
        let fixture = RolloutFixture(
            sandbox: sandbox, aws: aws, cluster: cluster, subnets: subnets,
            kube: try KubernetesClient.eks(
                cluster: cluster, endpoint: try #require(described["endpoint"]?.stringValue),
                caData: try #require(described["certificateAuthority"]?["data"]?.stringValue), aws: aws),
            context: context)
        _ = try await ProviderRegistry.all["aws_eks_node_group"]?.create(fixture.desiredPool(nodes: nodes), context)
        _ = try await aws.rest(
            .eks, action: "CreateAddon", method: "POST", path: "/clusters/\(cluster)/addons",
            body: ["addonName": "vpc-cni", "addonVersion": .string(addonVersion), "tags": tags(addonAddress)])
        try await fixture.seed()
        try await fixture.waitWorkloadsReady()
        return fixture
    }

    static func tags(_ address: ResourceAddress) -> JSONValue {
        [ProviderContext.stackTag: .string(stack), ProviderContext.addressTag: .string(address.canonical)]
    }

    /// The pool as the stack declares it: what blue was made from and green is made from.
    func desiredPool(nodes: Int = 3) -> DesiredResource {
        DesiredResource(
            address: Self.pool, type: "aws_eks_node_group",
            attributes: [
                "cluster_name": .string(cluster), "node_group_name": .string("system"),
                "node_role_arn": .string("arn:aws:iam::123456789012:role/eks-node"), "subnet_ids": .list(subnets.map { .string($0) }),
                "scaling_config": .map(["desired_size": .int(nodes), "min_size": .int(1), "max_size": .int(nodes + 2)]),
                "labels": .map(["role": .string("system")]),
            ],
            tags: [ProviderContext.stackTag: Self.stack, ProviderContext.addressTag: Self.pool.canonical],
            idempotencyToken: "\(cluster)-system-create")
    }

    /// web: 4 replicas, at most one unavailable; agent: a DaemonSet; a mirror pod per node.
    func seed() async throws {
        let labels: JSONValue = ["app": "web"]
        let objects: [JSONValue] = [
            [
                "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web", "namespace": "shop"],
                "spec": [
                    "replicas": 4, "selector": ["matchLabels": labels],
                    "template": ["metadata": ["labels": labels], "spec": ["containers": [["name": "web", "image": "nginx"]]]],
                ],
            ],
            [
                "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": ["name": "web", "namespace": "shop"],
                "spec": ["maxUnavailable": 1, "selector": ["matchLabels": labels]],
            ],
            [
                "apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": ["name": "agent", "namespace": "kube-system"],
                "spec": [
                    "selector": ["matchLabels": ["app": "agent"]],
                    "template": ["metadata": ["labels": ["app": "agent"]], "spec": ["containers": [["name": "a", "image": "agent"]]]],
                ],
            ],
        ]
        let staticPod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": "proxy", "namespace": "kube-system", "annotations": ["kubernetes.io/config.mirror": "x"]],
            "spec": ["containers": [["name": "p", "image": "proxy"]]],
        ]
        try await control(
            "POST", "workloads", body: ["objects": .array(objects), "static_pods": [["nodegroup": "system", "pod": staticPod]]])
    }

    /// Every web pod Running and Ready.
    func waitWorkloadsReady() async throws {
        let kube = self.kube
        _ = try await Self.poll("web's 4 pods Ready") {
            let pods = try await kube.pods(namespace: "shop", labelSelector: "app=web")
            return pods.filter { $0.ready && !$0.terminating }.count == 4 ? true : nil
        }
    }

    /// The sandbox's observations of the cluster (evictions, PDB violations, lost pods, ...).
    func observations() async throws -> JSONValue {
        try await control("GET", "observations")
    }

    /// Lost pods that count as a loss.
    func losses() async throws -> [JSONValue] {
        (try await observations()["lost_pods"]?.arrayValue ?? []).filter { $0["counts_as_loss"] == .bool(true) }
    }

    func nodegroups() async throws -> [String] {
        try await aws.rest(.eks, action: "ListNodegroups", method: "GET", path: "/clusters/\(cluster)/node-groups")["nodegroups"]?
            .arrayValue?.compactMap(\.stringValue).sorted() ?? []
    }

    func nodegroup(_ name: String) async throws -> JSONValue? {
        do {
            return try await aws.rest(.eks, action: "DescribeNodegroup", method: "GET", path: "/clusters/\(cluster)/node-groups/\(name)")[
                "nodegroup"]
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    /// Nodes marked unschedulable, and those carrying a rollout record.
    func cordoned() async throws -> [String] {
        try await kube.nodes().filter { $0.unschedulable || $0.object["metadata"]?["annotations"]?[CordonRecord.annotation] != nil }
            .map(\.name)
    }

    @discardableResult
    func control(_ method: String, _ path: String, body: JSONValue? = nil) async throws -> JSONValue {
        let url = sandbox.url.appendingPathComponent("_sandbox/kube/clusters/\(Sandbox.region)/\(cluster)/\(path)")
        let response = try await CurlTransport().send(
            HTTPRequest(
                method: method, url: url, headers: [(name: "Content-Type", value: "application/json")], body: body?.encoded() ?? Data()))
        guard (200..<300).contains(response.status) else {
            throw FixtureError("\(method) \(path) answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
        return try JSONValue.parse(response.body)
    }

    /// Polls every 50 ms for up to 60 s.
    static func poll<T: Sendable>(_ what: String, _ body: @Sendable () async throws -> T?) async throws -> T {
        let end = ContinuousClock.now.advanced(by: .seconds(60))
        while ContinuousClock.now < end {
            if let value = try await body() { return value }
            try await Task.sleep(for: interval)
        }
        throw FixtureError("timed out waiting for \(what)")
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
