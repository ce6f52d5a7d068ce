import Foundation
import StrataCompiler
import StrataModel
import StrataProviders
import Testing

@testable import StrataPlanner

/// `Compiler(catalog: ResourceCatalog.all).compile(stackAt:vars:live:)`: references to computed attributes of resources that
/// exist evaluate to their live values.
@Suite struct LiveValuesTests {
    static let stack = """
        stack: live
        region: us-east-1
        resources:
          vpc:
            type: aws_vpc
            cidr_block: 10.0.0.0/16
          subnet:
            type: aws_subnet
            vpc_id: ${vpc.id}
            cidr_block: 10.0.1.0/24
          role:
            type: aws_iam_role
            name: cluster
            assume_role_policy:
              Version: "2012-10-17"
              Statement: [{ Effect: Allow, Principal: { Service: eks.amazonaws.com }, Action: sts:AssumeRole }]
          cluster:
            type: aws_eks_cluster
            name: c
            role_arn: ${role.arn}
            vpc_config:
              subnet_ids: ["${subnet.id}"]
        outputs:
          endpoint: ${cluster.endpoint}
          cluster_sg: ${cluster.vpc_config.cluster_security_group_id}
          issuer: ${cluster.identity.oidc.issuer}
          ca: ${cluster.certificate_authority.data}
          vpc_cidr: ${vpc.cidr_block}
        """

    func compile(live: [ResourceAddress: [String: Value]]) throws -> CompiledGraph {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strata-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("stack.yaml")
        try Self.stack.write(to: file, atomically: true, encoding: .utf8)
        let result = Compiler(catalog: ResourceCatalog.all).compile(stackAt: file, live: live)
        return try #require(result.graph, "\(result.diagnostics.map(\.summary))")
    }

    let vpc = ResourceAddress(module: nil, type: "aws_vpc", name: "vpc")
    let subnet = ResourceAddress(module: nil, type: "aws_subnet", name: "subnet")
    let role = ResourceAddress(module: nil, type: "aws_iam_role", name: "role")
    let cluster = ResourceAddress(module: nil, type: "aws_eks_cluster", name: "cluster")

    @Test func withoutLiveValuesComputedAttributesAreUnknown() throws {
        let graph = try compile(live: [:])
        #expect(graph.resources[subnet]?.attributes["vpc_id"] == .unknown(.string))
        #expect(graph.outputs["endpoint"] == .unknown(.string))
        #expect(graph.outputs["cluster_sg"] == .unknown(.string))
    }

    @Test func aComputedBlockAWSHasNotFilledYetReadsAsUnknown() throws {
        // A cluster still CREATING reports `certificateAuthority: {}`: its `data` is not known
        // yet, which must compile (the re-apply after a crash hits exactly this), not fail.
        let graph = try compile(live: [cluster: ["endpoint": .string("https://k8s"), "certificate_authority": .map([:])]])
        #expect(graph.outputs["ca"] == .unknown(.string))
        #expect(graph.outputs["endpoint"] == .string("https://k8s"))
    }

    @Test func liveValuesResolveReferences() throws {
        let graph = try compile(live: [
            vpc: ["id": .string("vpc-1"), "cidr_block": .string("10.9.9.0/16")],
            role: ["arn": .string("arn:aws:iam::1:role/cluster")],
            cluster: [
                "endpoint": .string("https://k8s"),
                "vpc_config": .map(["cluster_security_group_id": .string("sg-9"), "subnet_ids": .list([])]),
                "identity": .map(["oidc": .map(["issuer": .string("https://oidc/x")])]),
            ],
        ])
        #expect(graph.resources[subnet]?.attributes["vpc_id"] == .string("vpc-1"))
        #expect(graph.resources[cluster]?.attributes["role_arn"] == .string("arn:aws:iam::1:role/cluster"))
        #expect(graph.outputs["endpoint"] == .string("https://k8s"))
        // A computed field of a block the stack sets, and a computed block of its own.
        #expect(graph.outputs["cluster_sg"] == .string("sg-9"))
        #expect(graph.outputs["issuer"] == .string("https://oidc/x"))
        // What the stack sets is never taken from live: the plan must see the difference.
        #expect(graph.outputs["vpc_cidr"] == .string("10.0.0.0/16"))
        // The subnet itself does not exist yet: its own id stays unknown, its set values stay.
        let subnetInstance = try #require(graph.resources[subnet])
        #expect(subnetInstance.attributes["id"] == nil)
        // Set attributes of instances are never replaced by live ones.
        let clusterSubnets = graph.resources[cluster]?.attributes["vpc_config"]
        #expect(clusterSubnets == .map(["subnet_ids": .list([.unknown(.string)])]))
    }
}
