import Foundation
import StrataTestSupport
import Testing

/// Planning asks a cluster's Kubernetes API only about the kinds the stack keeps there: none at
/// all for a stack without manifests (a private endpoint, or access not granted yet, cannot stop
/// its plans), one list per kind otherwise. A kind the stack no longer declares is still read
/// from the record apply leaves on the cluster, so removing a manifest deletes its object.
@Suite struct ManifestDiscoveryTests {
    static func stack(_ name: String, manifest: Bool) -> String {
        var text = """
            stack: \(name)
            region: us-east-1
            resources:
              vpc: { type: aws_vpc, cidr_block: 10.63.0.0/16 }
              a: { type: aws_subnet, vpc_id: "${vpc.id}", cidr_block: 10.63.1.0/24, availability_zone: us-east-1a }
              b: { type: aws_subnet, vpc_id: "${vpc.id}", cidr_block: 10.63.2.0/24, availability_zone: us-east-1b }
              role:
                type: aws_iam_role
                name: \(name)-cluster
                assume_role_policy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Principal: { Service: eks.amazonaws.com }, Action: "sts:AssumeRole" }] }
              cluster:
                type: aws_eks_cluster
                name: \(name)
                version: "1.31"
                role_arn: ${role.arn}
                vpc_config: { subnet_ids: ["${a.id}", "${b.id}"] }

            """
        if manifest {
            text += """
                  settings:
                    type: kubernetes_manifest
                    cluster: ${cluster.name}
                    manifest:
                      apiVersion: v1
                      kind: ConfigMap
                      metadata: { name: settings, namespace: kube-system }
                      data: { mode: strict }

                """
        }
        return text
    }

    @Test(.timeLimit(.minutes(10))) func planReadsOnlyTheKindsTheStackKeepsInTheCluster() async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(writing: { Self.stack($0, manifest: false) })
        defer { copy.remove() }
        let name = copy.stack
        let env = copy.environment(sandbox)
        func run(_ arguments: [String]) async throws -> StrataBinary.Result {
            try await StrataBinary.run(arguments + [copy.path], environment: env)
        }
        /// The Kubernetes API requests `body` made.
        func kubernetesRequests(during body: () async throws -> Void) async throws -> [String] {
            let before = try await sandbox.kubernetesRequests(cluster: name).count
            try await body()
            return try await sandbox.kubernetesRequests(cluster: name).dropFirst(before).map {
                "\($0.method) \($0.path)"
            }
        }

        let created = try await run(["apply", "--auto-approve"])
        #expect(created.status == 0, "\(created.stdout)\n\(created.stderr)")
        let none = try await kubernetesRequests {
            let plan = try await run(["plan", "--detailed-exitcode"])
            #expect(plan.status == 0, "\(plan.stdout)\n\(plan.stderr)")
        }
        #expect(none.isEmpty, "a plan without manifests asked the cluster: \(none)")

        try copy.write(Self.stack(name, manifest: true))
        let applied = try await run(["apply", "--auto-approve"])
        #expect(applied.status == 0 && applied.stdout.contains("1 created"), "\(applied.stdout)\n\(applied.stderr)")
        let lists = try await kubernetesRequests {
            let plan = try await run(["plan", "--detailed-exitcode"])
            #expect(plan.status == 0, "the record on the cluster shows as drift:\n\(plan.stdout)\n\(plan.stderr)")
        }
        #expect(lists.filter { $0.hasPrefix("GET /api/v1/configmaps") }.count == 1, "\(lists)")
        #expect(lists.allSatisfy { $0.hasPrefix("GET /api/v1") }, "listed more than ConfigMaps: \(lists)")

        // The stack no longer declares a ConfigMap: the record still has it read, and deleted.
        try copy.write(Self.stack(name, manifest: false))
        let removal = try await run(["plan", "--detailed-exitcode"])
        #expect(
            removal.status == 2 && removal.stdout.contains("kubernetes_manifest.settings will be destroyed"),
            "\(removal.stdout)\n\(removal.stderr)")
        let removed = try await run(["apply", "--auto-approve"])
        #expect(removed.status == 0 && removed.stdout.contains("1 deleted"), "\(removed.stdout)\n\(removed.stderr)")
        let settled = try await run(["plan", "--detailed-exitcode"])
        #expect(settled.status == 0, "\(settled.stdout)\n\(settled.stderr)")

        let destroy = try await run(["destroy", "--auto-approve"])
        #expect(destroy.status == 0, "\(destroy.stdout)\n\(destroy.stderr)")
        #expect(try await StackCensus.take(sandbox.client(), stack: name).isEmpty)
    }
}
