import AWSClient
import Foundation
import StrataModel
import StrataProviders
import StrataTestSupport
import Testing

@testable import StrataExecutor

/// What the sweep takes: only what a controller's ownership tags say it made for one of the
/// stack's clusters, and only inside the stack's subnets. Issue 11 item 2's two cases: a user's
/// untagged interface in a stack subnet, and an instance in the default VPC tagged
/// `karpenter.sh/discovery=<cluster>`, were both deleted.
@Suite struct SweepOwnershipTests {
    /// Karpenter's node and the VPC CNI's interface of the stack's cluster, inside its subnets,
    /// are listed and swept; a hand-made interface, an instance carrying only the discovery tag
    /// (both in a stack subnet) are listed as foreign and left; Karpenter-tagged instances in the
    /// default VPC are not even looked at.
    @Test(.timeLimit(.minutes(5))) func onlyWhatTheStacksControllersMadeInItsSubnetsIsSwept() async throws {
        let client = try await Sandbox.shared().client()
        let cluster = "owned-" + UUID().uuidString.prefix(6).lowercased()
        let network = try await ControllerSweepTests.network(client, cluster: nil)
        let karpenterTags = ControllerLeftovers.karpenterTags(cluster: cluster)
        let node = try await ControllerLeftovers.instance(client, subnet: network.subnets[0], tags: karpenterTags)
        let discoveryOnly = try await ControllerLeftovers.instance(
            client, subnet: network.subnets[1], tags: [("karpenter.sh/discovery", cluster)])
        let defaults = try await client.query(
            .ec2, action: "DescribeSubnets",
            parameters: [("Filter.1.Name", "default-for-az"), ("Filter.1.Value.1", "true")])
        let outside = try #require(defaults.first(named: "subnetId")?.text)
        let elsewhere = try await ControllerLeftovers.instance(
            client, subnet: outside, tags: [("karpenter.sh/discovery", cluster)] + karpenterTags)
        let cni = try await ControllerLeftovers.interface(
            client, subnet: network.subnets[1], description: "aws-K8S-\(node)",
            tags: ControllerLeftovers.cniTags(cluster: cluster, instance: node))
        let mine = try await ControllerLeftovers.interface(
            client, subnet: network.subnets[0], description: "my debugging interface", tags: [])

        let events = CollectingEventSink()
        let sweep = ControllerSweepTests.sweep(client, events: events, deadline: .seconds(10))
        let survey = try await sweep.survey(clusters: [cluster], vpcIDs: [network.vpc], subnetIDs: network.subnets)
        #expect(
            survey.targets.map { "\($0.kind) \($0.id)" } == ["instance \(node)", "network interface \(cni)"],
            "\(survey.targets)")
        let node0 = try #require(survey.targets.first)
        #expect(node0.owner == "karpenter.sh/nodepool=default, eks:eks-cluster-name=\(cluster)")
        #expect(node0.location == "\(network.subnets[0]) (\(network.vpc))")
        #expect(
            Set(survey.foreign.map { "\($0.kind) \($0.id)" }) == [
                "instance \(discoveryOnly)", "network interface \(mine)", "security group \(network.group)",
            ], "\(survey.foreign)")
        #expect(survey.foreign.contains { $0.id == mine && $0.owner == "my debugging interface; untagged" })
        #expect(
            try await ControllerLeftovers.state(client, instance: node) == "running", "the survey deleted something")

        try await sweep.sweep(clusters: [cluster], vpcIDs: [network.vpc], subnetIDs: network.subnets)
        let swept = events.events.filter { $0.kind == .sweepDeleted }.map {
            "\($0.payload["what"] ?? "") \($0.payload["id"] ?? "")"
        }
        #expect(swept == ["instance \(node)", "network interface \(cni)"])
        #expect(try await ControllerLeftovers.state(client, instance: node) == "terminated")
        #expect(!(await ControllerLeftovers.exists(client, interface: cni)))
        // Left alone: not made by a controller of the stack's cluster, or not in its network.
        #expect(try await ControllerLeftovers.state(client, instance: discoveryOnly) == "running")
        #expect(try await ControllerLeftovers.state(client, instance: elsewhere) == "running")
        #expect(await ControllerLeftovers.exists(client, interface: mine))

        _ = try await client.query(
            .ec2, action: "TerminateInstances",
            parameters: [("InstanceId.1", discoveryOnly), ("InstanceId.2", elsewhere)])
        _ = try await client.query(.ec2, action: "DeleteNetworkInterface", parameters: [("NetworkInterfaceId", mine)])
    }

    /// A Karpenter node of a cluster EKS no longer has (the stack's former cluster, named by
    /// `kubernetes.io/cluster/<name>` = `owned`) is swept; a node of the stack cluster's managed
    /// node group (`eks:cluster-name`) is neither swept nor foreign: it goes with its node group.
    @Test(.timeLimit(.minutes(5))) func formerClustersNodesAreSweptNodeGroupNodesAreLeftToTheirGroup() async throws {
        let client = try await Sandbox.shared().client()
        let suffix = UUID().uuidString.prefix(6).lowercased()
        let network = try await ControllerSweepTests.network(client, cluster: nil)
        let former = try await ControllerLeftovers.instance(
            client, subnet: network.subnets[0],
            tags: [("karpenter.sh/nodepool", "default"), ("kubernetes.io/cluster/gone-\(suffix)", "owned")])
        let grouped = try await ControllerLeftovers.instance(
            client, subnet: network.subnets[1],
            tags: [("eks:cluster-name", "own-\(suffix)"), ("eks:nodegroup-name", "system")])
        let survey = try await ControllerSweepTests.sweep(client, events: CollectingEventSink(), deadline: .seconds(5))
            .survey(clusters: ["own-\(suffix)"], vpcIDs: [], subnetIDs: network.subnets)
        #expect(survey.targets.map(\.id) == [former], "\(survey.targets)")
        #expect(
            survey.targets.first?.owner == "karpenter.sh/nodepool=default, kubernetes.io/cluster/gone-\(suffix)=owned")
        #expect(survey.foreign.isEmpty, "\(survey.foreign)")
        _ = try await client.query(
            .ec2, action: "TerminateInstances", parameters: [("InstanceId.1", former), ("InstanceId.2", grouped)])
    }
}
