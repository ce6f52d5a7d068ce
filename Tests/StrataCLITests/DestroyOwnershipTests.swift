import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

/// `strata destroy` deletes only what is the stack's or what controllers made for its clusters,
/// says so before asking, and when something blocks it names what (issue 11, items 2 and 11).
@Suite struct DestroyOwnershipTests {
    static func network(_ name: String) -> String {
        """
        stack: \(name)
        region: us-east-1
        resources:
          vpc: { type: aws_vpc, cidr_block: 10.64.0.0/16 }
          a: { type: aws_subnet, vpc_id: "${vpc.id}", cidr_block: 10.64.1.0/24, availability_zone: us-east-1a }
          b: { type: aws_subnet, vpc_id: "${vpc.id}", cidr_block: 10.64.2.0/24, availability_zone: us-east-1b }

        """
    }

    /// A user's interface in a stack subnet is listed as foreign before anything is asked or
    /// deleted, `--fail-on-foreign` stops on it before deleting anything, and a plain destroy
    /// leaves it, sweeps the VPC CNI's interface of a former cluster, and fails on the subnet
    /// naming the interface that holds it. Once the user removes theirs, destroy finishes.
    @Test(.timeLimit(.minutes(5))) func foreignResourcesAreListedLeftAndNamedWhenTheyBlock() async throws {
        let sandbox = try await Sandbox.shared()
        let client = sandbox.client()
        let copy = try StackCopy(writing: Self.network)
        defer { copy.remove() }
        let env = copy.environment(sandbox, ["STRATA_DELETE_DEADLINE_SECONDS": "2"])
        func run(_ arguments: [String]) async throws -> StrataBinary.Result {
            try await StrataBinary.run(arguments + [copy.path], environment: env)
        }
        let applied = try await run(["apply", "--auto-approve"])
        try #require(applied.status == 0, "\(applied.stdout)\n\(applied.stderr)")
        let census = try await StackCensus.take(client, stack: copy.stack)
        let vpc = try #require(census.vpcIDs.first)
        let subnets = try await client.query(
            .ec2, action: "DescribeSubnets", parameters: [("Filter.1.Name", "vpc-id"), ("Filter.1.Value.1", vpc)])
        let ids = (subnets.first(named: "subnetSet")?.items ?? []).compactMap { $0.child("subnetId")?.text }.sorted()
        try #require(ids.count == 2)
        let former = "gone-" + UUID().uuidString.prefix(6).lowercased()
        let cni = try await ControllerLeftovers.interface(
            client, subnet: ids[0], description: "aws-K8S-i-0123456789abcdef0",
            tags: ControllerLeftovers.cniTags(cluster: former, instance: "i-0123456789abcdef0"))
        let mine = try await ControllerLeftovers.interface(
            client, subnet: ids[1], description: "my debugging interface", tags: [])

        // Listed before the question (no terminal here, so no answer: nothing happens).
        let asked = try await run(["destroy"])
        #expect(asked.status == 1)
        #expect(
            asked.stdout.contains(
                "network interface \(cni) in \(ids[0]) (\(vpc)) [cluster.k8s.amazonaws.com/name=\(former)"),
            "\(asked.stdout)")
        #expect(asked.stdout.contains("Not the stack's, left alone (1)"), "\(asked.stdout)")
        #expect(
            asked.stdout.contains("network interface \(mine) in \(ids[1]) (\(vpc)) [my debugging interface; untagged]"),
            "\(asked.stdout)")

        let stopped = try await run(["destroy", "--auto-approve", "--fail-on-foreign"])
        #expect(stopped.status == 1)
        #expect(
            stopped.stderr.contains("nothing was deleted") && stopped.stderr.contains("network interface \(mine)"),
            "\(stopped.stderr)")
        #expect(try await StackCensus.take(client, stack: copy.stack).vpcs == 1, "--fail-on-foreign deleted something")
        #expect(await ControllerLeftovers.exists(client, interface: cni))

        let blocked = try await run(["destroy", "--auto-approve"])
        #expect(blocked.status == 1, "\(blocked.stdout)")
        #expect(blocked.stdout.contains("swept network interface \(cni)"), "\(blocked.stdout)")
        #expect(
            blocked.stdout.contains("DependencyViolation")
                && blocked.stdout.contains(
                    "still in use by network interface \(mine) (my debugging interface; untagged)"),
            "\(blocked.stdout)")
        #expect(await ControllerLeftovers.exists(client, interface: mine), "destroy deleted the user's interface")

        _ = try await client.query(.ec2, action: "DeleteNetworkInterface", parameters: [("NetworkInterfaceId", mine)])
        let finished = try await run(["destroy", "--auto-approve"])
        #expect(finished.status == 0, "\(finished.stdout)\n\(finished.stderr)")
        #expect(try await StackCensus.take(client, stack: copy.stack).isEmpty)
    }

    /// A cluster whose Kubernetes API answers 401 (the caller's access entry removed) or 403 (its
    /// user may not list) does not block destroy: the AWS resources go (the cluster with its
    /// objects), exit 0, and the output names the manifests it could not read and why, before
    /// asking and again at the end.
    @Test(.timeLimit(.minutes(10)), arguments: [(401, "Unauthorized"), (403, "Forbidden")])
    func aClusterThatRefusesStrataDoesNotBlockDestroy(status: Int, reason: String) async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(writing: { ManifestDiscoveryTests.stack($0, manifest: true) })
        defer { copy.remove() }
        let env = copy.environment(sandbox)
        let applied = try await StrataBinary.run(["apply", "--auto-approve", copy.path], environment: env)
        try #require(applied.status == 0, "\(applied.stdout)\n\(applied.stderr)")
        try await sandbox.kubernetesAccess(cluster: copy.stack, refuse: status)

        let destroy = try await StrataBinary.run(["destroy", "--auto-approve", copy.path], environment: env)
        #expect(destroy.status == 0, "\(destroy.stdout)\n\(destroy.stderr)")
        let refusal = "cluster \(copy.stack): v1/ConfigMap could not be read (\(reason), HTTP \(status)"
        #expect(destroy.stdout.contains("warning: the stack's manifests could not be read"), "\(destroy.stdout)")
        #expect(destroy.stdout.contains("  - \(refusal)"), "\(destroy.stdout)")
        #expect(destroy.stdout.contains("not read: kubernetes_manifest.settings"), "\(destroy.stdout)")
        #expect(
            destroy.stdout.contains("warning: manifests not read, deleted with their cluster: \(refusal)"),
            "\(destroy.stdout)")
        #expect(try await StackCensus.take(sandbox.client(), stack: copy.stack).isEmpty)
    }
}
