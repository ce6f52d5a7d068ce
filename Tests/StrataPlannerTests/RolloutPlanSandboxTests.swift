import AWSClient
import Foundation
import StrataModel
import StrataProviders
import StrataTestSupport
import Testing

@testable import StrataPlanner

/// Rollouts planned against live EKS (the sandbox at a thousandth of AWS's durations): hops with
/// the add-on versions EKS publishes, refusals pointing at the stack line, a rollout under way
/// (two groups claiming one address), and a cluster upgraded ahead of its files.
@Suite(.serialized) struct RolloutPlanSandboxTests {
    static let stack = """
        stack: $NAME
        region: us-east-1
        modules:
          network:
            source: $MODULES/vpc
            with: { cidr: 10.70.0.0/16, zones: 2, nat: none }
          cluster:
            source: $MODULES/eks
            with:
              name: $NAME
              version: "1.29"
              vpc_id: ${network.vpc_id}
              subnets: ${network.private_subnet_ids}
              addons: { kube-proxy: "", vpc-cni: "", coredns: "" }
              node_pools:
                system: { instance_types: [m6i.large], min: 2, max: 3 }
        """

    static func line(of text: String, in file: URL) throws -> Int {
        let lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n")
        return try #require(lines.firstIndex { $0.contains(text) }) + 1
    }

    static func version(_ from: String, _ to: String) -> (String) -> String {
        { $0.replacingOccurrences(of: #"version: "\#(from)""#, with: #"version: "\#(to)""#) }
    }

    @Test(.timeLimit(.minutes(10))) func threeMinorsArePlannedAsHopsWithWhatEKSPublishes() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.002) { sandbox in
            let harness = PlannerHarness(sandbox: sandbox, client: sandbox.client(), stack: try ScratchStack(text: Self.stack))
            defer { harness.stack.remove() }
            try await harness.carryOut(try await harness.plan())

            try harness.stack.edit(Self.version("1.29", "1.32"))
            try await sandbox.clearRequests()
            let plan = try await harness.plan()
            let rollout = try #require(plan.rollouts.first)
            #expect(rollout.hops == ["1.30", "1.31", "1.32"])
            #expect(rollout.findings.isEmpty, "\(rollout.findings)")
            #expect(rollout.steps.filter { $0.kind == .controlPlane }.map(\.toVersion) == ["1.30", "1.31", "1.32"])
            #expect(rollout.steps.compactMap(\.greenName) == ["system-1-30", "system-1-31", "system-1-32"])
            #expect(rollout.steps.filter { $0.kind == .nodePoolBlueGreen }.allSatisfy { $0.nodes == 2 && $0.drainTimeoutSeconds == 900 })
            // At the last hop every add-on goes to EKS's default for 1.32, in the safe order.
            let last = rollout.steps.filter { $0.kind == .addon && $0.hop == "1.32" }
            #expect(last.map(\.name) == ["kube-proxy", "vpc-cni", "coredns"])
            #expect(last.first { $0.name == "vpc-cni" }?.toVersion == "v1.19.4-eksbuild.1")
            #expect(last.first { $0.name == "coredns" }?.toVersion == "v1.11.4-eksbuild.14")
            // Add-ons go one minor at a time: vpc-cni follows EKS's default through every hop,
            // though its 1.29 build would still serve 1.30 and 1.31.
            #expect(rollout.steps.filter { $0.kind == .addon && $0.name == "vpc-cni" }.map(\.hop) == ["1.30", "1.31", "1.32"])
            // One DescribeAddonVersions per hop, for every add-on at once.
            let calls = try await sandbox.requests()
            #expect(calls.filter { $0.action == "DescribeAddonVersions" }.count == 3)
            let text = PlanRenderer(colour: false).render(plan)
            #expect(text.contains("Rollout of cluster \(harness.stack.name) 1.29 -> 1.32"), "\(text)")

            // A pool pinned where EKS cannot take the cluster: blocking, at the stack's line.
            try harness.stack.edit { $0.replacingOccurrences(of: "min: 2, max: 3 }", with: #"min: 2, max: 3, version: "1.30" }"#) }
            let pinned = try #require(try await harness.plan().rollouts.first)
            let skew = try #require(pinned.findings.first)
            #expect(pinned.isBlocked && skew.code == "version-skew" && pinned.steps.isEmpty)
            #expect(skew.span?.file == harness.stack.file.path)
            #expect(skew.span?.start.line == (try Self.line(of: "max: 3, version:", in: harness.stack.file)))

            // An add-on pinned to a build EKS does not publish for 1.32.
            try harness.stack.edit {
                $0.replacingOccurrences(of: #"max: 3, version: "1.30" }"#, with: "max: 3 }")
                    .replacingOccurrences(of: #"vpc-cni: """#, with: #"vpc-cni: "v1.16.4-eksbuild.2""#)
            }
            let addon = try #require(try await harness.plan().rollouts.first)
            let missing = try #require(addon.findings.first)
            #expect(missing.code == "addon-version" && missing.message.contains("v1.16.4-eksbuild.2"), "\(addon.findings)")
            #expect(missing.span?.start.line == (try Self.line(of: "addons:", in: harness.stack.file)))
        }
    }

    @Test(.timeLimit(.minutes(10))) func aRolloutUnderWayIsCarriedOnAndAFinishedOneIsNoChange() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.002) { sandbox in
            let harness = PlannerHarness(
                sandbox: sandbox, client: sandbox.client(), stack: try ScratchStack(text: Self.version("1.29", "1.30")(Self.stack)))
            defer { harness.stack.remove() }
            try await harness.carryOut(try await harness.plan())
            let name = harness.stack.name
            let eks = harness.client
            // The control plane moves on its own (as a rollout's first step does): the pool trails.
            _ = try await eks.rest(
                .eks, action: "UpdateClusterVersion", method: "POST", path: "/clusters/\(name)/updates", body: ["version": "1.31"])
            try await Self.waitUntil("cluster \(name) at 1.31") {
                let cluster = try await eks.rest(.eks, action: "DescribeCluster", method: "GET", path: "/clusters/\(name)")
                return cluster["cluster"]?["version"]?.stringValue == "1.31" && cluster["cluster"]?["status"]?.stringValue == "ACTIVE"
            }
            try harness.stack.edit(Self.version("1.30", "1.31"))
            let pool = try #require(ResourceAddress(parsing: #"module.cluster.aws_eks_node_group.nodes["system"]"#))
            // The add-ons the control plane's move left on 1.30's versions go first (engine part's change).
            let before = try #require(try await harness.plan().rollouts.first?.steps.first { $0.kind != .addon })
            #expect(before.kind == .nodePoolBlueGreen && before.greenName == "system-1-31" && !before.resuming)

            // A killed rollout left green behind, with the record tags.
            let blue = try #require(
                try await eks.rest(.eks, action: "DescribeNodegroup", method: "GET", path: "/clusters/\(name)/node-groups/system")[
                    "nodegroup"])
            guard case .object(var tags)? = blue["tags"] else {
                Issue.record("blue has no tags")
                return
            }
            tags[GreenGroup.blueTag] = "system"
            tags[GreenGroup.targetTag] = "1.31"
            _ = try await eks.rest(
                .eks, action: "CreateNodegroup", method: "POST", path: "/clusters/\(name)/node-groups",
                body: [
                    "nodegroupName": "system-1-31", "nodeRole": blue["nodeRole"] ?? .null, "subnets": blue["subnets"] ?? .null,
                    "scalingConfig": blue["scalingConfig"] ?? .null, "instanceTypes": blue["instanceTypes"] ?? .null, "tags": .object(tags),
                    // The same labels, template and update settings, as the engine makes green.
                    "labels": blue["labels"] ?? .null, "updateConfig": blue["updateConfig"] ?? .null,
                    "launchTemplate": [
                        "id": blue["launchTemplate"]?["id"] ?? .null, "version": blue["launchTemplate"]?["version"] ?? .null,
                    ],
                ])
            try await Self.waitUntil("green ACTIVE") { try await Self.status(eks, name, "system-1-31") == "ACTIVE" }
            let resuming = try await harness.plan()
            #expect(resuming.changes.filter { $0.action == .delete }.isEmpty, "\(resuming.changes.filter { $0.action == .delete })")
            #expect(resuming.change(for: pool)?.live?.attributes["node_group_name"] == .string("system"))
            let step = try #require(resuming.rollouts.first?.steps.first { $0.kind != .addon })
            #expect(step.resuming && step.greenName == "system-1-31" && step.name == "system")
            #expect(resuming.change(for: pool)?.changedAttributes.contains("tags") == false)

            // Blue is being deleted: green is the pool, and blue is not deleted twice.
            try await sandbox.freezeClock(afterAnswering: "DeleteNodegroup", of: "eks")
            _ = try await eks.rest(.eks, action: "DeleteNodegroup", method: "DELETE", path: "/clusters/\(name)/node-groups/system")
            let deleting = try await harness.plan()
            #expect(try await Self.status(eks, name, "system") == "DELETING")
            #expect(deleting.change(for: pool)?.live?.attributes["node_group_name"] == .string("system-1-31"))
            #expect(deleting.changes.filter { $0.action == .delete }.isEmpty)
            try await sandbox.freezeClock(false)
            try await Self.waitUntil("blue gone") { try await Self.status(eks, name, "system") == nil }

            // Finished: the record tags removed, as the engine does. Green is the declared pool.
            let arn = try #require(
                try await eks.rest(.eks, action: "DescribeNodegroup", method: "GET", path: "/clusters/\(name)/node-groups/system-1-31")[
                    "nodegroup"]?["nodegroupArn"]?.stringValue)
            _ = try await eks.rest(
                .eks, action: "UntagResource", method: "DELETE", path: "/tags/\(arn)",
                query: [("tagKeys", GreenGroup.blueTag), ("tagKeys", GreenGroup.targetTag)])
            let finished = try await harness.plan()
            #expect(finished.rollouts.isEmpty)
            #expect(finished.actionable.filter { $0.type == "aws_eks_node_group" }.isEmpty, "\(finished.actionable.map(\.address))")

            // The files name an older version than the cluster runs (`strata upgrade` moved it):
            // no downgrade, no replacement, a warning naming the line to update.
            try harness.stack.edit(Self.version("1.31", "1.30"))
            let behind = try await harness.plan()
            #expect(behind.actionable.allSatisfy { !$0.changedAttributes.contains("version") && $0.action != .replace })
            let warning = try #require(behind.rollouts.first?.findings.first)
            #expect(warning.code == "version-behind-live" && warning.severity == .warning)
            #expect(warning.span?.file == harness.stack.file.path)
            #expect(warning.span?.start.line == (try Self.line(of: #"version: "1.30""#, in: harness.stack.file)))
            #expect(PlanRenderer(colour: false).render(behind).contains("set the version to \"1.31\""))
        }
    }

    /// Two /28 subnets (11 addresses each) and a pool of 12 nodes: blue leaves 10 free, and green
    /// needs 12 more while blue still runs.
    @Test(.timeLimit(.minutes(10))) func subnetsWithoutRoomForGreenBlockTheRollout() async throws {
        let stack = """
            stack: $NAME
            region: us-east-1
            resources:
              vpc:
                type: aws_vpc
                cidr_block: 10.80.0.0/24
              small:
                type: aws_subnet
                for_each: [us-east-1a, us-east-1b]
                vpc_id: ${vpc.id}
                availability_zone: ${each.value}
                cidr_block: '${cidrsubnet(vpc.cidr_block, 4, each.index)}'
            modules:
              cluster:
                source: $MODULES/eks
                with:
                  name: $NAME
                  version: "1.30"
                  vpc_id: ${vpc.id}
                  subnets: ${small[*].id}
                  addons: {}
                  node_pools:
                    system: { instance_types: [m6i.large], min: 12, max: 12 }
            """
        try await Sandbox.shared().exclusive(timeScale: 0.002) { sandbox in
            let harness = PlannerHarness(sandbox: sandbox, client: sandbox.client(), stack: try ScratchStack(text: stack))
            defer { harness.stack.remove() }
            try await harness.carryOut(try await harness.plan())
            try harness.stack.edit(Self.version("1.30", "1.31"))
            let rollout = try #require(try await harness.plan().rollouts.first)
            let finding = try #require(rollout.findings.first)
            #expect(rollout.isBlocked && finding.code == "subnet-ips", "\(rollout.findings)")
            #expect(finding.message.contains("have 10 free addresses") && finding.message.contains("at least 12"), "\(finding.message)")
        }
    }

    static func status(_ client: AWSClient, _ cluster: String, _ group: String) async throws -> String? {
        do {
            return try await client.rest(
                .eks, action: "DescribeNodegroup", method: "GET", path: "/clusters/\(cluster)/node-groups/\(group)")[
                    "nodegroup"]?["status"]?.stringValue
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    static func waitUntil(_ what: String, _ condition: @Sendable () async throws -> Bool) async throws {
        _ = try await Waiter(policy: WaitPolicy(interval: .milliseconds(50))).wait(for: what, deadline: .seconds(60)) {
            try await condition() ? true : nil
        }
    }
}
