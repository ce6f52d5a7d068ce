import AWSSigner
import Foundation
import StrataCompiler
import StrataModel
import StrataProviders
import Testing

@testable import StrataPlanner

/// The differ and its normalisations: pure, no AWS.
@Suite struct DifferTests {
    let vpc: ResourceSchema
    let role: ResourceSchema
    let cluster: ResourceSchema

    init() throws {
        vpc = try #require(ResourceCatalog.schema(for: "aws_vpc"))
        role = try #require(ResourceCatalog.schema(for: "aws_iam_role"))
        cluster = try #require(ResourceCatalog.schema(for: "aws_eks_cluster"))
    }

    func live(_ type: String, _ attributes: [String: Value]) -> LiveResource {
        LiveResource(type: type, address: nil, id: "x-1", attributes: attributes)
    }

    let ownTags: Value = .map(["Name": .string("demo")])
    let allTags: Value = .map([
        "Name": .string("demo"), "env": .string("demo"), "strata:stack": .string("demo"),
        "strata:address": .string("module.network.aws_vpc.vpc"),
    ])

    var desiredVPC: [String: Value] {
        ["cidr_block": .string("10.10.0.0/16"), "enable_dns_hostnames": .bool(true), "tags": ownTags, "tags_all": allTags]
    }

    var liveVPC: [String: Value] {
        [
            "id": .string("vpc-1"), "arn": .string("arn:aws:ec2:us-east-1:123:vpc/vpc-1"),
            "cidr_block": .string("10.10.0.0/16"), "enable_dns_hostnames": .bool(true), "enable_dns_support": .bool(true),
            "instance_tenancy": .string("default"), "tags": allTags, "tags_all": allTags,
            "main_route_table_id": .string("rtb-1"),
        ]
    }

    @Test func sameResourceIsNoChange() {
        let result = Differ.diff(desired: desiredVPC, live: live("aws_vpc", liveVPC), schema: vpc)
        #expect(result == DiffResult(action: .noop, changed: [], replaceBecause: []))
    }

    @Test func serverDefaultsAndStringFormsAreNoChange() {
        var attributes = liveVPC
        attributes["enable_dns_support"] = .string("true")
        attributes["enable_dns_hostnames"] = .string("true")
        attributes["cidr_block"] = .string("10.10.0.1/16")
        let result = Differ.diff(desired: desiredVPC, live: live("aws_vpc", attributes), schema: vpc)
        #expect(result.action == .noop)
    }

    @Test func outOfBandOptionalValueIsAnUpdate() {
        var attributes = liveVPC
        attributes["enable_dns_support"] = .bool(false)
        let result = Differ.diff(desired: desiredVPC, live: live("aws_vpc", attributes), schema: vpc)
        #expect(result == DiffResult(action: .update, changed: ["enable_dns_support"], replaceBecause: []))
    }

    @Test func forcingAttributeIsAReplaceNamingIt() {
        var attributes = liveVPC
        attributes["cidr_block"] = .string("10.20.0.0/16")
        let result = Differ.diff(desired: desiredVPC, live: live("aws_vpc", attributes), schema: vpc)
        #expect(result == DiffResult(action: .replace, changed: ["cidr_block"], replaceBecause: ["cidr_block"]))
    }

    @Test func unknownDesiredValues() {
        var desired = desiredVPC
        desired["cidr_block"] = .unknown(.cidr)
        #expect(Differ.diff(desired: desired, live: live("aws_vpc", liveVPC), schema: vpc).action == .replace)
        desired = desiredVPC
        desired["instance_tenancy"] = .unknown(.string)
        let result = Differ.diff(desired: desired, live: live("aws_vpc", liveVPC), schema: vpc)
        #expect(result == DiffResult(action: .update, changed: ["instance_tenancy"], replaceBecause: []))
    }

    @Test func computedAttributesNeverDiff() {
        var attributes = liveVPC
        attributes["main_route_table_id"] = .string("rtb-other")
        attributes["ipv6_cidr_block"] = .string("2600::/56")  // optional-computed, unset
        #expect(Differ.diff(desired: desiredVPC, live: live("aws_vpc", attributes), schema: vpc).action == .noop)
    }

    @Test func tagEditsNameTags() {
        var attributes = liveVPC
        var edited = allTags.stringMap
        edited["Name"] = "renamed"
        attributes["tags"] = .map(edited.mapValues(Value.string))
        attributes["tags_all"] = attributes["tags"]
        let result = Differ.diff(desired: desiredVPC, live: live("aws_vpc", attributes), schema: vpc)
        #expect(result == DiffResult(action: .update, changed: ["tags", "tags_all"], replaceBecause: []))

        // A stack tag missing live is only tags_all.
        edited = allTags.stringMap
        edited["env"] = nil
        attributes["tags_all"] = .map(edited.mapValues(Value.string))
        attributes["tags"] = nil
        let inherited = Differ.diff(desired: desiredVPC, live: live("aws_vpc", attributes), schema: vpc)
        #expect(inherited.changed == ["tags_all"])

        // A key added out of band is the resource's own tags drifting.
        var added = allTags.stringMap
        added["owner"] = "someone"
        attributes["tags_all"] = .map(added.mapValues(Value.string))
        let extra = Differ.diff(desired: desiredVPC, live: live("aws_vpc", attributes), schema: vpc)
        #expect(extra.changed == ["tags", "tags_all"])
    }

    static let policyText =
        #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#

    @Test(arguments: [
        // Key order and whitespace.
        #"{ "Statement": [ { "Action": "sts:AssumeRole", "Principal": { "Service": "ec2.amazonaws.com" }, "Effect": "Allow" } ], "Version": "2012-10-17" }"#,
        // A single Statement object instead of a list of one.
        #"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
        // Action and principal as lists of one.
        #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]},"Action":["sts:AssumeRole"]}]}"#,
        // URL-encoded, as IAM returns documents.
        "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D",
    ])
    func policyFormsAreEqual(_ liveForm: String) {
        #expect(Normalisation.equivalent(.string(Self.policyText), .string(liveForm), type: .json, name: "assume_role_policy"))
    }

    @Test func policyGivenAsMapEqualsText() {
        let map: Value = .map([
            "Version": .string("2012-10-17"),
            "Statement": .list([
                .map([
                    "Effect": .string("Allow"), "Principal": .map(["Service": .string("ec2.amazonaws.com")]),
                    "Action": .list([.string("sts:AssumeRole")]),
                ])
            ]),
        ])
        #expect(Normalisation.equivalent(map, .string(Self.policyText), type: .json, name: "policy"))
        let other = Self.policyText.replacingOccurrences(of: "ec2.amazonaws.com", with: "eks.amazonaws.com")
        #expect(!Normalisation.equivalent(map, .string(other), type: .json, name: "policy"))
        let twoActions = Self.policyText.replacingOccurrences(of: #""sts:AssumeRole""#, with: #"["sts:AssumeRole","sts:TagSession"]"#)
        #expect(!Normalisation.equivalent(map, .string(twoActions), type: .json, name: "policy"))
    }

    @Test func roleWithEquivalentPolicyIsNoChange() {
        let desired: [String: Value] = [
            "name": .string("r"), "assume_role_policy": .string(Self.policyText), "max_session_duration": .int(3600),
            "path": .string("/strata/demo/"),
        ]
        let current: [String: Value] = [
            "name": .string("r"), "arn": .string("arn:aws:iam::123:role/r"), "path": .string("/strata/demo/"),
            "assume_role_policy": .string(Self.policyText.replacingOccurrences(of: ",", with: ", ")),
            "max_session_duration": .string("3600"), "unique_id": .string("AROA1"),
        ]
        #expect(Differ.diff(desired: desired, live: live("aws_iam_role", current), schema: role).action == .noop)
    }

    @Test func setsCompareWithoutOrder() {
        let desired: Value = .list([.string("subnet-a"), .string("subnet-b")])
        let reversed: Value = .list([.string("subnet-b"), .string("subnet-a")])
        #expect(Normalisation.equivalent(desired, reversed, type: .list(.string), name: "subnet_ids"))
        #expect(!Normalisation.equivalent(desired, reversed, type: .list(.string), name: "ordered_things"))
        #expect(!Normalisation.equivalent(desired, .list([.string("subnet-a")]), type: .list(.string), name: "subnet_ids"))
    }

    @Test func nestedBlockFieldForcesReplacement() {
        let desired: [String: Value] = [
            "name": .string("c"), "role_arn": .string("arn:role"), "version": .string("1.31"),
            "vpc_config": .map(["subnet_ids": .list([.string("s-1"), .string("s-2")])]),
            "kubernetes_network_config": .map(["service_ipv4_cidr": .string("10.100.0.0/16")]),
        ]
        let current: [String: Value] = [
            "name": .string("c"), "role_arn": .string("arn:role"), "version": .string("1.31"),
            "vpc_config": .map([
                "subnet_ids": .list([.string("s-2"), .string("s-1")]), "endpoint_public_access": .bool(true),
                "endpoint_private_access": .bool(false), "public_access_cidrs": .list([.string("0.0.0.0/0")]),
                "cluster_security_group_id": .string("sg-1"),
            ]),
            "kubernetes_network_config": .map(["service_ipv4_cidr": .string("172.20.0.0/16"), "ip_family": .string("ipv4")]),
            "bootstrap_self_managed_addons": .bool(true),
        ]
        let result = Differ.diff(desired: desired, live: live("aws_eks_cluster", current), schema: cluster)
        #expect(
            result
                == DiffResult(
                    action: .replace, changed: ["kubernetes_network_config"],
                    replaceBecause: ["kubernetes_network_config.service_ipv4_cidr"]))
    }

    @Test func launchTemplateSymbolicVersions() {
        #expect(Normalisation.equivalent(.string("$Latest"), .string("3"), type: .string, name: "version"))
        #expect(Normalisation.equivalent(.string("$Default"), .int(1), type: .string, name: "version"))
        #expect(Normalisation.equivalent(.int(3), .string("3"), type: .string, name: "version"))
    }

    @Test func cidrForms() {
        #expect(Normalisation.canonicalCIDR("10.0.0.5/16") == "10.0.0.0/16")
        #expect(Normalisation.canonicalCIDR(" 0.0.0.0/0") == "0.0.0.0/0")
        #expect(Normalisation.canonicalCIDR("2600:1F18::/56") == "2600:1f18::/56")
    }

    @Test func tokensAreStableAndContentDerived() {
        let address = ResourceAddress(module: "network", type: "aws_vpc", name: "vpc")
        let one = IdempotencyToken.derive(stack: "demo", address: address, attributes: desiredVPC)
        let two = IdempotencyToken.derive(stack: "demo", address: address, attributes: desiredVPC)
        var changed = desiredVPC
        changed["cidr_block"] = .string("10.11.0.0/16")
        #expect(one == two)
        #expect(one.count == 64 && one.allSatisfy(\.isHexDigit))
        #expect(one != IdempotencyToken.derive(stack: "demo", address: address, attributes: changed))
        #expect(one != IdempotencyToken.derive(stack: "other", address: address, attributes: desiredVPC))
        // Known answers of SHA-256 (FIPS 180-2 examples).
        #expect(sha256Hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            sha256Hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func planRoundTripsThroughJSON() throws {
        let address = ResourceAddress(module: "network", type: "aws_subnet", name: "private", key: .name("a"))
        let change = ResourceChange(
            address: address, type: "aws_subnet", plane: .network, action: .create, before: nil,
            after: [
                "vpc_id": .unknown(.string), "cidr_block": .string("10.0.0.0/20"), "n": .int(3), "f": .float(1.5),
                "m": .map(["k": .list([.bool(true), .null, .unknown(.list(.string))])]),
            ],
            dependencies: [ResourceAddress(module: "network", type: "aws_vpc", name: "vpc")], idempotencyToken: "t")
        let plan = Plan(
            stack: "s", region: "us-east-1", createdAt: Date(timeIntervalSince1970: 1_700_000_000), stackPath: "/x",
            changes: [change], liveFingerprint: "f")
        let data = try JSONEncoder().encode(plan)
        let back = try JSONDecoder().decode(Plan.self, from: data)
        #expect(back == plan)
    }
}

extension DifferTests {
    @Test func writeOnlySettingsDifferOnlyWhenReported() {
        let addon = ResourceCatalog.schema(for: "aws_eks_addon")!
        let desired: [String: Value] = [
            "cluster_name": .string("c"), "addon_name": .string("coredns"), "resolve_conflicts_on_create": .string("OVERWRITE"),
        ]
        var current: [String: Value] = ["cluster_name": .string("c"), "addon_name": .string("coredns"), "arn": .string("arn:a")]
        #expect(Differ.diff(desired: desired, live: live("aws_eks_addon", current), schema: addon).action == .noop)
        current["resolve_conflicts_on_create"] = .string("NONE")
        #expect(
            Differ.diff(desired: desired, live: live("aws_eks_addon", current), schema: addon).changed == ["resolve_conflicts_on_create"])
    }
}
