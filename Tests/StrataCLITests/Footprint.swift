import AWSClient
import Foundation
import StrataTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Everything of the kinds a stack and its controllers make that exists in the account, by id
/// (raw listings, not strata's discovery): NAT gateways not deleted, instances not terminated,
/// KMS keys not pending deletion. What appeared while a stack was applied and is still listed
/// after its destroy is what the destroy left (untagged things included: a NAT gateway's
/// address, an ENI, the Load Balancer Controller's security group, an instance profile).
struct Footprint: CustomStringConvertible {
    var ids: [String: Set<String>] = [:]

    var isEmpty: Bool { ids.values.allSatisfy(\.isEmpty) }

    func subtracting(_ other: Footprint) -> Footprint {
        Footprint(
            ids: ids.reduce(into: [:]) { out, entry in
                out[entry.key] = entry.value.subtracting(other.ids[entry.key] ?? [])
            })
    }

    func intersecting(_ other: Footprint) -> Footprint {
        Footprint(
            ids: ids.reduce(into: [:]) { out, entry in
                let both = entry.value.intersection(other.ids[entry.key] ?? [])
                if !both.isEmpty { out[entry.key] = both }
            })
    }

    var description: String {
        ids.filter { !$0.value.isEmpty }.sorted { $0.key < $1.key }.map {
            "\($0.key): \($0.value.sorted().joined(separator: " "))"
        }
        .joined(separator: "; ")
    }

    static func take(_ client: AWSClient) async throws -> Footprint {
        var out = Footprint()
        func ec2(_ action: String, _ set: String, _ id: String, keep: (XMLNode) -> Bool = { _ in true }) async throws {
            let answer = try await client.query(.ec2, action: action, parameters: [])
            out.ids[action] = Set((answer.child(set)?.items ?? []).filter(keep).compactMap { $0.child(id)?.text })
        }
        try await ec2("DescribeVpcs", "vpcSet", "vpcId")
        try await ec2("DescribeSubnets", "subnetSet", "subnetId")
        try await ec2("DescribeSecurityGroups", "securityGroupInfo", "groupId")
        let reservations = try await client.query(.ec2, action: "DescribeInstances", parameters: [])
        let instances = (reservations.child("reservationSet")?.items ?? []).flatMap {
            $0.child("instancesSet")?.items ?? []
        }
        let terminated = Set(
            instances.filter { $0.child("instanceState")?.child("name")?.text == "terminated" }.compactMap {
                $0.child("instanceId")?.text
            })
        out.ids["DescribeInstances"] = Set(
            instances.filter { $0.child("instanceState")?.child("name")?.text != "terminated" }.compactMap {
                $0.child("instanceId")?.text
            })
        // moto keeps a terminated instance's primary interface (AWS deletes it with the
        // instance: the sandbox gap docs/apply.md names); it is the instance's, not a leftover.
        try await ec2("DescribeNetworkInterfaces", "networkInterfaceSet", "networkInterfaceId") { interface in
            !terminated.contains(interface.child("attachment")?.child("instanceId")?.text ?? "")
        }
        try await ec2("DescribeRouteTables", "routeTableSet", "routeTableId")
        try await ec2("DescribeInternetGateways", "internetGatewaySet", "internetGatewayId")
        try await ec2("DescribeNatGateways", "natGatewaySet", "natGatewayId") { $0.child("state")?.text != "deleted" }
        try await ec2("DescribeAddresses", "addressesSet", "allocationId")
        try await ec2("DescribeLaunchTemplates", "launchTemplates", "launchTemplateId")

        func iam(_ action: String, _ list: String, _ id: String, _ parameters: [(name: String, value: String)] = [])
            async throws
        {
            let answer = try await client.query(.iam, action: action, parameters: [("MaxItems", "1000")] + parameters)
            out.ids[action] = Set((answer.first(named: list)?.items ?? []).compactMap { $0.child(id)?.text })
        }
        try await iam("ListRoles", "Roles", "RoleName")
        try await iam("ListInstanceProfiles", "InstanceProfiles", "InstanceProfileName")
        try await iam("ListPolicies", "Policies", "Arn", [("Scope", "Local")])
        let oidc = try await client.query(.iam, action: "ListOpenIDConnectProviders")
        out.ids["ListOpenIDConnectProviders"] = Set(
            (oidc.first(named: "OpenIDConnectProviderList")?.items ?? []).compactMap { $0.child("Arn")?.text })

        let balancers = try await client.query(.elbv2, action: "DescribeLoadBalancers")
        out.ids["elbv2 DescribeLoadBalancers"] = Set(
            (balancers.first(named: "LoadBalancers")?.items ?? []).compactMap { $0.child("LoadBalancerName")?.text })
        let targets = try await client.query(.elbv2, action: "DescribeTargetGroups")
        out.ids["elbv2 DescribeTargetGroups"] = Set(
            (targets.first(named: "TargetGroups")?.items ?? []).compactMap { $0.child("TargetGroupName")?.text })

        let clusters = try await client.rest(.eks, action: "ListClusters", method: "GET", path: "/clusters")
        out.ids["eks ListClusters"] = Set(clusters["clusters"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let groups = try await client.json(.logs, action: "DescribeLogGroups")
        out.ids["logs DescribeLogGroups"] = Set(
            groups["logGroups"]?.arrayValue?.compactMap { $0["logGroupName"]?.stringValue } ?? [])
        let queues = try await client.json(.sqs, action: "ListQueues")
        out.ids["sqs ListQueues"] = Set(queues["QueueUrls"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        let rules = try await client.json(.events, action: "ListRules")
        out.ids["events ListRules"] = Set(rules["Rules"]?.arrayValue?.compactMap { $0["Name"]?.stringValue } ?? [])
        var keys: Set<String> = []
        for key in try await client.json(.kms, action: "ListKeys", body: ["Limit": 1000])["Keys"]?.arrayValue ?? [] {
            guard let id = key["KeyId"]?.stringValue else { continue }
            let state = try await client.json(.kms, action: "DescribeKey", body: ["KeyId": .string(id)])[
                "KeyMetadata"]?["KeyState"]?.stringValue
            if state != "PendingDeletion" { keys.insert(id) }
        }
        out.ids["kms keys not pending deletion"] = keys
        return out
    }
}
