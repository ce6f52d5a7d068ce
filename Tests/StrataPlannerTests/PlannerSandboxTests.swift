import AWSClient
import AWSSigner
import Foundation
import StrataCompiler
import StrataModel
import StrataProviders
import StrataTestSupport
import Testing

@testable import StrataPlanner

/// Plans of the demo stack against the sandbox: empty account, after creation, drift, forcing
/// changes, removals, saved plans and what a plan costs in API calls.
@Suite struct PlannerSandboxTests {
    static let demoAddresses = [
        "module.inventory.aws_iam_policy.policy[0]", "module.inventory.aws_iam_role.role",
        "module.inventory.aws_iam_role_policy_attachment.policy_attachment[0]",
        "module.network.aws_internet_gateway.igw[0]", "module.network.aws_route.public_internet[0]",
        "module.network.aws_route_table.public_routes[0]",
        "module.network.aws_route_table_association.public_association[0]",
        "module.network.aws_route_table_association.public_association[1]",
        "module.network.aws_subnet.private[0]", "module.network.aws_subnet.private[1]",
        "module.network.aws_subnet.public[0]", "module.network.aws_subnet.public[1]", "module.network.aws_vpc.vpc",
    ]

    @Test func emptyAccountPlansThirteenCreates() async throws {
        let harness = try await PlannerHarness.make()
        defer { harness.stack.remove() }
        let plan = try await harness.plan()
        #expect(plan.changes.map(\.address.canonical) == Self.demoAddresses)
        #expect(plan.changes.allSatisfy { $0.action == .create })
        #expect(plan.summary == (13, 0, 0))
        #expect(plan.dataSources.accountID?.isEmpty == false)
        #expect(plan.dataSources.availabilityZones.contains("us-east-1a"))
        let subnetAddress = try #require(ResourceAddress(parsing: "module.network.aws_subnet.private[0]"))
        let subnet = try #require(plan.change(for: subnetAddress))
        #expect(subnet.after?["vpc_id"] == .unknown(.string))
        #expect(subnet.idempotencyToken?.count == 64)
        let desired = try #require(plan.desiredResource(for: subnet.address))
        #expect(desired.tags["strata:stack"] == harness.stack.name)
        #expect(desired.tags["strata:address"] == subnet.address.canonical)
        #expect(desired.tags["team"] == "platform")
        let text = PlanRenderer(colour: false).render(plan)
        #expect(text.contains("Plan: 13 to add, 0 to change, 0 to destroy."))
        #expect(text.split(separator: "\n").contains { $0.contains("+ vpc_id ") && $0.hasSuffix("= (known after apply)") })
        #expect(!text.contains("\u{1B}["))
    }

    /// One stack the lifecycle test walks through.
    struct Scenario: Sendable, CustomTestStringConvertible {
        var name: String
        var shipped: String?
        var vpc: String
        var subnet: String
        var cidr: (old: String, new: String)
        var count: Int
        var testDescription: String { name }

        func harness() async throws -> PlannerHarness {
            if let shipped { return try await PlannerHarness.make(shipped: shipped) }
            return try await PlannerHarness.make(text: PlannerHarness.core)
        }
    }

    static let scenarios = [
        Scenario(
            name: "core", shipped: nil, vpc: "aws_vpc.vpc", subnet: #"aws_subnet.subnet["us-east-1b"]"#,
            cidr: ("cidr_block: 10.50.0.0/16", "cidr_block: 10.60.0.0/16"), count: 6),
        Scenario(
            name: "demo", shipped: "demo", vpc: "module.network.aws_vpc.vpc", subnet: "module.network.aws_subnet.public[1]",
            cidr: ("cidr: 10.10.0.0/16", "cidr: 10.30.0.0/16"), count: 13),
    ]

    @Test(arguments: scenarios)
    func afterCreationThePlanSaysNoChangesAndDriftIsExactlyThatAttribute(_ scenario: Scenario) async throws {
        let harness = try await scenario.harness()
        defer { harness.stack.remove() }
        try await harness.carryOut(try await harness.plan())

        let clean = try await harness.plan()
        let noisy = clean.changes.filter { $0.action != .noop }.map { "\($0.address) \($0.action) \($0.changedAttributes)" }
        #expect(noisy.isEmpty, "after creation: \(noisy)")
        #expect(clean.changes.count == scenario.count)
        #expect(PlanRenderer(colour: false).render(clean) == "No changes. Your infrastructure matches the configuration.\n")

        // Out of band: DNS hostnames off, a subnet renamed.
        let vpcAddress = try #require(ResourceAddress(parsing: scenario.vpc))
        let vpcID = try #require(clean.change(for: vpcAddress)?.live?.id)
        _ = try await harness.client.query(
            .ec2, action: "ModifyVpcAttribute", parameters: [("VpcId", vpcID), ("EnableDnsHostnames.Value", "false")])
        let subnetAddress = try #require(ResourceAddress(parsing: scenario.subnet))
        let subnetID = try #require(clean.change(for: subnetAddress)?.live?.id)
        _ = try await harness.client.query(
            .ec2, action: "CreateTags",
            parameters: [("ResourceId.1", subnetID), ("Tag.1.Key", "Name"), ("Tag.1.Value", "renamed by hand")])

        let drifted = try await harness.plan()
        let changes = drifted.changes.filter { $0.action != .noop }
        #expect(Set(changes.map(\.address)) == [subnetAddress, vpcAddress])
        #expect(drifted.change(for: vpcAddress)?.action == .update)
        #expect(drifted.change(for: vpcAddress)?.changedAttributes == ["enable_dns_hostnames"])
        #expect(drifted.change(for: subnetAddress)?.action == .update)
        #expect(drifted.change(for: subnetAddress)?.changedAttributes == ["tags", "tags_all"])
        let text = PlanRenderer(colour: false).render(drifted)
        #expect(text.contains("enable_dns_hostnames = false -> true"))
        #expect(text.contains("Plan: 0 to add, 2 to change, 0 to destroy."))

        // A saved plan is refused once the live state moved on.
        let file = harness.stack.root.appendingPathComponent("drift.plan")
        try PlanFile.write(drifted, to: file)
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let back = try PlanFile.read(from: file)
        #expect(back.changes == drifted.changes)
        #expect(back.liveFingerprint == drifted.liveFingerprint)
        try await harness.planner.verifyUnchanged(back)
        _ = try await harness.client.query(
            .ec2, action: "ModifyVpcAttribute", parameters: [("VpcId", vpcID), ("EnableDnsSupport.Value", "false")])
        do {
            try await harness.planner.verifyUnchanged(back)
            Issue.record("a changed live state was not noticed")
        } catch let error as PlanError {
            #expect("\(error)".contains("\(vpcAddress) (\(vpcID)) changed (enable_dns_support)"), "\(error)")
        }

        // Drift repaired: carrying out the plan's updates gives no changes again.
        try await harness.carryOut(try await harness.plan())
        let repaired = try await harness.plan()
        #expect(!repaired.hasChanges, "\(repaired.actionable.map { "\($0.address) \($0.changedAttributes)" })")

        // A forcing attribute: the VPC's CIDR (and everything carved out of it).
        try harness.stack.edit { $0.replacingOccurrences(of: scenario.cidr.old, with: scenario.cidr.new) }
        let forced = try await harness.plan()
        #expect(forced.change(for: vpcAddress)?.action == .replace)
        #expect(forced.change(for: vpcAddress)?.replaceBecause == ["cidr_block"])
        // What refers to the VPC's id is replaced with it: the new VPC's id is known only after apply.
        #expect(forced.change(for: subnetAddress)?.action == .replace)
        #expect(forced.change(for: subnetAddress)?.replaceBecause.contains("vpc_id") == true)
        #expect(forced.change(for: subnetAddress)?.after?["vpc_id"] == .unknown(.string))
        #expect(PlanRenderer(colour: false).render(forced).contains("# forces replacement"))
        try harness.stack.edit { $0.replacingOccurrences(of: scenario.cidr.new, with: scenario.cidr.old) }

        // Removed from the files: the inventory module's role, policy and attachment go.
        try harness.stack.edit(Self.removingInventory)
        let removed = try await harness.plan()
        let deletions = removed.changes.filter { $0.action == .delete }
        #expect(deletions.count == 3, "\(deletions.map(\.address))")
        #expect(deletions.contains { $0.address.canonical == "module.inventory.aws_iam_role.role" })
        #expect(deletions.contains { $0.address.canonical == "module.inventory.aws_iam_policy.policy[0]" })
        #expect(deletions.contains { $0.type == "aws_iam_role_policy_attachment" })
        #expect(removed.summary == (0, 0, 3))
        #expect(PlanRenderer(colour: false).render(removed).contains("Plan: 0 to add, 0 to change, 3 to destroy."))
    }

    /// The stack file without its `inventory` module and whatever refers to it.
    static func removingInventory(_ text: String) -> String {
        var kept: [Substring] = []
        var skipping = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  inventory:") { skipping = true; continue }
            if skipping, line.hasPrefix("    ") || line.isEmpty { continue }
            skipping = false
            if line.contains("inventory") { continue }
            kept.append(line)
        }
        // A `modules:` left empty goes too.
        var out: [Substring] = []
        for (index, line) in kept.enumerated() {
            if line == "modules:", index + 1 == kept.count || !kept[index + 1].hasPrefix(" ") { continue }
            out.append(line)
        }
        return out.joined(separator: "\n")
    }

    @Test func terraformJSONShape() async throws {
        let harness = try await PlannerHarness.make()
        defer { harness.stack.remove() }
        let plan = try await harness.plan()
        let document = TerraformPlanJSON(strataVersion: "test").document(plan)
        #expect(document["format_version"] == .string("1.2"))
        let changes = try #require(document["resource_changes"]?.arrayValue)
        #expect(changes.count == 13)
        let subnet = try #require(changes.first { $0["address"] == .string("module.network.aws_subnet.private[0]") })
        #expect(subnet["module_address"] == .string("module.network"))
        #expect(subnet["mode"] == .string("managed"))
        #expect(subnet["type"] == .string("aws_subnet"))
        #expect(subnet["name"] == .string("private"))
        #expect(subnet["index"] == .int(0))
        #expect(subnet["provider_name"] == .string("registry.terraform.io/hashicorp/aws"))
        #expect(subnet["change"]?["actions"] == .array([.string("create")]))
        #expect(subnet["change"]?["before"] == .null)
        #expect(subnet["change"]?["after"]?["cidr_block"] == .string("10.10.0.0/20"))
        #expect(subnet["change"]?["after"]?["vpc_id"] == nil)
        #expect(subnet["change"]?["after_unknown"]?["vpc_id"] == .bool(true))
        #expect(subnet["change"]?["after_unknown"]?["id"] == .bool(true))
        let children = try #require(document["planned_values"]?["root_module"]?["child_modules"]?.arrayValue)
        #expect(children.compactMap { $0["address"]?.stringValue } == ["module.inventory", "module.network"])
        let calls = document["configuration"]?["root_module"]?["module_calls"]
        #expect(calls?["network"]?["module"]?["resources"]?.arrayValue?.isEmpty == false)
        let prior = try #require(document["prior_state"]?["values"]?["root_module"]?["resources"]?.arrayValue)
        let caller = try #require(prior.first { $0["address"] == .string("data.aws_caller_identity.current") })
        #expect(caller["mode"] == .string("data"))
        #expect(caller["values"]?["account_id"] == plan.dataSources.accountID.map(JSONValue.string))
        #expect(prior.contains { $0["address"] == .string("data.aws_availability_zones.available") })
    }

    /// A no-op plan of the core stack, made with an access key of its own so the sandbox's
    /// request log tells its calls from those of tests running alongside: reads only, the
    /// discovery reads shared (one paginated read per type; siblings share one), and only the
    /// reads AWS offers no batch for (one per live resource) on top.
    @Test func aNoOpPlanCostsAFewCallsPerType() async throws {
        let harness = try await PlannerHarness.make(text: PlannerHarness.core)
        defer { harness.stack.remove() }
        try await harness.carryOut(try await harness.plan())
        let own = try await harness.sandbox.keyOfItsOwn(user: "planner-count-\(harness.stack.name)")
        let (counted, keyID, url) = (own.client, own.accessKeyID, harness.sandbox.url)
        let context = ProviderContext(client: counted, stack: harness.stack.name, region: Sandbox.region)
        let (graph, program) = try harness.stack.compileProgram()
        let plan = try await Planner(context: context).plan(graph, program: program)
        #expect(!plan.hasChanges)

        let calls = try await Self.requests(at: url).filter { $0.accessKeyID == keyID }
        let byAction = Dictionary(grouping: calls, by: { "\($0.service)/\($0.action)" }).mapValues(\.count)
        let summary = byAction.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let writes = calls.filter { call in !["Describe", "List", "Get"].contains { call.action.hasPrefix($0) } }
        #expect(writes.isEmpty, "\(summary)")
        // Reads with no batch form: one (or two) per live resource of the type in the account.
        let perResource: Set<String> = [
            "ec2/DescribeVpcAttribute", "eks/DescribeCluster", "iam/ListPolicyTags", "eks/DescribeNodegroup",
            "eks/DescribeAddon", "eks/ListNodegroups", "eks/ListAddons", "eks/ListAccessEntries",
            "eks/ListPodIdentityAssociations", "eks/DescribeAccessEntry", "eks/ListAssociatedAccessPolicies",
            "eks/DescribePodIdentityAssociation", "kms/DescribeKey", "kms/GetKeyRotationStatus",
            "kms/GetKeyPolicy", "sqs/GetQueueAttributes", "events/ListTargetsByRule", "iam/GetOpenIDConnectProvider",
            "iam/ListInstanceProfileTags", "iam/GetRole", "iam/ListRoleTags", "ec2/DescribeLaunchTemplateVersions",
        ]
        let batched = calls.filter { !perResource.contains("\($0.service)/\($0.action)") }
        let types = ProviderRegistry.all.count
        // Two per type at most, plus the data sources (STS, zones; no cluster, so no SSM).
        #expect(batched.count <= 2 * types + 2, "\(batched.count) batched reads for \(types) types: \(summary)")
        for (action, count) in byAction where !perResource.contains(action) {
            #expect(count <= 4, "\(action) called \(count) times in one plan: \(summary)")
        }
        print(
            "no-op plan of \(plan.changes.count) resources, \(types) provider types: \(calls.count) calls (\(batched.count) batched): \(summary)"
        )
    }

    struct LoggedRequest: Decodable {
        var service: String
        var action: String
        var accessKeyID: String?

        enum CodingKeys: String, CodingKey {
            case service, action
            case accessKeyID = "access_key_id"
        }
    }

    /// The sandbox's request log with the access key of each call (the shared helper's entries
    /// leave it out).
    static func requests(at url: URL) async throws -> [LoggedRequest] {
        let response = try await CurlTransport().send(
            HTTPRequest(method: "GET", url: url.appendingPathComponent("_sandbox/requests"), timeout: .seconds(30)))
        struct Log: Decodable { var requests: [LoggedRequest] }
        return try JSONDecoder().decode(Log.self, from: response.body).requests
    }
}
