import AWSClient
import Foundation
import StrataModel

/// An EKS cluster in the sandbox made with raw AWSClient calls (no providers): a VPC with two
/// subnets, the cluster, and node groups added and removed at will, with the control routes that
/// seed workloads and read what the cluster observed. Kubernetes tests build their client from
/// ``endpoint`` and ``caData``.
public struct SandboxEKSCluster: Sendable {
    public let sandbox: Sandbox
    public let aws: AWSClient
    public let name: String
    public let subnets: [String]
    /// `DescribeCluster`'s endpoint and base64 `certificateAuthority.data`.
    public let endpoint: String
    public let caData: String

    /// A new ACTIVE cluster named `<prefix>-<random>` on `sandbox` (the shared one by default).
    public static func make(prefix: String = "k", on sandbox: Sandbox? = nil) async throws -> SandboxEKSCluster {
        let sandbox = try await { if let sandbox { sandbox } else { try await Sandbox.shared() } }()
        let aws = sandbox.client()
        let name = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
        let subnets = try await sandbox.twoSubnets(aws)
        _ = try await aws.rest(
            .eks, action: "CreateCluster", method: "POST", path: "/clusters",
            body: [
                "name": .string(name), "roleArn": "arn:aws:iam::123456789012:role/eks-cluster",
                "resourcesVpcConfig": ["subnetIds": .array(subnets.map { .string($0) })],
                "accessConfig": ["authenticationMode": "API_AND_CONFIG_MAP"],
                "clientRequestToken": .string("\(name)-create"),
            ])
        let cluster = try await poll("cluster \(name) ACTIVE") {
            let described = try await aws.rest(.eks, action: "DescribeCluster", method: "GET", path: "/clusters/\(name)")["cluster"]
            return described?["status"]?.stringValue == "ACTIVE" ? described : nil
        }
        guard let endpoint = cluster["endpoint"]?.stringValue, let caData = cluster["certificateAuthority"]?["data"]?.stringValue else {
            throw SandboxError("cluster \(name) has no endpoint or certificate authority")
        }
        return SandboxEKSCluster(sandbox: sandbox, aws: aws, name: name, subnets: subnets, endpoint: endpoint, caData: caData)
    }

    /// Creates a managed node group of `nodes` nodes and waits until it is ACTIVE (its nodes Ready).
    public func addNodegroup(_ nodegroup: String, nodes: Int, labels: [String: String] = [:]) async throws {
        _ = try await aws.rest(
            .eks, action: "CreateNodegroup", method: "POST", path: "/clusters/\(name)/node-groups",
            body: [
                "nodegroupName": .string(nodegroup), "nodeRole": "arn:aws:iam::123456789012:role/eks-node",
                "subnets": .array(subnets.map { .string($0) }),
                "scalingConfig": ["minSize": 1, "maxSize": .int(max(4, nodes)), "desiredSize": .int(nodes)],
                "labels": .object(labels.mapValues { .string($0) }),
            ])
        _ = try await Self.poll("node group \(nodegroup) ACTIVE") {
            let described = try await aws.rest(
                .eks, action: "DescribeNodegroup", method: "GET", path: "/clusters/\(name)/node-groups/\(nodegroup)")["nodegroup"]
            return described?["status"]?.stringValue == "ACTIVE" ? true : nil
        }
    }

    /// Deletes a node group and waits until it is gone.
    public func deleteNodegroup(_ nodegroup: String) async throws {
        _ = try await aws.rest(.eks, action: "DeleteNodegroup", method: "DELETE", path: "/clusters/\(name)/node-groups/\(nodegroup)")
        _ = try await Self.poll("node group \(nodegroup) gone") { () async throws -> Bool? in
            do {
                _ = try await aws.rest(.eks, action: "DescribeNodegroup", method: "GET", path: "/clusters/\(name)/node-groups/\(nodegroup)")
                return nil
            } catch let error as AWSError where error.isNotFound {
                return true
            }
        }
    }

    /// Removes the node groups and the cluster.
    public func tearDown(nodegroups: [String]) async throws {
        for nodegroup in nodegroups { try await deleteNodegroup(nodegroup) }
        _ = try await aws.rest(.eks, action: "DeleteCluster", method: "DELETE", path: "/clusters/\(name)")
    }

    /// Seeds workloads through the control route `/_sandbox/kube/.../workloads` (`objects` are
    /// manifests; `staticPods` are `{"node"|"nodegroup": ..., "pod": <Pod>}` entries).
    public func seed(_ objects: [JSONValue], staticPods: [JSONValue] = []) async throws {
        let body = JSONValue.object(["objects": .array(objects), "static_pods": .array(staticPods)]).encoded()
        try await sandbox.control("POST", "/_sandbox/kube/clusters/\(Sandbox.region)/\(name)/workloads", body: body)
    }

    /// What the cluster observed: evictions, blocked evictions, PDB violations, lost pods, cordons.
    public func observations() async throws -> JSONValue {
        try JSONValue.parse(try await sandbox.control("GET", "/_sandbox/kube/clusters/\(Sandbox.region)/\(name)/observations"))
    }

    /// Forgets the observations so far (between seeding and the operation under test).
    public func clearObservations() async throws {
        try await sandbox.control("DELETE", "/_sandbox/kube/clusters/\(Sandbox.region)/\(name)/observations")
    }

    /// Polls every 50 ms for up to `limit`, returning the first non-nil answer.
    public static func poll<T: Sendable>(
        _ what: String, limit: Duration = .seconds(30), _ body: @Sendable () async throws -> T?
    ) async throws -> T {
        let end = ContinuousClock.now.advanced(by: limit)
        while ContinuousClock.now < end {
            if let value = try await body() { return value }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw SandboxError("timed out waiting for \(what)")
    }
}
