import StrataModel
import Testing

@testable import StrataPlanner

/// Hop planning without AWS: the stack's members with their live attributes, and the add-on
/// versions EKS publishes per minor (as the sandbox's catalogue has them).
@Suite struct RolloutPlannerTests {
    static let cluster = ResourceAddress(module: "cluster", type: "aws_eks_cluster", name: "cluster")
    static let file = "stacks/x/stack.yaml"

    static func span(_ line: Int) -> SourceSpan {
        SourceSpan(file: file, start: SourcePosition(line: line, column: 7), end: SourcePosition(line: line, column: 13))
    }

    static func clusterMember(live: String, wanted: String) -> RolloutPlanner.Member {
        RolloutPlanner.Member(
            address: cluster, type: "aws_eks_cluster", attributes: ["name": .string("c"), "version": .string(wanted)],
            spans: ["version": span(3)], live: ["name": .string("c"), "version": .string(live)])
    }

    static func pool(
        _ name: String, live: String, wanted: String, strategy: String = "blue-green", nodes: Int = 2, liveName: String? = nil
    ) -> RolloutPlanner.Member {
        RolloutPlanner.Member(
            address: ResourceAddress(module: "cluster", type: "aws_eks_node_group", name: "nodes", key: .name(name)),
            type: "aws_eks_node_group",
            attributes: [
                "cluster_name": .string("c"), "node_group_name": .string(name), "version": .string(wanted),
                "rollout": .map(["strategy": .string(strategy), "drain_timeout": .string("5m")]),
            ],
            spans: ["version": span(10)],
            live: [
                "cluster_name": .string("c"), "node_group_name": .string(liveName ?? name), "version": .string(live),
                "scaling_config": .map(["desired_size": .int(nodes)]), "subnet_ids": .list([.string("subnet-a")]),
            ])
    }

    static func addon(_ name: String, live: String, pin: String? = nil) -> RolloutPlanner.Member {
        RolloutPlanner.Member(
            address: ResourceAddress(module: "cluster", type: "aws_eks_addon", name: "addons", key: .name(name)), type: "aws_eks_addon",
            attributes: ["cluster_name": .string("c"), "addon_name": .string(name), "addon_version": pin.map(Value.string) ?? .null],
            spans: ["addon_version": span(20)], live: ["addon_name": .string(name), "addon_version": .string(live)])
    }

    /// vpc-cni v1.16 supports 1.28-1.31; coredns v1.11 from 1.29 on; kube-proxy one build per minor.
    static let facts = RolloutFacts(
        addons: [
            "1.30": [
                "vpc-cni": .init(compatible: ["v1.16.4-eksbuild.2", "v1.18.6-eksbuild.1"], defaultVersion: "v1.18.6-eksbuild.1"),
                "coredns": .init(compatible: ["v1.11.1-eksbuild.13", "v1.11.3-eksbuild.2"], defaultVersion: "v1.11.3-eksbuild.2"),
                "kube-proxy": .init(compatible: ["v1.30.0-eksbuild.3"], defaultVersion: "v1.30.0-eksbuild.3"),
            ],
            "1.31": [
                "vpc-cni": .init(compatible: ["v1.16.4-eksbuild.2", "v1.19.2-eksbuild.1"], defaultVersion: "v1.19.2-eksbuild.1"),
                "coredns": .init(compatible: ["v1.11.1-eksbuild.13", "v1.11.4-eksbuild.2"], defaultVersion: "v1.11.4-eksbuild.2"),
                "kube-proxy": .init(compatible: ["v1.31.2-eksbuild.3"], defaultVersion: "v1.31.2-eksbuild.3"),
            ],
            "1.32": [
                "vpc-cni": .init(compatible: ["v1.19.4-eksbuild.1"], defaultVersion: "v1.19.4-eksbuild.1"),
                "coredns": .init(compatible: ["v1.11.1-eksbuild.13", "v1.11.4-eksbuild.14"], defaultVersion: "v1.11.4-eksbuild.14"),
                "kube-proxy": .init(compatible: ["v1.32.0-eksbuild.2"], defaultVersion: "v1.32.0-eksbuild.2"),
            ],
        ], freeAddresses: ["subnet-a": 200])

    static let addons = [
        addon("coredns", live: "v1.11.1-eksbuild.13"), addon("vpc-cni", live: "v1.16.4-eksbuild.2"),
        addon("kube-proxy", live: "v1.29.0-eksbuild.1"),
    ]

    func plan(_ members: [RolloutPlanner.Member], facts: RolloutFacts = Self.facts) throws -> RolloutPlan {
        try #require(RolloutPlanner.rollouts(members, facts: facts).first)
    }

    @Test func oneMinorIsControlPlaneThenAddonsThenPools() throws {
        let rollout = try plan([Self.clusterMember(live: "1.30", wanted: "1.31"), Self.pool("system", live: "1.30", wanted: "1.31")])
        #expect(rollout.hops == ["1.31"])
        #expect(rollout.steps.map(\.kind) == [.controlPlane, .nodePoolBlueGreen])
        let pool = try #require(rollout.steps.last)
        #expect(pool.greenName == "system-1-31" && pool.name == "system" && pool.nodes == 2 && pool.drainTimeoutSeconds == 300)
        #expect(pool.estimateSeconds == 180 + 2 * 60 + 150)
        #expect(rollout.steps.first?.estimateSeconds == 1200)
        #expect(rollout.findings.isEmpty)
    }

    @Test func threeMinorsAreThreeHopsWithPoolsMovingAtEach() throws {
        let members =
            [
                Self.clusterMember(live: "1.29", wanted: "1.32"), Self.pool("system", live: "1.29", wanted: "1.32"),
                Self.pool("batch", live: "1.29", wanted: "1.31", strategy: "rolling"),
            ] + Self.addons
        let rollout = try plan(members)
        #expect(rollout.fromVersion == "1.29" && rollout.toVersion == "1.32")
        #expect(rollout.hops == ["1.30", "1.31", "1.32"])
        #expect(rollout.findings.isEmpty, "\(rollout.findings)")
        let lines = rollout.steps.map { "\($0.hop) \($0.kind.rawValue) \($0.name) \($0.fromVersion ?? "-") -> \($0.toVersion ?? "-")" }
        #expect(
            lines == [
                "1.30 control-plane c 1.29 -> 1.30",
                // kube-proxy, vpc-cni, coredns, each to EKS's default for the minor: one minor
                // at a time, so the last hop's updates skip none.
                "1.30 addon kube-proxy v1.29.0-eksbuild.1 -> v1.30.0-eksbuild.3",
                "1.30 addon vpc-cni v1.16.4-eksbuild.2 -> v1.18.6-eksbuild.1",
                "1.30 addon coredns v1.11.1-eksbuild.13 -> v1.11.3-eksbuild.2",
                "1.30 node-pool-in-place batch 1.29 -> 1.30",
                "1.30 node-pool-blue-green system 1.29 -> 1.30",
                "1.31 control-plane c 1.30 -> 1.31",
                "1.31 addon kube-proxy v1.30.0-eksbuild.3 -> v1.31.2-eksbuild.3",
                "1.31 addon vpc-cni v1.18.6-eksbuild.1 -> v1.19.2-eksbuild.1",
                "1.31 addon coredns v1.11.3-eksbuild.2 -> v1.11.4-eksbuild.2",
                "1.31 node-pool-in-place batch 1.30 -> 1.31",
                "1.31 node-pool-blue-green system-1-30 1.30 -> 1.31",
                "1.32 control-plane c 1.31 -> 1.32",
                // The last hop: every add-on to the stack's pin or EKS's default for 1.32.
                "1.32 addon kube-proxy v1.31.2-eksbuild.3 -> v1.32.0-eksbuild.2",
                "1.32 addon vpc-cni v1.19.2-eksbuild.1 -> v1.19.4-eksbuild.1",
                "1.32 addon coredns v1.11.4-eksbuild.2 -> v1.11.4-eksbuild.14",
                // batch asks 1.31: it trails the control plane by one and stays.
                "1.32 node-pool-blue-green system-1-31 1.31 -> 1.32",
            ], "\(lines.joined(separator: "\n"))")
        #expect(rollout.steps.compactMap(\.greenName) == ["system-1-30", "system-1-31", "system-1-32"])
        // batch's 2 nodes in one subnet: a surge of one, then a launch for its second batch.
        #expect(rollout.estimateSeconds == 3 * 1200 + 9 * 60 + 2 * (60 + 2 * 120 + 2 * 150) + 3 * (180 + 120 + 150))
    }

    @Test func aPoolPinnedBelowWhatTheNextHopNeedsIsBlockingAtItsVersion() throws {
        let rollout = try plan([Self.clusterMember(live: "1.29", wanted: "1.31"), Self.pool("system", live: "1.29", wanted: "1.29")])
        let finding = try #require(rollout.findings.first)
        #expect(rollout.isBlocked && rollout.steps.isEmpty)
        #expect(finding.code == "version-skew" && finding.span == Self.span(10))
        #expect(finding.message.contains("pinned at 1.29") && finding.message.contains("not at 1.30"), "\(finding.message)")
        #expect(finding.fix.contains("1.30 or 1.31"))
    }

    @Test func aPoolAboveItsClusterIsBlocking() throws {
        let rollout = try plan([Self.clusterMember(live: "1.30", wanted: "1.31"), Self.pool("system", live: "1.30", wanted: "1.32")])
        #expect(rollout.findings.map(\.code) == ["version-skew"])
        #expect(rollout.findings.first?.message.contains("never lead") == true)
    }

    @Test func anAddonPinEKSDoesNotPublishForTheTargetIsBlockingAtThePin() throws {
        let pinned = Self.addon("vpc-cni", live: "v1.16.4-eksbuild.2", pin: "v1.16.4-eksbuild.2")
        let rollout = try plan([Self.clusterMember(live: "1.31", wanted: "1.32"), pinned])
        let finding = try #require(rollout.findings.first)
        #expect(finding.code == "addon-version" && finding.severity == .blocking && finding.span == Self.span(20))
        #expect(finding.message.contains("pinned at v1.16.4-eksbuild.2") && finding.message.contains("1.32"))
    }

    @Test func everyRefusalNamesTheLineAtFault() throws {
        let leads = try plan([Self.clusterMember(live: "1.30", wanted: "1.31"), Self.pool("system", live: "1.30", wanted: "1.32")])
        #expect(leads.findings.map(\.span) == [Self.span(10)])
        // A blue/green pool alone cannot go anywhere but the control plane's version.
        let green = try plan([Self.clusterMember(live: "1.31", wanted: "1.31"), Self.pool("system", live: "1.29", wanted: "1.30")])
        #expect(green.findings.map(\.code) == ["green-version"] && green.findings.first?.span == Self.span(10))
        #expect(green.findings.first?.fix.contains("strategy: rolling") == true)
        // Rolling moves it in place to what it asks.
        let rolling = try plan([
            Self.clusterMember(live: "1.31", wanted: "1.31"), Self.pool("system", live: "1.29", wanted: "1.30", strategy: "rolling"),
        ])
        #expect(rolling.findings.isEmpty && rolling.steps.map(\.kind) == [.nodePoolInPlace])
        // An add-on EKS publishes nothing of for a hop.
        let unknown = Self.addon("mystery", live: "v1.0.0")
        let unpublished = try plan([Self.clusterMember(live: "1.30", wanted: "1.31"), unknown])
        #expect(unpublished.findings.map(\.code) == ["addon-version"] && unpublished.isBlocked)
        #expect(unpublished.findings.first?.message.contains("no version of add-on mystery for Kubernetes 1.31") == true)
    }

    @Test func aPoolBehindItsClusterCatchesUpFirst() throws {
        let rollout = try plan([Self.clusterMember(live: "1.30", wanted: "1.31"), Self.pool("system", live: "1.29", wanted: "1.31")])
        #expect(
            rollout.steps.map { "\($0.hop) \($0.kind.rawValue)" } == [
                "1.30 node-pool-blue-green", "1.31 control-plane", "1.31 node-pool-blue-green",
            ])
    }

    @Test func aPoolAloneMovesToItsCluster() throws {
        let rollout = try plan([Self.clusterMember(live: "1.31", wanted: "1.31"), Self.pool("system", live: "1.30", wanted: "1.31")])
        #expect(rollout.fromVersion == "1.31" && rollout.toVersion == "1.31")
        #expect(rollout.steps.map(\.kind) == [.nodePoolBlueGreen])
        // Nothing moves, nothing planned.
        #expect(RolloutPlanner.rollouts([Self.clusterMember(live: "1.31", wanted: "1.31")] + Self.addons, facts: Self.facts).isEmpty)
    }

    @Test func karpenterNodesDriftOnceAtTheLastHop() throws {
        let nodeClass = RolloutPlanner.Member(
            address: ResourceAddress(module: "karpenter", type: "kubernetes_manifest", name: "node_class"), type: "kubernetes_manifest",
            attributes: [
                "cluster": .string("c"),
                "manifest": .map(["kind": .string("EC2NodeClass"), "metadata": .map(["name": .string("default")])]),
            ],
            spans: [:], live: [:])
        let rollout = try plan([Self.clusterMember(live: "1.29", wanted: "1.32"), nodeClass])
        #expect(rollout.steps.filter { $0.kind == .karpenterDrift }.map(\.hop) == ["1.32"])
        // Four minors would leave them 4 behind, past the kubelet skew of 3: one drift on the way.
        let facts = RolloutFacts(addons: Self.facts.addons.merging(["1.33": [:]]) { $1 })
        let long = try plan([Self.clusterMember(live: "1.29", wanted: "1.33"), nodeClass], facts: facts)
        #expect(long.steps.filter { $0.kind == .karpenterDrift }.map(\.hop) == ["1.32", "1.33"])
    }

    @Test func aClusterAheadOfItsFilesIsNoChangeAndAWarningNamingTheLine() throws {
        let rollout = try plan([Self.clusterMember(live: "1.32", wanted: "1.31"), Self.pool("system", live: "1.32", wanted: "1.31")])
        #expect(rollout.steps.isEmpty && !rollout.isBlocked)
        #expect(rollout.findings.map(\.code) == ["version-behind-live", "version-behind-live"])
        #expect(rollout.findings.first?.span == Self.span(3))
        #expect(rollout.findings.first?.fix == "set the version to \"1.32\" at \(Self.span(3))")
        var desired: [String: Value] = ["version": .string("1.31")]
        var live: [String: Value] = ["version": .string("1.32")]
        RolloutPlanner.compare(&desired, with: &live, type: "aws_eks_cluster")
        #expect(desired["version"] == .string("1.32"))
    }

    @Test func greenNamesFitEKSAndAreRecognisedAsThePool() {
        #expect(GreenGroup.greenName(pool: "system", minor: "1.31") == "system-1-31")
        let long = String(repeating: "p", count: 70)
        #expect(GreenGroup.greenName(pool: long, minor: "1.31").count == 63)
        #expect(GreenGroup.isName("system-1-32", of: "system"))
        #expect(GreenGroup.isName("system", of: "system"))
        #expect(!GreenGroup.isName("system-2", of: "system"))
        #expect(!GreenGroup.isName("other-1-32", of: "system"))
        var desired: [String: Value] = ["node_group_name": .string("system")]
        var live: [String: Value] = [
            "node_group_name": .string("system-1-32"),
            "tags": .map(["team": .string("x"), GreenGroup.blueTag: .string("system"), GreenGroup.targetTag: .string("1.32")]),
        ]
        RolloutPlanner.compare(&desired, with: &live, type: "aws_eks_node_group")
        #expect(desired["node_group_name"] == .string("system-1-32"))
        #expect(live["tags"] == .map(["team": .string("x")]))
    }

    @Test func subnetsWithoutRoomForGreenAreBlocking() throws {
        let facts = RolloutFacts(addons: Self.facts.addons, freeAddresses: ["subnet-a": 1])
        let rollout = try plan(
            [Self.clusterMember(live: "1.30", wanted: "1.31"), Self.pool("system", live: "1.30", wanted: "1.31")], facts: facts)
        #expect(rollout.findings.map(\.code) == ["subnet-ips"])
        #expect(rollout.findings.first?.message.contains("1 free addresses") == true)
    }

    @Test func durationsReadAsTheLanguageWritesThem() {
        #expect(DurationText.seconds("15m") == 900)
        #expect(DurationText.seconds("1h30m") == 5400)
        #expect(DurationText.seconds("90s") == 90)
        #expect(DurationText.seconds("15") == nil)
        #expect(DurationText.seconds("m") == nil)
    }
}
