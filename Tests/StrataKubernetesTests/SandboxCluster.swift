import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

@testable import StrataKubernetes

/// An EKS cluster in the sandbox made with raw AWSClient calls (this target does not depend on
/// the providers): a VPC with two subnets, the cluster, one node group, and a Kubernetes client.
struct SandboxCluster {
    let sandbox: Sandbox
    let aws: AWSClient
    let name: String
    let nodegroup: String
    let kube: KubernetesClient

    static let interval: Duration = .milliseconds(50)

    static func make(nodes: Int = 2) async throws -> SandboxCluster {
        let sandbox = try await Sandbox.shared()
        let aws = sandbox.client()
        let name = "k-\(UUID().uuidString.prefix(8).lowercased())"
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
                "name": .string(name), "roleArn": "arn:aws:iam::123456789012:role/eks-cluster",
                "resourcesVpcConfig": ["subnetIds": .array(subnets.map { .string($0) })],
                "accessConfig": ["authenticationMode": "API_AND_CONFIG_MAP"],
                "clientRequestToken": .string("\(name)-create"),
            ])
        let cluster = try await poll("cluster \(name) ACTIVE") {
            let described = try await aws.rest(.eks, action: "DescribeCluster", method: "GET", path: "/clusters/\(name)")["cluster"]
            return described?["status"]?.stringValue == "ACTIVE" ? described : nil
        }
        let nodegroup = "ng-\(name)"
        _ = try await aws.rest(
            .eks, action: "CreateNodegroup", method: "POST", path: "/clusters/\(name)/node-groups",
            body: [
                "nodegroupName": .string(nodegroup), "nodeRole": "arn:aws:iam::123456789012:role/eks-node",
                "subnets": .array(subnets.map { .string($0) }),
                "scalingConfig": ["minSize": 1, "maxSize": 4, "desiredSize": .int(nodes)],
                "labels": ["role": "workers"],
            ])
        _ = try await poll("node group \(nodegroup) ACTIVE") {
            let described = try await aws.rest(
                .eks, action: "DescribeNodegroup", method: "GET", path: "/clusters/\(name)/node-groups/\(nodegroup)")["nodegroup"]
            return described?["status"]?.stringValue == "ACTIVE" ? true : nil
        }
        let kube = try KubernetesClient.eks(
            cluster: name, endpoint: try #require(cluster["endpoint"]?.stringValue),
            caData: try #require(cluster["certificateAuthority"]?["data"]?.stringValue), aws: aws)
        return SandboxCluster(sandbox: sandbox, aws: aws, name: name, nodegroup: nodegroup, kube: kube)
    }

    /// Seeds workloads through the sandbox's control route (`/_sandbox/kube/.../workloads`).
    func seed(_ objects: [JSONValue]) async throws {
        let url = sandbox.url.appendingPathComponent("_sandbox/kube/clusters/\(Sandbox.region)/\(name)/workloads")
        let body = JSONValue.object(["objects": .array(objects)]).encoded()
        let response = try await CurlTransport().send(
            HTTPRequest(method: "POST", url: url, headers: [(name: "Content-Type", value: "application/json")], body: body))
        #expect(response.status == 201, "seeding answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
    }

    /// Removes the node group and the cluster, waiting until both are gone.
    func tearDown() async throws {
        _ = try await aws.rest(.eks, action: "DeleteNodegroup", method: "DELETE", path: "/clusters/\(name)/node-groups/\(nodegroup)")
        _ = try await Self.poll("node group \(nodegroup) gone") { () async throws -> Bool? in
            do {
                _ = try await aws.rest(.eks, action: "DescribeNodegroup", method: "GET", path: "/clusters/\(name)/node-groups/\(nodegroup)")
                return nil
            } catch let error as AWSError where error.isNotFound {
                return true
            }
        }
        _ = try await aws.rest(.eks, action: "DeleteCluster", method: "DELETE", path: "/clusters/\(name)")
    }

    /// Polls every 50 ms for up to 30 s.
    static func poll<T: Sendable>(_ what: String, _ body: @Sendable () async throws -> T?) async throws -> T {
        let end = ContinuousClock.now.advanced(by: .seconds(30))
        while ContinuousClock.now < end {
            if let value = try await body() { return value }
            try await Task.sleep(for: interval)
        }
        throw SandboxClusterTimeout(what: what)
    }
}

struct SandboxClusterTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}
