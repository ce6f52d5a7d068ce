import AWSClient
import Foundation
import StrataProviders

/// What still uses a VPC, subnet, security group or internet gateway that AWS refuses to delete
/// with `DependencyViolation` — AWS's message names none of it. Each blocker is named with whose
/// it is (`network interface eni-… (aws-K8S-i-…; cluster.k8s.amazonaws.com/name=prod)`), so the
/// user knows what to remove, or whom to ask.
struct NetworkBlockers: Sendable {
    var client: AWSClient

    /// The blockers of resource `id` of strata type `type`; none for other types. Best effort:
    /// a describe that fails leaves its part out rather than hide AWS's own error.
    func of(type: String, id: String) async -> [String] {
        switch type {
        case "aws_subnet":
            return await interfaces([("subnet-id", [id])]) + instances([("subnet-id", [id])])
                + natGateways([("subnet-id", [id])]) + loadBalancers { $0.subnets.contains(id) }
        case "aws_vpc":
            return await interfaces([("vpc-id", [id])]) + instances([("vpc-id", [id])])
                + natGateways([("vpc-id", [id])]) + subnets(of: id) + securityGroups(of: id)
                + internetGateways(of: id) + loadBalancers { $0.vpcID == id }
        case "aws_security_group":
            return await users(ofGroup: id)
        case "aws_internet_gateway":
            // Detaching is refused while addresses of the VPC are mapped to public IPs.
            guard let vpc = await attachedVPC(ofGateway: id) else { return [] }
            return await interfaces([("vpc-id", [vpc])], publicOnly: true)
        default:
            return []
        }
    }

    /// What uses a security group: network interfaces and load balancers of either API listing it.
    func users(ofGroup group: String) async -> [String] {
        await interfaces([("group-id", [group])]) + loadBalancers { $0.securityGroups.contains(group) }
    }

    // MARK: - EC2

    private func interfaces(_ filters: [(String, [String])], publicOnly: Bool = false) async -> [String] {
        await items("DescribeNetworkInterfaces", filters, set: "networkInterfaceSet").compactMap { item in
            guard let id = item.child("networkInterfaceId")?.text else { return nil }
            if publicOnly, item.child("association")?.child("publicIp") == nil { return nil }
            var facts: [String] = []
            if let text = item.child("description")?.text, !text.isEmpty { facts.append(text) }
            if let kind = item.child("interfaceType")?.text, !kind.isEmpty, kind != "interface" {
                facts.append("type \(kind)")
            }
            if item.child("requesterManaged")?.text == "true" {
                facts.append("managed by AWS for \(item.child("requesterId")?.text ?? "a service")")
            }
            if let instance = item.child("attachment")?.child("instanceId")?.text {
                facts.append("attached to \(instance)")
            }
            facts.append(ControllerClaim.owner(Self.tags(of: item)))
            return "network interface \(id) (\(facts.joined(separator: "; ")))"
        }
    }

    private func instances(_ filters: [(String, [String])]) async -> [String] {
        let live = filters + [("instance-state-name", ["pending", "running", "stopping", "stopped", "shutting-down"])]
        return await items("DescribeInstances", live, set: "reservationSet")
            .flatMap { $0.child("instancesSet")?.items ?? [] }
            .compactMap { item in
                guard let id = item.child("instanceId")?.text else { return nil }
                return "instance \(id) (\(ControllerClaim.owner(Self.tags(of: item))))"
            }
    }

    private func natGateways(_ filters: [(String, [String])]) async -> [String] {
        let live = filters + [("state", ["pending", "available", "deleting"])]
        return await items("DescribeNatGateways", live, set: "natGatewaySet").compactMap { item in
            guard let id = item.child("natGatewayId")?.text else { return nil }
            return
                "NAT gateway \(id) (\(item.child("state")?.text ?? "?"); \(ControllerClaim.owner(Self.tags(of: item))))"
        }
    }

    private func subnets(of vpc: String) async -> [String] {
        await items("DescribeSubnets", [("vpc-id", [vpc])], set: "subnetSet").compactMap { item in
            item.child("subnetId").map { "subnet \($0.text) (\(ControllerClaim.owner(Self.tags(of: item))))" }
        }
    }

    private func securityGroups(of vpc: String) async -> [String] {
        await items("DescribeSecurityGroups", [("vpc-id", [vpc])], set: "securityGroupInfo").compactMap { item in
            guard let id = item.child("groupId")?.text, item.child("groupName")?.text != "default" else { return nil }
            return "security group \(id) (\(ControllerClaim.owner(Self.tags(of: item))))"
        }
    }

    private func internetGateways(of vpc: String) async -> [String] {
        await items("DescribeInternetGateways", [("attachment.vpc-id", [vpc])], set: "internetGatewaySet").compactMap {
            item in
            item.child("internetGatewayId").map {
                "internet gateway \($0.text) (\(ControllerClaim.owner(Self.tags(of: item))))"
            }
        }
    }

    private func attachedVPC(ofGateway id: String) async -> String? {
        await items("DescribeInternetGateways", [("internet-gateway-id", [id])], set: "internetGatewaySet")
            .first?.child("attachmentSet")?.items.first?.child("vpcId")?.text
    }

    /// The `<item>`s of `set` in every page of a filtered EC2 describe; none if it fails.
    private func items(_ action: String, _ filters: [(String, [String])], set: String) async -> [XMLNode] {
        (try? await EC2(client: client).items(action, set: set, filters: filters)) ?? []
    }

    /// A described EC2 item's `tagSet`.
    static func tags(of item: XMLNode) -> [String: String] {
        var tags: [String: String] = [:]
        for tag in item.child("tagSet")?.items ?? [] {
            if let key = tag.child("key")?.text { tags[key] = tag.child("value")?.text ?? "" }
        }
        return tags
    }

    // MARK: - Load balancers

    private struct Balancer {
        var name: String
        var vpcID: String
        var subnets: [String]
        var securityGroups: [String]
    }

    /// Load balancers of both APIs that `matches` keeps, named with their API.
    private func loadBalancers(_ matches: (Balancer) -> Bool) async -> [String] {
        let elb = ELB(client)
        var found: [String] = []
        for member in (try? await elb.loadBalancers(.v2)) ?? [] {
            let balancer = Balancer(
                name: member.child("LoadBalancerName")?.text ?? "?", vpcID: member.child("VpcId")?.text ?? "",
                subnets: (member.child("AvailabilityZones")?.items ?? []).compactMap { $0.child("SubnetId")?.text },
                securityGroups: member.child("SecurityGroups")?.items.map(\.text) ?? [])
            if matches(balancer) { found.append("load balancer \(balancer.name)") }
        }
        for member in (try? await elb.loadBalancers(.classic)) ?? [] {
            let balancer = Balancer(
                name: member.child("LoadBalancerName")?.text ?? "?", vpcID: member.child("VPCId")?.text ?? "",
                subnets: member.child("Subnets")?.items.map(\.text) ?? [],
                securityGroups: member.child("SecurityGroups")?.items.map(\.text) ?? [])
            if matches(balancer) { found.append("classic load balancer \(balancer.name)") }
        }
        return found
    }
}
