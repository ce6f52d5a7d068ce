import AWSClient
import AWSSigner
import Foundation
import StrataModel
import StrataTestSupport
import Testing

@testable import StrataProviders

/// What one plan's discovery of every EC2 network type costs: one tag-filtered describe per
/// description, shared by the types that come back in it (route tables serve routes and
/// associations; security groups and the stack's rule read serve the three rule types). Counted
/// from the sandbox's request log by an access key of this test's own, so tests running
/// alongside do not disturb the count.
@Suite struct NetworkDiscoveryCostTests {
    /// The types EC2 serves: what one plan's network discovery reads.
    static let ec2Types: Set<String> = [
        "aws_vpc", "aws_subnet", "aws_internet_gateway", "aws_eip", "aws_nat_gateway", "aws_route_table", "aws_route",
        "aws_route_table_association", "aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_egress_rule", "aws_launch_template",
    ]

    @Test func discoveryIsOneReadPerDescription() async throws {
        let sandbox = try await Sandbox.shared()
        let stack = "d-\(UUID().uuidString.prefix(8).lowercased())"
        let own = try await sandbox.keyOfItsOwn(user: stack)
        let (client, keyID) = (own.client, own.accessKeyID)
        let h = NetworkHarness(sandbox: sandbox, client: client, stack: stack)

        // A VPC with two subnets in one routed table, and two groups with rules between them.
        let vpc = try await h.create(h.desired("aws_vpc", "v", ["cidr_block": .string("10.110.0.0/16")]))
        let igw = try await h.create(h.desired("aws_internet_gateway", "igw", ["vpc_id": .string(vpc.id)]))
        var created: [LiveResource] = []
        let table = try await h.create(h.desired("aws_route_table", "t", ["vpc_id": .string(vpc.id)]))
        for index in 0..<2 {
            let subnet = try await h.create(
                h.desired(
                    "aws_subnet", "s\(index)",
                    [
                        "vpc_id": .string(vpc.id), "cidr_block": .string("10.110.\(index).0/24"),
                        "availability_zone": .string("us-east-1a"),
                    ]))
            let association = try await h.create(
                h.desired(
                    "aws_route_table_association", "a\(index)",
                    [
                        "route_table_id": .string(table.id), "subnet_id": .string(subnet.id),
                    ]))
            created += [association, subnet]
        }
        let route = try await h.create(
            h.desired(
                "aws_route", "r",
                [
                    "route_table_id": .string(table.id), "destination_cidr_block": .string("0.0.0.0/0"), "gateway_id": .string(igw.id),
                ]))
        let a = try await h.create(h.desired("aws_security_group", "a", ["vpc_id": .string(vpc.id)]))
        let b = try await h.create(h.desired("aws_security_group", "b", ["vpc_id": .string(vpc.id)]))
        let rule = try await h.create(
            h.desired(
                "aws_vpc_security_group_ingress_rule", "a_from_b",
                [
                    "security_group_id": .string(a.id), "referenced_security_group_id": .string(b.id), "ip_protocol": .string("tcp"),
                    "from_port": .int(443), "to_port": .int(443),
                ]))

        // One plan's discovery: every network type at once, sharing one cache.
        let start = try await lastSequence(sandbox)
        let shared = h.context
        let network = ProviderRegistry.all.values.filter { Self.ec2Types.contains($0.type) }
        let types = network.map(\.type)
        let found = try await withThrowingTaskGroup(of: (String, Int).self) { group in
            for provider in network {
                group.addTask { (provider.type, try await provider.discover(shared).count) }
            }
            var counts: [String: Int] = [:]
            for try await (type, count) in group { counts[type] = count }
            return counts
        }
        #expect(found.count == types.count)
        #expect(found["aws_subnet"] == 2)
        #expect(found["aws_route_table_association"] == 2)
        #expect(found["aws_route"] == 1)
        #expect(found["aws_security_group"] == 2)
        #expect(found["aws_vpc_security_group_ingress_rule"] == 1)

        let calls = try await actions(sandbox, after: start, accessKey: keyID)
        // The stack's route tables once, plus the VPC's main-table lookup.
        #expect(calls["DescribeRouteTables"] == 2)
        // The stack's groups once, plus the VPC's default-group lookup.
        #expect(calls["DescribeSecurityGroups"] == 2)
        #expect(calls["DescribeSecurityGroupRules"] == 1)
        for action in [
            "DescribeVpcs", "DescribeSubnets", "DescribeInternetGateways", "DescribeAddresses", "DescribeNatGateways",
            "DescribeLaunchTemplates", "DescribeNetworkAcls",
        ] {
            #expect(calls[action] == 1, "\(action): \(calls)")
        }
        // DNS and usage-metrics flags: EC2 reads them one VPC and one attribute at a time.
        #expect(calls["DescribeVpcAttribute"] == 3)
        #expect(calls.values.reduce(0, +) == 15, "\(calls)")

        try await h.provider("aws_vpc_security_group_ingress_rule").delete(rule, h.context)
        for group in [a, b] { try await h.provider("aws_security_group").delete(group, h.context) }
        try await h.provider("aws_route").delete(route, h.context)
        for live in created { try await h.provider(live.type).delete(live, h.context) }
        try await h.provider("aws_route_table").delete(table, h.context)
        try await h.provider("aws_internet_gateway").delete(igw, h.context)
        try await h.provider("aws_vpc").delete(vpc, h.context)
    }

    /// The highest sequence number in the request log so far.
    private func lastSequence(_ sandbox: Sandbox) async throws -> Int {
        try await log(sandbox, query: "").compactMap { $0["seq"] as? Int }.max() ?? 0
    }

    /// Actions (with counts) signed with `accessKey` after sequence `start`.
    private func actions(_ sandbox: Sandbox, after start: Int, accessKey: String) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for entry in try await log(sandbox, query: "?since=\(start)") {
            guard (entry["seq"] as? Int ?? 0) > start, entry["access_key_id"] as? String == accessKey,
                let action = entry["action"] as? String
            else { continue }
            counts[action, default: 0] += 1
        }
        return counts
    }

    private func log(_ sandbox: Sandbox, query: String) async throws -> [[String: Any]] {
        let url = try #require(URL(string: sandbox.url.absoluteString + "/_sandbox/requests" + query))
        let response = try await CurlTransport().send(HTTPRequest(method: "GET", url: url, timeout: .seconds(30)))
        let json = try JSONSerialization.jsonObject(with: response.body)
        if let object = json as? [String: Any], let requests = object["requests"] as? [[String: Any]] { return requests }
        return json as? [[String: Any]] ?? []
    }
}
