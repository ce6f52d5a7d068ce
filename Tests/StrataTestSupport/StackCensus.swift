import AWSClient
import Foundation
import StrataModel

/// What the sandbox holds for a stack, counted with raw tag-filtered describes (not strata's own
/// discovery, so a bug there cannot hide a leftover or a duplicate).
///
/// Every type strata creates in the shipped stacks is counted, the ones AWS would let exist
/// twice first (VPCs, subnets, gateways, addresses, keys, launch templates): a crashed apply
/// that created one of those again shows up here as a count above the stack's.
public struct StackCensus: CustomStringConvertible, Sendable {
    public var vpcIDs: [String] = []
    public var subnets = 0
    public var routeTables = 0
    public var internetGateways = 0
    /// NAT gateways pending or available (deleted ones stay visible for an hour on AWS).
    public var natGateways = 0
    public var elasticIPs = 0
    public var securityGroups = 0
    public var launchTemplates = 0
    public var roles = 0
    public var policies = 0
    public var oidcProviders = 0
    /// KMS keys not pending deletion (a destroyed key waits out its deletion window).
    public var kmsKeys = 0
    public var clusters = 0
    public var nodeGroups = 0
    public var addons = 0
    /// Tagged access entries (EKS may add an untagged one for the cluster's creator).
    public var accessEntries = 0
    /// Tagged pod identity associations (add-on-owned ones carry the add-on's tags, not ours).
    public var podIdentityAssociations = 0
    public var queues = 0
    public var eventRules = 0
    public var logGroups = 0
    /// Resources inside the stack's VPCs without the stack tag (AWS's own main route table,
    /// default security group, EKS's cluster security group and network ACL excepted), NAT
    /// gateways and their addresses included.
    public var untaggedInVPC: [String] = []

    public init() {}

    public var vpcs: Int { vpcIDs.count }

    /// Every count by name, for comparing two censuses and for messages.
    public var counts: [(name: String, count: Int)] {
        [
            ("vpcs", vpcs), ("subnets", subnets), ("route tables", routeTables), ("igws", internetGateways), ("nats", natGateways),
            ("eips", elasticIPs), ("security groups", securityGroups), ("launch templates", launchTemplates), ("roles", roles),
            ("policies", policies), ("oidc providers", oidcProviders), ("kms keys", kmsKeys), ("clusters", clusters),
            ("node groups", nodeGroups), ("add-ons", addons), ("access entries", accessEntries),
            ("pod identities", podIdentityAssociations), ("queues", queues), ("event rules", eventRules), ("log groups", logGroups),
        ]
    }

    public var isEmpty: Bool { counts.allSatisfy { $0.count == 0 } }

    /// The counts that differ from `expected`'s, as `name: got N, want M`; empty when equal.
    public func differences(from expected: StackCensus) -> [String] {
        zip(counts, expected.counts).compactMap { mine, theirs in
            mine.count == theirs.count ? nil : "\(mine.name): got \(mine.count), want \(theirs.count)"
        }
    }

    public var description: String {
        counts.map { "\($0.name) \($0.count)" }.joined(separator: ", ") + ", untagged \(untaggedInVPC)"
    }

    public static func take(_ client: AWSClient, stack: String) async throws -> StackCensus {
        var census = StackCensus()
        let tagFilter: [(name: String, value: String)] = [("Filter.1.Name", "tag:strata:stack"), ("Filter.1.Value.1", stack)]
        census.vpcIDs = try await ec2(client, "DescribeVpcs", tagFilter).compactMap { $0.child("vpcId")?.text }
        census.subnets = try await ec2(client, "DescribeSubnets", tagFilter).count
        census.routeTables = try await ec2(client, "DescribeRouteTables", tagFilter).count
        census.internetGateways = try await ec2(client, "DescribeInternetGateways", tagFilter).count
        census.natGateways = try await ec2(client, "DescribeNatGateways", tagFilter)
            .filter { ["available", "pending"].contains($0.child("state")?.text ?? "") }.count
        census.elasticIPs = try await ec2(client, "DescribeAddresses", tagFilter).count
        census.securityGroups = try await ec2(client, "DescribeSecurityGroups", tagFilter, set: "securityGroupInfo").count
        census.launchTemplates = try await ec2(client, "DescribeLaunchTemplates", tagFilter, set: "launchTemplates").count
        let roles = try await client.query(.iam, action: "ListRoles", parameters: [("PathPrefix", "/strata/\(stack)/")])
        census.roles = roles.first(named: "Roles")?.items.count ?? 0
        let policies = try await client.query(
            .iam, action: "ListPolicies", parameters: [("PathPrefix", "/strata/\(stack)/"), ("Scope", "Local")])
        census.policies = policies.first(named: "Policies")?.items.count ?? 0
        census.oidcProviders = try await oidcProviders(client, stack)
        census.kmsKeys = try await kmsKeys(client, stack)
        census.queues = try await taggedCount(
            client, stack, list: { try await $0.json(.sqs, action: "ListQueues")["QueueUrls"]?.arrayValue ?? [] }
        ) {
            client, url in
            let answer = try await client.json(.sqs, action: "ListQueueTags", body: ["QueueUrl": url])
            return answer["Tags"]?[ProviderContextTags.stack]?.stringValue
        }
        census.eventRules = try await taggedCount(
            client, stack, list: { try await $0.json(.events, action: "ListRules")["Rules"]?.arrayValue ?? [] }
        ) {
            client, rule in
            guard let arn = rule["Arn"] else { return nil }
            let tags = try await client.json(.events, action: "ListTagsForResource", body: ["ResourceARN": arn])["Tags"]?.arrayValue ?? []
            return tags.first { $0["Key"]?.stringValue == ProviderContextTags.stack }?["Value"]?.stringValue
        }
        census.logGroups = try await taggedCount(
            client, stack, list: { try await $0.json(.logs, action: "DescribeLogGroups")["logGroups"]?.arrayValue ?? [] }
        ) {
            client, group in
            guard var arn = group["logGroupArn"]?.stringValue ?? group["arn"]?.stringValue else { return nil }
            if arn.hasSuffix(":*") { arn.removeLast(2) }
            return try await client.json(.logs, action: "ListTagsForResource", body: ["resourceArn": .string(arn)])["tags"]?[
                ProviderContextTags.stack]?.stringValue
        }
        try await countInVPCs(client, stack, &census)
        try await countEKS(client, stack, &census)
        return census
    }

    /// What the stack's VPCs hold without the stack's tag.
    private static func countInVPCs(_ client: AWSClient, _ stack: String, _ census: inout StackCensus) async throws {
        for vpc in census.vpcIDs {
            let inVPC: [(name: String, value: String)] = [("Filter.1.Name", "vpc-id"), ("Filter.1.Value.1", vpc)]
            for subnet in try await ec2(client, "DescribeSubnets", inVPC) where !tagged(subnet, stack) {
                census.untaggedInVPC.append(subnet.child("subnetId")?.text ?? "subnet")
            }
            for table in try await ec2(client, "DescribeRouteTables", inVPC) where !tagged(table, stack) {
                let main = table.child("associationSet")?.items.contains { $0.child("main")?.text == "true" } ?? false
                if !main { census.untaggedInVPC.append(table.child("routeTableId")?.text ?? "route table") }
            }
            // The VPC's default group and the cluster security group EKS makes (and deletes with
            // the cluster) are AWS's own.
            for group in try await ec2(client, "DescribeSecurityGroups", inVPC, set: "securityGroupInfo") where !tagged(group, stack) {
                let eksOwned = group.child("tagSet")?.items.contains { $0.child("key")?.text == "aws:eks:cluster-name" } ?? false
                if group.child("groupName")?.text != "default" && !eksOwned {
                    census.untaggedInVPC.append(group.child("groupId")?.text ?? "sg")
                }
            }
            let gateways = try await ec2(
                client, "DescribeInternetGateways", [("Filter.1.Name", "attachment.vpc-id"), ("Filter.1.Value.1", vpc)])
            for gateway in gateways where !tagged(gateway, stack) {
                census.untaggedInVPC.append(gateway.child("internetGatewayId")?.text ?? "igw")
            }
            // moto ignores DescribeNatGateways' filters: the VPC is checked here.
            let nats = try await ec2(client, "DescribeNatGateways", inVPC).filter {
                $0.child("vpcId")?.text == vpc && ["available", "pending"].contains($0.child("state")?.text ?? "")
            }
            var allocations: [String] = []
            for nat in nats {
                if !tagged(nat, stack) { census.untaggedInVPC.append(nat.child("natGatewayId")?.text ?? "nat") }
                allocations += (nat.child("natGatewayAddressSet")?.items ?? []).compactMap { $0.child("allocationId")?.text }
            }
            if !allocations.isEmpty {
                let addresses = try await ec2(
                    client, "DescribeAddresses", allocations.enumerated().map { (name: "AllocationId.\($0.offset + 1)", value: $0.element) }
                )
                for address in addresses where !tagged(address, stack) {
                    census.untaggedInVPC.append(address.child("allocationId")?.text ?? "eip")
                }
            }
        }
    }

    /// The stack's clusters and, inside them, node groups, add-ons and the tagged access entries
    /// and pod identity associations.
    private static func countEKS(_ client: AWSClient, _ stack: String, _ census: inout StackCensus) async throws {
        let names =
            try await client.rest(.eks, action: "ListClusters", method: "GET", path: "/clusters")["clusters"]?.arrayValue?
            .compactMap(\.stringValue) ?? []
        for name in names {
            // Other tests delete their clusters concurrently: one gone since the list is not ours.
            guard let cluster = try? await client.rest(.eks, action: "DescribeCluster", method: "GET", path: "/clusters/\(name)"),
                cluster["cluster"]?["tags"]?[ProviderContextTags.stack]?.stringValue == stack,
                cluster["cluster"]?["status"]?.stringValue != "DELETING"
            else { continue }
            census.clusters += 1
            let base = "/clusters/\(name)"
            census.nodeGroups +=
                try await client.rest(.eks, action: "ListNodegroups", method: "GET", path: base + "/node-groups")["nodegroups"]?
                .arrayValue?.count ?? 0
            census.addons +=
                try await client.rest(.eks, action: "ListAddons", method: "GET", path: base + "/addons")["addons"]?.arrayValue?
                .count ?? 0
            let principals =
                try await client.rest(.eks, action: "ListAccessEntries", method: "GET", path: base + "/access-entries")[
                    "accessEntries"]?.arrayValue?.compactMap(\.stringValue) ?? []
            for principal in principals {
                let path = base + "/access-entries/" + AWSOperation.pathSegment(principal)
                let entry = try await client.rest(.eks, action: "DescribeAccessEntry", method: "GET", path: path)
                if entry["accessEntry"]?["tags"]?[ProviderContextTags.stack]?.stringValue == stack { census.accessEntries += 1 }
            }
            let associations =
                try await client.rest(
                    .eks, action: "ListPodIdentityAssociations", method: "GET", path: base + "/pod-identity-associations")["associations"]?
                .arrayValue ?? []
            for association in associations {
                guard let id = association["associationId"]?.stringValue else { continue }
                let path = base + "/pod-identity-associations/" + AWSOperation.pathSegment(id)
                let described = try await client.rest(.eks, action: "DescribePodIdentityAssociation", method: "GET", path: path)
                if described["association"]?["tags"]?[ProviderContextTags.stack]?.stringValue == stack {
                    census.podIdentityAssociations += 1
                }
            }
        }
    }

    /// OIDC providers tagged for the stack: IAM lists them by ARN only.
    private static func oidcProviders(_ client: AWSClient, _ stack: String) async throws -> Int {
        let list = try await client.query(.iam, action: "ListOpenIDConnectProviders")
        var count = 0
        for provider in list.first(named: "OpenIDConnectProviderList")?.items ?? [] {
            guard let arn = provider.child("Arn")?.text else { continue }
            guard
                let described = try? await client.query(
                    .iam, action: "GetOpenIDConnectProvider", parameters: [("OpenIDConnectProviderArn", arn)])
            else { continue }
            let tags = described.first(named: "Tags")?.items ?? []
            if tags.contains(where: { $0.child("Key")?.text == ProviderContextTags.stack && $0.child("Value")?.text == stack }) {
                count += 1
            }
        }
        return count
    }

    /// KMS keys tagged for the stack and not pending deletion: KMS lists keys without tags.
    private static func kmsKeys(_ client: AWSClient, _ stack: String) async throws -> Int {
        let keys = try await client.json(.kms, action: "ListKeys", body: ["Limit": 1000])["Keys"]?.arrayValue ?? []
        var count = 0
        for key in keys {
            guard let id = key["KeyId"] else { continue }
            let tags = try await client.json(.kms, action: "ListResourceTags", body: ["KeyId": id])["Tags"]?.arrayValue ?? []
            guard tags.contains(where: { $0["TagKey"]?.stringValue == ProviderContextTags.stack && $0["TagValue"]?.stringValue == stack })
            else { continue }
            let state = try await client.json(.kms, action: "DescribeKey", body: ["KeyId": id])["KeyMetadata"]?["KeyState"]?.stringValue
            if state != "PendingDeletion" { count += 1 }
        }
        return count
    }

    /// How many of `list`'s items `stackTag` says belong to `stack` (items gone meanwhile skipped).
    private static func taggedCount(
        _ client: AWSClient, _ stack: String, list: (AWSClient) async throws -> [JSONValue],
        stackTag: (AWSClient, JSONValue) async throws -> String?
    ) async throws -> Int {
        var count = 0
        for item in try await list(client) {
            if (try? await stackTag(client, item)) == stack { count += 1 }
        }
        return count
    }

    private static func ec2(
        _ client: AWSClient, _ action: String, _ parameters: [(name: String, value: String)], set: String? = nil
    ) async throws -> [XMLNode] {
        let answer = try await client.query(.ec2, action: action, parameters: parameters)
        // The list is `<thing>Set`, except where EC2 named it otherwise (securityGroupInfo).
        let list = answer.children.first { child in set.map { child.name == $0 } ?? child.name.hasSuffix("Set") }
        let items = list?.items ?? []
        // Checked here too: moto ignores some tag filters (DescribeNatGateways), and a census
        // must not count another stack's resources.
        guard parameters.first?.value == "tag:strata:stack", let stack = parameters.dropFirst().first?.value else { return items }
        return items.filter { tagged($0, stack) }
    }

    private static func tagged(_ item: XMLNode, _ stack: String) -> Bool {
        item.child("tagSet")?.items.contains { $0.child("key")?.text == ProviderContextTags.stack && $0.child("value")?.text == stack }
            ?? false
    }
}

/// The ownership tag's key (StrataProviders' `ProviderContext.stackTag`; the support target does
/// not link the providers).
enum ProviderContextTags {
    static let stack = "strata:stack"
}
