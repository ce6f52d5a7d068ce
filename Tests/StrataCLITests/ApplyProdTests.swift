import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

/// The whole production stack (97 resources: VPC with NAT per zone, EKS with node group,
/// add-ons, access entries, Karpenter's queue, rules and roles, manifests) applied on the sandbox
/// at time scale 0.01, planned again, and destroyed to nothing tagged.
@Suite struct ApplyProdTests {
    @Test(.timeLimit(.minutes(10))) func prodAppliesPlansCleanAndDestroysToNothing() async throws {
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

        // What that no-op plan costs: at most two calls per resource type present, plus the
        // plan's data sources (caller, zones, one AMI release), pages aside. Signed with a key of
        // its own so the shared sandbox's log tells its calls from other tests'.
        let client = sandbox.client()
        let own = try await sandbox.keyOfItsOwn(user: "plan-cost-\(copy.stack)")
        let keyID = own.accessKeyID
        var counted = env
        counted["AWS_ACCESS_KEY_ID"] = keyID
        counted["AWS_SECRET_ACCESS_KEY"] = own.secretAccessKey
        let again = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: counted)
        #expect(again.status == 0, "\(again.stdout.suffix(2000))\n\(again.stderr)")
        let calls = try await sandbox.requests().filter { $0.accessKeyID == keyID }
        let graph = try await StrataBinary.run(["graph", copy.path, "--format", "json"], environment: env)
        let resources =
            (try JSONSerialization.jsonObject(with: Data(graph.stdout.utf8)) as? [String: Any])?["resources"] as? [[String: Any]]
        let types = Set((resources ?? []).compactMap { $0["type"] as? String }).count
        #expect(types == 31)
        let summary = Dictionary(grouping: calls) { "\($0.service ?? "")/\($0.action ?? "")" }.mapValues(\.count)
            .sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        #expect(calls.count <= 2 * types + 3, "\(calls.count) calls for \(types) resource types: \(summary)")
        print("no-op plan of prod: \(calls.count) AWS calls for 97 resources of \(types) types: \(summary)")

        // What controllers leave behind without strata tags: a Karpenter node, its launch
        // template, an ENI left available in a stack subnet, the Load Balancer Controller's
        // internet-facing ALB (with a listener), target group and security group. Destroy must
        // sweep them: the load balancer holds the public subnets and its security group.
        let leftovers = try await Self.controllerLeftovers(client, cluster: copy.stack, vpc: census.vpcIDs.first ?? "")

        let destroy = try await StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: env)
        #expect(destroy.status == 0, "destroy of prod failed:\n\(destroy.stdout.suffix(4000))\n\(destroy.stderr)")
        let after = try await StackCensus.take(sandbox.client(), stack: copy.stack)
        #expect(after.isEmpty, "left after destroy: \(after)")
        // Listed before anything is deleted, with whose they are; nothing of prod itself (NAT
        // gateways' interfaces, EKS's cluster group, strata's groups) reads as foreign.
        let listing = destroy.stdout.components(separatedBy: "Acquired the lock").last?.components(separatedBy: "deleting…").first ?? ""
        #expect(
            listing.contains("instance \(leftovers.instance) in ")
                && listing.contains("[karpenter.sh/nodepool=default, eks:eks-cluster-name=\(copy.stack)]")
                && listing.contains("network interface \(leftovers.interface) in ")
                && listing.contains("load balancer \(leftovers.loadBalancer) in "),
            "\(listing)")
        #expect(!destroy.stdout.contains("Not the stack's"), "\(listing)")
        #expect(destroy.stdout.contains("swept instance \(leftovers.instance)"), "\(destroy.stdout.suffix(3000))")
        #expect(destroy.stdout.contains("swept launch template \(leftovers.template)"))
        #expect(destroy.stdout.contains("swept network interface \(leftovers.interface)"))
        #expect(destroy.stdout.contains("swept load balancer \(leftovers.loadBalancer) (left by controllers of cluster \(copy.stack))"))
        #expect(destroy.stdout.contains("swept target group \(leftovers.targetGroup)"))
        #expect(destroy.stdout.contains("swept security group \(leftovers.securityGroup)"))
        // Nothing of them is left: each describe by name/id now answers not found, and the VPC is gone.
        let gone: [(AWSService, String, [(name: String, value: String)])] = [
            (.elbv2, "DescribeLoadBalancers", [("Names.member.1", leftovers.loadBalancer)]),
            (.elbv2, "DescribeTargetGroups", [("Names.member.1", leftovers.targetGroup)]),
            (.ec2, "DescribeSecurityGroups", [("GroupId.1", leftovers.securityGroup)]),
            (.ec2, "DescribeVpcs", [("VpcId.1", census.vpcIDs.first ?? "")]),
        ]
        for (service, action, parameters) in gone {
            do {
                let answer = try await client.query(service, action: action, parameters: parameters)
                Issue.record("\(action) \(parameters) still finds something after destroy: \(answer.toJSON())")
            } catch let error as AWSError {
                #expect(error.isNotFound, "\(action): \(error)")
            }
        }
        // The same through the command line: the signed raw call reaches ELBv2 and lists no load balancer of the stack.
        let listed = try await StrataBinary.run(["aws", "request", "elbv2", "DescribeLoadBalancers"], environment: env)
        #expect(listed.status == 0, "strata aws request elbv2 DescribeLoadBalancers: \(listed.stderr)")
        #expect(listed.stdout.contains("DescribeLoadBalancersResult") || listed.stdout.contains("LoadBalancers"), "\(listed.stdout)")
        #expect(!listed.stdout.contains(leftovers.loadBalancer), "\(listed.stdout)")
        let state = try await client.query(.ec2, action: "DescribeInstances", parameters: [("InstanceId.1", leftovers.instance)])
        #expect(state.first(named: "instanceState")?.child("name")?.text == "terminated")
        await #expect(throws: AWSError.self) {
            _ = try await client.query(
                .ec2, action: "DescribeNetworkInterfaces", parameters: [("NetworkInterfaceId.1", leftovers.interface)])
        }
    }

    /// What Karpenter, the VPC CNI and the AWS Load Balancer Controller would leave in the stack's network.
    struct Leftovers {
        var instance: String
        var template: String
        var interface: String
        /// Names: what destroy's output says it swept.
        var loadBalancer: String
        var targetGroup: String
        var securityGroup: String
    }

    /// Launches what Karpenter and the VPC CNI would leave in the stack's network, and what the
    /// AWS Load Balancer Controller makes for an internet-facing Ingress (tagged as it tags them).
    static func controllerLeftovers(_ client: AWSClient, cluster: String, vpc: String) async throws -> Leftovers {
        let subnets = try await client.query(
            .ec2, action: "DescribeSubnets", parameters: [("Filter.1.Name", "vpc-id"), ("Filter.1.Value.1", vpc)])
        let subnet = try #require(subnets.first(named: "subnetId")?.text)
        let images = try await client.query(.ec2, action: "DescribeImages", parameters: [("Owner.1", "602401143452")])
        let image = try #require(images.first(named: "imageId")?.text)
        let template = try await client.query(
            .ec2, action: "CreateLaunchTemplate",
            parameters: [
                ("LaunchTemplateName", "karpenter.k8s.aws/\(cluster)-default"), ("LaunchTemplateData.ImageId", image),
                ("TagSpecification.1.ResourceType", "launch-template"),
                ("TagSpecification.1.Tag.1.Key", "karpenter.k8s.aws/cluster"), ("TagSpecification.1.Tag.1.Value", cluster),
            ])
        // A Karpenter node in a stack subnet, tagged as Karpenter tags its nodes, and an
        // interface the VPC CNI left available.
        let instance = try await ControllerLeftovers.instance(
            client, subnet: subnet, tags: ControllerLeftovers.karpenterTags(cluster: cluster))
        let interface = try await ControllerLeftovers.interface(
            client, subnet: subnet, description: "aws-K8S-\(instance)",
            tags: ControllerLeftovers.cniTags(cluster: cluster, instance: instance))
        let balancer = try await loadBalancerControllerLeftovers(client, cluster: cluster, vpc: vpc)
        return Leftovers(
            instance: instance, template: try #require(template.first(named: "launchTemplateId")?.text), interface: interface,
            loadBalancer: balancer.loadBalancer, targetGroup: balancer.targetGroup, securityGroup: balancer.securityGroup)
    }

    /// An Ingress `default/web` as the AWS Load Balancer Controller realises it: a managed
    /// security group, an internet-facing ALB in the subnets tagged `kubernetes.io/role/elb`,
    /// an HTTP listener forwarding to an IP target group; all tagged `elbv2.k8s.aws/cluster`.
    static func loadBalancerControllerLeftovers(_ client: AWSClient, cluster: String, vpc: String) async throws
        -> (loadBalancer: String, targetGroup: String, securityGroup: String)
    {
        let controllerTags = [
            ("elbv2.k8s.aws/cluster", cluster), ("ingress.k8s.aws/stack", "default/web"),
            ("ingress.k8s.aws/resource", "LoadBalancer"),
        ]
        func tags(_ prefix: String) -> [(name: String, value: String)] {
            controllerTags.enumerated().flatMap { index, tag in
                [(name: "\(prefix).\(index + 1).Key", value: tag.0), (name: "\(prefix).\(index + 1).Value", value: tag.1)]
            }
        }
        let publicSubnets = try await client.query(
            .ec2, action: "DescribeSubnets",
            parameters: [
                ("Filter.1.Name", "vpc-id"), ("Filter.1.Value.1", vpc),
                ("Filter.2.Name", "tag:kubernetes.io/role/elb"), ("Filter.2.Value.1", "1"),
            ])
        let subnets = (publicSubnets.first(named: "subnetSet")?.items ?? []).compactMap { $0.child("subnetId")?.text }
        #expect(subnets.count == 3, "public subnets of \(vpc): \(subnets)")
        let group = try await client.query(
            .ec2, action: "CreateSecurityGroup",
            parameters: [
                ("VpcId", vpc), ("GroupName", "k8s-default-web-3f6a1c2b9e"),
                ("GroupDescription", "[k8s] Managed SecurityGroup for LoadBalancer"),
                ("TagSpecification.1.ResourceType", "security-group"),
            ] + tags("TagSpecification.1.Tag"))
        let groupID = try #require(group.first(named: "groupId")?.text)
        let name = "k8s-default-web-3f6a1c2b9e"
        var create: [(name: String, value: String)] = [
            ("Name", name), ("Scheme", "internet-facing"), ("Type", "application"), ("SecurityGroups.member.1", groupID),
        ]
        for (index, subnet) in subnets.enumerated() { create.append(("Subnets.member.\(index + 1)", subnet)) }
        let balancer = try await client.query(.elbv2, action: "CreateLoadBalancer", parameters: create + tags("Tags.member"))
        let balancerARN = try #require(balancer.first(named: "LoadBalancerArn")?.text)
        let targetName = "k8s-default-web-80-5d2e7a1f"
        let target = try await client.query(
            .elbv2, action: "CreateTargetGroup",
            parameters: [("Name", targetName), ("Protocol", "HTTP"), ("Port", "80"), ("VpcId", vpc), ("TargetType", "ip")]
                + tags("Tags.member"))
        let targetARN = try #require(target.first(named: "TargetGroupArn")?.text)
        _ = try await client.query(
            .elbv2, action: "CreateListener",
            parameters: [
                ("LoadBalancerArn", balancerARN), ("Protocol", "HTTP"), ("Port", "80"),
                ("DefaultActions.member.1.Type", "forward"), ("DefaultActions.member.1.TargetGroupArn", targetARN),
            ])
        return (name, targetName, groupID)
    }
}
