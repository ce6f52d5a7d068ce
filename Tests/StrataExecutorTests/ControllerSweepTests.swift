import AWSClient
import Foundation
import StrataModel
import StrataProviders
import StrataTestSupport
import Testing

@testable import StrataExecutor

/// The sweep's load balancer path against the sandbox, whose deleted load balancers keep holding
/// their subnets and security groups until their network interfaces are released (120 AWS
/// seconds, on the sandbox's clock, which these tests freeze to make the refusal last).
@Suite struct ControllerSweepTests {
    static let cluster = "sweep-" + UUID().uuidString.prefix(6).lowercased()

    struct Network {
        var vpc: String
        var subnets: [String]
        var group: String
    }

    /// A VPC with two subnets and a security group the Load Balancer Controller made for
    /// `cluster` (with no cluster, one made by hand, untagged).
    static func network(_ client: AWSClient, cluster: String?) async throws -> Network {
        let vpc = try #require(
            try await client.query(.ec2, action: "CreateVpc", parameters: [("CidrBlock", "10.77.0.0/16")]).first(
                named: "vpcId")?.text)
        var subnets: [String] = []
        for (index, zone) in ["us-east-1a", "us-east-1b"].enumerated() {
            let subnet = try await client.query(
                .ec2, action: "CreateSubnet",
                parameters: [("VpcId", vpc), ("CidrBlock", "10.77.\(index + 1).0/24"), ("AvailabilityZone", zone)])
            subnets.append(try #require(subnet.first(named: "subnetId")?.text))
        }
        var parameters: [(name: String, value: String)] = [
            ("VpcId", vpc), ("GroupName", "k8s-default-web-sg"),
            ("GroupDescription", "[k8s] Managed SecurityGroup for LoadBalancer"),
        ]
        if let cluster {
            parameters += [
                ("TagSpecification.1.ResourceType", "security-group"),
                ("TagSpecification.1.Tag.1.Key", "elbv2.k8s.aws/cluster"), ("TagSpecification.1.Tag.1.Value", cluster),
            ]
        }
        let group = try await client.query(.ec2, action: "CreateSecurityGroup", parameters: parameters)
        return Network(vpc: vpc, subnets: subnets, group: try #require(group.first(named: "groupId")?.text))
    }

    static func loadBalancer(
        _ client: AWSClient, name: String, network: Network, tags: [(String, String)], withGroup: Bool = true
    ) async throws -> String {
        var parameters: [(name: String, value: String)] = [("Name", name)]
        if withGroup { parameters.append(("SecurityGroups.member.1", network.group)) }
        for (index, subnet) in network.subnets.enumerated() {
            parameters.append(("Subnets.member.\(index + 1)", subnet))
        }
        for (index, tag) in tags.enumerated() {
            parameters += [("Tags.member.\(index + 1).Key", tag.0), ("Tags.member.\(index + 1).Value", tag.1)]
        }
        let answer = try await client.query(.elbv2, action: "CreateLoadBalancer", parameters: parameters)
        return try #require(answer.first(named: "LoadBalancerArn")?.text)
    }

    static func clock(_ sandbox: Sandbox, _ body: String) async throws {
        let request = HTTPRequest(
            method: "POST", url: sandbox.url.appendingPathComponent("_sandbox/clock"),
            headers: [(name: "Content-Type", value: "application/json")], body: Data(body.utf8), timeout: .seconds(10))
        let response = try await CurlTransport().send(request)
        #expect(response.status == 200, "clock \(body): \(String(decoding: response.body, as: UTF8.self))")
    }

    static func sweep(_ client: AWSClient, events: CollectingEventSink, deadline: Duration) -> ControllerSweep {
        ControllerSweep(
            client: client, events: EventEmitter(runID: "sweep-test", sink: events), deadline: deadline,
            waits: WaitPolicy(interval: .milliseconds(50)))
    }

    /// The controller's ALB is deleted and waited for; its security group is refused while the
    /// ALB's interfaces are being released, retried, and deleted once they are; then the subnets
    /// and the VPC can go.
    @Test(.timeLimit(.minutes(10))) func aSecurityGroupHeldByADeletedLoadBalancerIsRetriedUntilReleased() async throws {
        try await Sandbox.shared().exclusive { sandbox in
            let client = sandbox.client()
            let network = try await Self.network(client, cluster: Self.cluster)
            let arn = try await Self.loadBalancer(
                client, name: "k8s-default-web", network: network,
                tags: [("elbv2.k8s.aws/cluster", Self.cluster), ("ingress.k8s.aws/stack", "default/web")])
            try await Self.clock(sandbox, #"{"freeze": true}"#)
            let events = CollectingEventSink()
            let sweeping = Task {
                try await Self.sweep(client, events: events, deadline: .seconds(60))
                    .sweep(clusters: [Self.cluster], vpcIDs: [network.vpc], subnetIDs: network.subnets)
            }
            // Refused at least once while the clock stands still, then released.
            let waited = ContinuousClock.now
            while !events.events.contains(where: {
                $0.kind == .resourceRetrying && $0.payload["what"] == "security group \(network.group)"
            }) {
                #expect(ContinuousClock.now - waited < .seconds(30), "the sweep never retried the held security group")
                if ContinuousClock.now - waited >= .seconds(30) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let retry = try #require(events.events.first { $0.kind == .resourceRetrying })
            #expect(retry.payload["errorCode"] == "DependencyViolation")
            #expect(retry.payload["requestId"]?.isEmpty == false)
            try await Self.clock(sandbox, #"{"freeze": false, "advance_aws_seconds": 121}"#)
            try await sweeping.value

            let swept = events.events.filter { $0.kind == .sweepDeleted }.map {
                "\($0.payload["what"] ?? "") \($0.payload["id"] ?? "")"
            }
            #expect(swept == ["load balancer k8s-default-web", "security group \(network.group)"])
            let balancer = try #require(events.events.first { $0.payload["what"] == "load balancer" })
            #expect(
                balancer.payload["arn"] == arn && balancer.payload["for"] == "default/web"
                    && balancer.payload["cluster"] == Self.cluster)
            for subnet in network.subnets {
                _ = try await client.query(.ec2, action: "DeleteSubnet", parameters: [("SubnetId", subnet)])
            }
            _ = try await client.query(.ec2, action: "DeleteVpc", parameters: [("VpcId", network.vpc)])
        }
    }

    /// Kubernetes' in-tree cloud provider: a classic load balancer and its `k8s-elb-*` group,
    /// both tagged `kubernetes.io/cluster/<name>` = `owned`, are swept; a classic load balancer
    /// made by hand in the same VPC is not, and while it uses the group the sweep names it.
    @Test(.timeLimit(.minutes(10))) func classicLoadBalancersOfTheInTreeProviderAreSwept() async throws {
        let client = try await Sandbox.shared().client()
        let cluster = "classic-" + UUID().uuidString.prefix(6).lowercased()
        let network = try await Self.network(client, cluster: nil)
        let owned = try await client.query(
            .ec2, action: "CreateSecurityGroup",
            parameters: [
                ("VpcId", network.vpc), ("GroupName", "k8s-elb-a1b2c3"),
                ("GroupDescription", "Security group for Kubernetes ELB a1b2c3 (default/web)"),
                ("TagSpecification.1.ResourceType", "security-group"),
                ("TagSpecification.1.Tag.1.Key", "kubernetes.io/cluster/\(cluster)"),
                ("TagSpecification.1.Tag.1.Value", "owned"),
            ])
        let group = try #require(owned.first(named: "groupId")?.text)
        for (name, owner) in [
            ("a1b2c3\(cluster.suffix(6))", "kubernetes.io/cluster/\(cluster)"), ("d4e5f6\(cluster.suffix(6))", "team"),
        ] {
            _ = try await client.query(
                .elb, action: "CreateLoadBalancer",
                parameters: [
                    ("LoadBalancerName", name), ("Subnets.member.1", network.subnets[0]),
                    ("SecurityGroups.member.1", group),
                    ("Listeners.member.1.Protocol", "TCP"), ("Listeners.member.1.LoadBalancerPort", "80"),
                    ("Listeners.member.1.InstancePort", "30080"),
                    ("Tags.member.1.Key", owner), ("Tags.member.1.Value", "owned"),
                    ("Tags.member.2.Key", "kubernetes.io/service-name"), ("Tags.member.2.Value", "default/web"),
                ])
        }
        let events = CollectingEventSink()
        // The hand-made load balancer keeps the group: blocked, naming it.
        do {
            try await Self.sweep(client, events: events, deadline: .seconds(1))
                .sweep(clusters: [cluster], vpcIDs: [network.vpc], subnetIDs: [])
            Issue.record("the sweep deleted a security group a hand-made load balancer uses")
        } catch let blocked as SweepBlocked {
            #expect(blocked.blockers == ["classic load balancer d4e5f6\(cluster.suffix(6))"], "\(blocked)")
        }
        let swept = events.events.filter { $0.kind == .sweepDeleted }
        #expect(
            swept.map { "\($0.payload["what"] ?? "") \($0.payload["id"] ?? "")" } == [
                "classic load balancer a1b2c3\(cluster.suffix(6))"
            ])
        #expect(swept.first?.payload["for"] == "default/web" && swept.first?.payload["cluster"] == cluster)
        let left = try await client.query(.elb, action: "DescribeLoadBalancers")
        let names = (left.first(named: "LoadBalancerDescriptions")?.items ?? []).compactMap {
            $0.child("LoadBalancerName")?.text
        }
        #expect(
            names.contains("d4e5f6\(cluster.suffix(6))") && !names.contains("a1b2c3\(cluster.suffix(6))"), "\(names)")
        // Once that one goes too (and its interfaces are released), the group is swept.
        _ = try await client.query(
            .elb, action: "DeleteLoadBalancer", parameters: [("LoadBalancerName", "d4e5f6\(cluster.suffix(6))")])
        try await Self.sweep(client, events: events, deadline: .seconds(30))
            .sweep(clusters: [cluster], vpcIDs: [network.vpc], subnetIDs: [])
        #expect(events.events.contains { $0.kind == .sweepDeleted && $0.payload["id"] == group })
    }

    /// Many load balancers cost few calls: the listing pages (`Marker`), tags are read 20 load
    /// balancers per DescribeTags, and only the cluster's, in the stack's VPC, are deleted.
    @Test(.timeLimit(.minutes(10))) func listingPagesAndTagsAreReadInBatches() async throws {
        try await Sandbox.shared().exclusive { sandbox in
            try await sandbox.reset()
            let client = sandbox.client()
            let network = try await Self.network(client, cluster: nil)
            let elsewhere = try await Self.network(client, cluster: nil)
            let mine = [("elbv2.k8s.aws/cluster", Self.cluster)]
            for index in 0..<21 {
                _ = try await Self.loadBalancer(client, name: "mine-\(index)", network: network, tags: mine)
            }
            for index in 0..<2 {
                _ = try await Self.loadBalancer(
                    client, name: "hand-made-\(index)", network: network, tags: [("team", "web")])
            }
            _ = try await Self.loadBalancer(client, name: "other-vpc", network: elsewhere, tags: mine)
            try await sandbox.clearRequests()
            let events = CollectingEventSink()
            var sweep = Self.sweep(client, events: events, deadline: .seconds(30))
            sweep.pageSize = 5
            try await sweep.sweep(clusters: [Self.cluster], vpcIDs: [network.vpc], subnetIDs: [])

            let swept = Set(events.events.filter { $0.kind == .sweepDeleted }.compactMap { $0.payload["id"] })
            #expect(swept == Set((0..<21).map { "mine-\($0)" }))
            let calls = try await sandbox.requests().filter { $0.service == "elbv2" }
            func count(_ action: String) -> Int { calls.filter { $0.action == action }.count }
            // 24 load balancers, 5 a page: 5 pages to list them; the deletion wait then reads
            // the one page of the 3 left.
            #expect(count("DescribeLoadBalancers") == 6, "\(calls.map { $0.action ?? "" })")
            #expect(count("DescribeTags") == 2, "23 in the VPC take two DescribeTags, not \(count("DescribeTags"))")
            #expect(count("DeleteLoadBalancer") == 21)
            let left = try await client.query(
                .elbv2, action: "DescribeLoadBalancers", parameters: [("PageSize", "400")])
            let names = (left.first(named: "LoadBalancers")?.items ?? []).compactMap {
                $0.child("LoadBalancerName")?.text
            }
            #expect(Set(names) == ["hand-made-0", "hand-made-1", "other-vpc"])
        }
    }

    /// A destroy run again after an earlier one deleted the cluster but not its controllers'
    /// leftovers: the stack names no cluster any more, yet what a cluster EKS no longer has made
    /// is swept; what a live cluster (not the stack's) made is left alone.
    @Test(.timeLimit(.minutes(10))) func leftoversOfAClusterThatIsGoneAreSweptThoseOfALiveOneAreNot() async throws {
        let client = try await Sandbox.shared().client()
        let suffix = UUID().uuidString.prefix(6).lowercased()
        let gone = "gone-\(suffix)"
        let live = "live-\(suffix)"
        let network = try await Self.network(client, cluster: gone)
        _ = try await Self.loadBalancer(
            client, name: "orphan-\(suffix)", network: network, tags: [("elbv2.k8s.aws/cluster", gone)])
        let kept = try await Self.loadBalancer(
            client, name: "kept-\(suffix)", network: network, tags: [("elbv2.k8s.aws/cluster", live)], withGroup: false)
        let cluster: JSONValue = [
            "name": .string(live), "roleArn": "arn:aws:iam::123456789012:role/eks",
            "resourcesVpcConfig": ["subnetIds": .array(network.subnets.map { .string($0) })],
        ]
        _ = try await client.rest(.eks, action: "CreateCluster", method: "POST", path: "/clusters", body: cluster)
        let events = CollectingEventSink()
        try await Self.sweep(client, events: events, deadline: .seconds(30))
            .sweep(clusters: [], vpcIDs: [network.vpc], subnetIDs: [])
        let swept = events.events.filter { $0.kind == .sweepDeleted }
        #expect(
            swept.map { "\($0.payload["what"] ?? "") \($0.payload["id"] ?? "")" } == [
                "load balancer orphan-\(suffix)", "security group \(network.group)",
            ])
        #expect(swept.allSatisfy { $0.payload["cluster"] == gone })
        let still = try await client.query(
            .elbv2, action: "DescribeLoadBalancers", parameters: [("LoadBalancerArns.member.1", kept)])
        #expect(still.first(named: "LoadBalancerArn")?.text == kept)
        _ = try await client.query(.elbv2, action: "DeleteLoadBalancer", parameters: [("LoadBalancerArn", kept)])
        // A creating cluster cannot be deleted: wait (sandbox time) until it is active.
        _ = try await Waiter(policy: WaitPolicy(interval: .milliseconds(100))).wait(
            for: "cluster \(live) ACTIVE", deadline: .seconds(30)
        ) {
            () -> Bool? in
            let state = try await client.rest(.eks, action: "DescribeCluster", method: "GET", path: "/clusters/\(live)")
            return state["cluster"]?["status"]?.stringValue == "ACTIVE" ? true : nil
        }
        _ = try await client.rest(.eks, action: "DeleteCluster", method: "DELETE", path: "/clusters/\(live)")
    }

    /// A load balancer that is not the cluster's (no controller tag) keeps using the controller's
    /// security group: the sweep leaves it alone, gives up on the group at its deadline and says
    /// what holds it, with AWS's code and request id.
    @Test(.timeLimit(.minutes(10))) func aPersistentRefusalIsReportedNamingTheBlocker() async throws {
        let client = try await Sandbox.shared().client()
        let cluster = "blocked-" + UUID().uuidString.prefix(6).lowercased()
        let network = try await Self.network(client, cluster: cluster)
        let arn = try await Self.loadBalancer(
            client, name: "hand-made-\(cluster)", network: network, tags: [("team", "web")])
        let events = CollectingEventSink()
        do {
            try await Self.sweep(client, events: events, deadline: .seconds(2))
                .sweep(clusters: [cluster], vpcIDs: [network.vpc], subnetIDs: [])
            Issue.record("the sweep deleted a security group a load balancer still uses")
        } catch let blocked as SweepBlocked {
            #expect(blocked.what == "security group \(network.group)")
            #expect(blocked.error.code == "DependencyViolation" && blocked.error.requestID != nil)
            #expect(blocked.blockers == ["load balancer hand-made-\(cluster)"], "\(blocked.blockers)")
            #expect(blocked.description.contains("still in use by load balancer hand-made-\(cluster)"), "\(blocked)")
        }
        #expect(events.events.filter { $0.kind == .sweepDeleted }.isEmpty)
        // Not the cluster's: still there.
        let still = try await client.query(
            .elbv2, action: "DescribeLoadBalancers", parameters: [("LoadBalancerArns.member.1", arn)])
        #expect(still.first(named: "LoadBalancerArn")?.text == arn)
        _ = try await client.query(.elbv2, action: "DeleteLoadBalancer", parameters: [("LoadBalancerArn", arn)])
    }
}
