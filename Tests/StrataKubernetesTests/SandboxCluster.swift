import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

@testable import StrataKubernetes

/// A sandbox EKS cluster (``SandboxEKSCluster``) with one node group and a Kubernetes client.
struct SandboxCluster {
    let eks: SandboxEKSCluster
    let nodegroup: String
    let kube: KubernetesClient

    var sandbox: Sandbox { eks.sandbox }
    var aws: AWSClient { eks.aws }
    var name: String { eks.name }

    static func make(nodes: Int = 2) async throws -> SandboxCluster {
        let eks = try await SandboxEKSCluster.make()
        let nodegroup = "ng-\(eks.name)"
        try await eks.addNodegroup(nodegroup, nodes: nodes, labels: ["role": "workers"])
        let kube = try KubernetesClient.eks(cluster: eks.name, endpoint: eks.endpoint, caData: eks.caData, aws: eks.aws)
        return SandboxCluster(eks: eks, nodegroup: nodegroup, kube: kube)
    }

    /// Seeds workloads through the sandbox's control route.
    func seed(_ objects: [JSONValue]) async throws { try await eks.seed(objects) }

    /// Removes the node group and the cluster, waiting until the group is gone.
    func tearDown() async throws { try await eks.tearDown(nodegroups: [nodegroup]) }

    static func poll<T: Sendable>(_ what: String, _ body: @Sendable () async throws -> T?) async throws -> T {
        try await SandboxEKSCluster.poll(what, body)
    }
}
