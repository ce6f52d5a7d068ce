import AWSClient
import Foundation
import StrataCompiler
import StrataModel
import StrataTestSupport
import Testing

@testable import StrataPlanner
@testable import StrataProviders

/// What the EKS providers read back must diff as "no changes" against what created it, and an
/// out-of-band change must show as exactly that attribute's update.
@Suite("EKS diffs against the sandbox")
struct ClusterDiffTests {
    struct Setup {
        let client: AWSClient
        let stack: String
        let subnets: [String]

        var context: ProviderContext {
            ProviderContext(client: client, stack: stack, region: Sandbox.region, waits: WaitPolicy(interval: .milliseconds(50)))
        }

        static func make() async throws -> Setup {
            let client = try await Sandbox.shared().client()
            let vpc = try await client.query(.ec2, action: "CreateVpc", parameters: [(name: "CidrBlock", value: "10.2.0.0/16")])
            let vpcID = try #require(vpc.first(named: "vpcId")?.text)
            var subnets: [String] = []
            for (index, zone) in ["us-east-1a", "us-east-1c"].enumerated() {
                let subnet = try await client.query(
                    .ec2, action: "CreateSubnet",
                    parameters: [
                        (name: "VpcId", value: vpcID), (name: "CidrBlock", value: "10.2.\(index).0/24"),
                        (name: "AvailabilityZone", value: zone),
                    ])
                subnets.append(try #require(subnet.first(named: "subnetId")?.text))
            }
            return Setup(client: client, stack: "d-\(UUID().uuidString.prefix(8).lowercased())", subnets: subnets)
        }

        func desired(_ type: String, _ name: String, _ json: JSONValue) -> DesiredResource {
            let address = ResourceAddress(module: nil, type: type, name: name)
            var attributes: [String: Value] = [:]
            if case .map(let members) = Value(json: json) { attributes = members }
            var tags = attributes["tags"]?.stringMap ?? [:]
            tags[ProviderContext.stackTag] = stack
            tags[ProviderContext.addressTag] = address.canonical
            let taggable = ResourceCatalog.schema(for: type)?.taggable ?? false
            if taggable { attributes["tags_all"] = .map(tags.mapValues(Value.string)) }
            return DesiredResource(
                address: address, type: type, attributes: attributes, tags: taggable ? tags : [:], idempotencyToken: "\(stack)-\(name)")
        }

        func provider(_ type: String) throws -> any ResourceProvider {
            try #require(ProviderRegistry.provider(for: type))
        }

        /// Discovery (fresh cache, as a new plan) and the diff of the one match.
        func diff(_ desired: DesiredResource) async throws -> DiffResult {
            let provider = try provider(desired.type)
            let live = try await provider.discover(context)
            let match = try #require(
                live.first { $0.address == desired.address }
                    ?? provider.identity(of: desired.attributes).flatMap { id in live.first { $0.identity == id } },
                "\(desired.address) not discovered")
            return Differ.diff(desired: desired.attributes, live: match, schema: try #require(ResourceCatalog.schema(for: desired.type)))
        }
    }

    @Test("every EKS type reads back as no changes; out-of-band scaling and tags show as exactly those updates")
    func noChangesThenDrift() async throws {
        let s = try await Setup.make()
        let clusterName = "c-\(s.stack)"
        let name = JSONValue.string(clusterName)
        let cluster = s.desired(
            "aws_eks_cluster", "main",
            [
                "name": name, "role_arn": "arn:aws:iam::123456789012:role/eks-cluster", "version": "1.33",
                "vpc_config": .object(["subnet_ids": .array(s.subnets.map { .string($0) }), "endpoint_private_access": true]),
                "access_config": .object(["authentication_mode": "API"]),
                "enabled_cluster_log_types": .array(["api", "audit"]),
                "tags": .object(["team": "platform"]),
            ])
        let group = s.desired(
            "aws_eks_node_group", "workers",
            [
                "cluster_name": name, "node_group_name": "workers", "node_role_arn": "arn:aws:iam::123456789012:role/eks-node",
                "subnet_ids": .array(s.subnets.map { .string($0) }),
                "scaling_config": .object(["desired_size": 2, "min_size": 1, "max_size": 4]),
                "labels": .object(["role": "workers"]),
                "taint": .array([.object(["key": "dedicated", "value": "ci", "effect": "NO_SCHEDULE"])]),
            ])
        let addon = s.desired(
            "aws_eks_addon", "dns", ["cluster_name": name, "addon_name": "coredns", "resolve_conflicts_on_create": "OVERWRITE"])
        let principal = "arn:aws:iam::123456789012:role/admins"
        let entry = s.desired("aws_eks_access_entry", "admins", ["cluster_name": name, "principal_arn": .string(principal)])
        let policy = s.desired(
            "aws_eks_access_policy_association", "admins",
            [
                "cluster_name": name, "principal_arn": .string(principal),
                "policy_arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                "access_scope": .object(["type": "cluster"]),
            ])
        let pod = s.desired(
            "aws_eks_pod_identity_association", "lb",
            [
                "cluster_name": name, "namespace": "kube-system", "service_account": "aws-load-balancer-controller",
                "role_arn": "arn:aws:iam::123456789012:role/lb",
            ])
        let manifest = s.desired(
            "kubernetes_manifest", "nodeclass",
            [
                "cluster": name,
                "manifest": .object([
                    "apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": .object(["name": "default"]),
                    "spec": .object(["amiSelectorTerms": .array([.object(["alias": "al2023@latest"])]), "role": "karpenter-node"]),
                ]),
            ])
        let all = [cluster, group, addon, entry, policy, pod, manifest]
        var created: [LiveResource] = []
        for desired in all { created.append(try await s.provider(desired.type).create(desired, s.context)) }

        for desired in all {
            let result = try await s.diff(desired)
            #expect(result.action == .noop, "\(desired.address): \(result.changed) \(result.replaceBecause)")
        }

        // Out of band: someone scales the group and tags the cluster.
        let eks = EKS(s.client)
        let update = try await eks.updateNodegroupConfig(cluster: clusterName, name: "workers", ["scalingConfig": ["desiredSize": 3]])
        try await eks.waitForUpdate(
            update, cluster: clusterName, nodegroup: "workers", what: "scale", deadline: .seconds(30), waits: s.context.waits)
        let clusterARN = try #require(created[0].attributes.string("arn"))
        try await eks.tagResource(arn: clusterARN, tags: ["cost-center": "42"])

        let groupDiff = try await s.diff(group)
        #expect(groupDiff.action == .update)
        #expect(groupDiff.changed == ["scaling_config"])
        let clusterDiff = try await s.diff(cluster)
        #expect(clusterDiff.action == .update)
        #expect(clusterDiff.changed == ["tags", "tags_all"])

        // Applying the plan's changes brings both back to no changes.
        let liveGroup = try #require(try await s.provider(group.type).discover(s.context).first { $0.address == group.address })
        _ = try await s.provider(group.type).update(liveGroup, to: group, changed: Set(groupDiff.changed), s.context)
        let liveCluster = try #require(try await s.provider(cluster.type).discover(s.context).first { $0.address == cluster.address })
        _ = try await s.provider(cluster.type).update(liveCluster, to: cluster, changed: Set(clusterDiff.changed), s.context)
        #expect(try await s.diff(group).action == .noop)
        #expect(try await s.diff(cluster).action == .noop)

        // Someone else takes a field of the manifest (kubectl apply --force-conflicts): strata no
        // longer owns it as desired, which shows as a manifest update.
        let kube = try await KubernetesManifestProvider.kube(clusterName, s.context)
        try await kube.apply(
            [
                "apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": ["name": "default"],
                "spec": ["role": "someone-else"],
            ],
            fieldManager: "kubectl", force: true)
        #expect(try await s.diff(manifest).changed == ["manifest"])
        // Applying again with force_conflicts takes the field back: no changes.
        var forced = manifest
        forced.attributes["field_manager"] = .map(["force_conflicts": .bool(true)])
        let liveManifest = try #require(try await s.provider(manifest.type).discover(s.context).first { $0.address == manifest.address })
        _ = try await s.provider(manifest.type).update(liveManifest, to: forced, changed: ["manifest"], s.context)
        #expect(try await s.diff(manifest).action == .noop)

        for (desired, live) in zip(all, created).reversed() {
            try await s.provider(desired.type).delete(live, s.context)
        }
        #expect(try await eks.describeCluster(clusterName) == nil)
    }
}
