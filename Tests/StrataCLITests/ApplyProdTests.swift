import AWSClient
import Foundation
import StrataTestSupport
import Testing

/// The whole production stack (97 resources: VPC with NAT per zone, EKS with node group,
/// add-ons, access entries, Karpenter's queue, rules and roles, manifests) applied on the sandbox
/// at time scale 0.01, planned again, and destroyed to nothing tagged.
@Suite struct ApplyProdTests {
    @Test(.timeLimit(.minutes(5))) func prodAppliesPlansCleanAndDestroysToNothing() async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(of: "prod")
        defer { copy.remove() }
        // A delete still blocked after 60 s is a failure worth seeing, not a five-minute wait.
        let env = copy.environment(sandbox, ["STRATA_DELETE_DEADLINE_SECONDS": "60"])
        let apply = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
        #expect(apply.status == 0, "apply of prod failed:\n\(apply.stdout.suffix(4000))\n\(apply.stderr)")
        #expect(apply.stdout.contains("Apply complete: 97 created"), "\(apply.stdout.suffix(2000))")
        let census = try await StackCensus.take(sandbox.client(), stack: copy.stack)
        #expect(census.vpcs == 1 && census.subnets == 9 && census.clusters == 1 && census.natGateways == 3, "\(census)")
        #expect(census.untaggedInVPC.isEmpty, "\(census.untaggedInVPC)")

        let plan = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
        #expect(plan.status != 1, "plan after apply failed: \(plan.stderr)")
        #expect(plan.status == 0, "the plan after apply has changes:\n\(plan.stdout.suffix(3000))")

        // What controllers leave behind without strata tags: a Karpenter node, its launch
        // template, an ENI left available in a stack subnet. Destroy must sweep them.
        let client = sandbox.client()
        let leftovers = try await Self.controllerLeftovers(client, cluster: copy.stack, vpc: census.vpcIDs.first ?? "")

        let destroy = try await StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: env)
        #expect(destroy.status == 0, "destroy of prod failed:\n\(destroy.stdout.suffix(4000))\n\(destroy.stderr)")
        let after = try await StackCensus.take(sandbox.client(), stack: copy.stack)
        #expect(after.isEmpty, "left after destroy: \(after)")
        #expect(destroy.stdout.contains("swept instance \(leftovers.instance)"), "\(destroy.stdout.suffix(3000))")
        #expect(destroy.stdout.contains("swept launch template \(leftovers.template)"))
        #expect(destroy.stdout.contains("swept network interface \(leftovers.interface)"))
        let state = try await client.query(.ec2, action: "DescribeInstances", parameters: [("InstanceId.1", leftovers.instance)])
        #expect(state.first(named: "instanceState")?.child("name")?.text == "terminated")
        await #expect(throws: AWSError.self) {
            _ = try await client.query(.ec2, action: "DescribeNetworkInterfaces", parameters: [("NetworkInterfaceId.1", leftovers.interface)])
        }
    }

    /// Launches what Karpenter and the VPC CNI would leave in the stack's network.
    static func controllerLeftovers(_ client: AWSClient, cluster: String, vpc: String) async throws
        -> (instance: String, template: String, interface: String)
    {
        let subnets = try await client.query(
            .ec2, action: "DescribeSubnets", parameters: [("Filter.1.Name", "vpc-id"), ("Filter.1.Value.1", vpc)])
        let subnet = try #require(subnets.first(named: "subnetId")?.text)
        // The instance goes in the default VPC: moto keeps a terminated instance's ENI attached
        // (AWS deletes it), which would hold a stack subnet forever. The sweep finds it by tag.
        let defaults = try await client.query(
            .ec2, action: "DescribeSubnets", parameters: [("Filter.1.Name", "default-for-az"), ("Filter.1.Value.1", "true")])
        let outside = try #require(defaults.first(named: "subnetId")?.text)
        let images = try await client.query(.ec2, action: "DescribeImages", parameters: [("Owner.1", "602401143452")])
        let image = try #require(images.first(named: "imageId")?.text)
        let template = try await client.query(
            .ec2, action: "CreateLaunchTemplate",
            parameters: [
                ("LaunchTemplateName", "karpenter.k8s.aws/\(cluster)-default"), ("LaunchTemplateData.ImageId", image),
                ("TagSpecification.1.ResourceType", "launch-template"),
                ("TagSpecification.1.Tag.1.Key", "karpenter.k8s.aws/cluster"), ("TagSpecification.1.Tag.1.Value", cluster),
            ])
        let instance = try await client.query(
            .ec2, action: "RunInstances",
            parameters: [
                ("ImageId", image), ("MinCount", "1"), ("MaxCount", "1"), ("InstanceType", "m6i.large"), ("SubnetId", outside),
                ("TagSpecification.1.ResourceType", "instance"),
                ("TagSpecification.1.Tag.1.Key", "karpenter.sh/discovery"), ("TagSpecification.1.Tag.1.Value", cluster),
            ])
        let interface = try await client.query(
            .ec2, action: "CreateNetworkInterface", parameters: [("SubnetId", subnet), ("Description", "left by aws-node")])
        return (
            try #require(instance.first(named: "instanceId")?.text), try #require(template.first(named: "launchTemplateId")?.text),
            try #require(interface.first(named: "networkInterfaceId")?.text)
        )
    }
}
