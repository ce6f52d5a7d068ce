import AWSClient
import Foundation
import StrataModel

/// What controllers (and users) leave in a stack's network, made as they make it: Karpenter's
/// nodes, the VPC CNI's interfaces, a hand-made interface. For the destroy and sweep tests.
public enum ControllerLeftovers {
    /// Karpenter's tags on a node of `cluster` (karpenter-provider-aws writes these on every
    /// instance it launches).
    public static func karpenterTags(cluster: String, pool: String = "default") -> [(String, String)] {
        [
            ("karpenter.sh/nodepool", pool), ("eks:eks-cluster-name", cluster),
            ("kubernetes.io/cluster/\(cluster)", "owned"), ("karpenter.k8s.aws/ec2nodeclass", "default"),
        ]
    }

    /// The VPC CNI's tags on an interface it made for `instance` of `cluster`.
    public static func cniTags(cluster: String, instance: String) -> [(String, String)] {
        [("cluster.k8s.amazonaws.com/name", cluster), ("node.k8s.amazonaws.com/instance_id", instance)]
    }

    /// An instance in `subnet` whose interface goes with it when it terminates.
    public static func instance(_ client: AWSClient, subnet: String, tags: [(String, String)]) async throws -> String {
        let images = try await client.query(.ec2, action: "DescribeImages", parameters: [("Owner.1", "602401143452")])
        guard let image = images.first(named: "imageId")?.text else { throw SandboxError("no EKS image to launch") }
        let answer = try await client.query(
            .ec2, action: "RunInstances",
            parameters: [
                ("ImageId", image), ("MinCount", "1"), ("MaxCount", "1"), ("InstanceType", "m6i.large"),
                ("NetworkInterface.1.DeviceIndex", "0"), ("NetworkInterface.1.SubnetId", subnet),
                ("NetworkInterface.1.DeleteOnTermination", "true"),
            ] + tagSpecification("instance", tags))
        guard let id = answer.first(named: "instanceId")?.text else {
            throw SandboxError("RunInstances answered no id")
        }
        return id
    }

    /// A network interface in `subnet`, left available.
    public static func interface(_ client: AWSClient, subnet: String, description: String, tags: [(String, String)])
        async throws -> String
    {
        let answer = try await client.query(
            .ec2, action: "CreateNetworkInterface",
            parameters: [("SubnetId", subnet), ("Description", description)]
                + tagSpecification("network-interface", tags))
        guard let id = answer.first(named: "networkInterfaceId")?.text else {
            throw SandboxError("CreateNetworkInterface answered no id")
        }
        return id
    }

    public static func state(_ client: AWSClient, instance: String) async throws -> String? {
        let answer = try await client.query(.ec2, action: "DescribeInstances", parameters: [("InstanceId.1", instance)])
        return answer.first(named: "instanceState")?.child("name")?.text
    }

    public static func exists(_ client: AWSClient, interface: String) async -> Bool {
        (try? await client.query(
            .ec2, action: "DescribeNetworkInterfaces", parameters: [("NetworkInterfaceId.1", interface)])) != nil
    }

    private static func tagSpecification(_ type: String, _ tags: [(String, String)]) -> [(name: String, value: String)] {
        guard !tags.isEmpty else { return [] }
        return [("TagSpecification.1.ResourceType", type)]
            + tags.enumerated().flatMap { index, tag in
                [
                    (name: "TagSpecification.1.Tag.\(index + 1).Key", value: tag.0),
                    (name: "TagSpecification.1.Tag.\(index + 1).Value", value: tag.1),
                ]
            }
    }
}
