import AWSClient
import Foundation
import StrataTestSupport
import Testing

/// `strata apply`, `plan`, `output` and `destroy` end to end: the built binary against the
/// sandbox, each test on its own copy of a shipped stack under a unique stack name so tests run
/// side by side.
@Suite struct ApplyTests {
    @Test func applyThenPlanSaysNoChangesThenDestroyLeavesNothingTagged() async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(of: "demo")
        defer { copy.remove() }
        let env = copy.environment(sandbox)
        let events = copy.root.appendingPathComponent("events.jsonl")

        let apply = try await StrataBinary.run(["apply", copy.path, "--auto-approve", "--events", events.path], environment: env)
        #expect(apply.status == 0, "apply failed:\n\(apply.stdout)\n\(apply.stderr)")
        #expect(apply.stdout.contains("Apply complete: 13 created"), "\(apply.stdout)")

        // What a user cares about: the resources exist, once, with the ownership tags.
        let client = sandbox.client()
        let census = try await StackCensus.take(client, stack: copy.stack)
        #expect(census.vpcs == 1 && census.subnets == 4 && census.roles == 1 && census.policies == 1, "\(census)")
        #expect(census.untaggedInVPC.isEmpty, "untagged resources in the stack's VPC: \(census.untaggedInVPC)")

        let plan = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
        #expect(plan.status == 0, "plan after apply has changes:\n\(plan.stdout)\n\(plan.stderr)")
        #expect(plan.stdout.contains("No changes."))

        let output = try await StrataBinary.run(["output", copy.path, "--json"], environment: env)
        #expect(output.status == 0, "\(output.stderr)")
        let outputs = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
        let vpcID = outputs?["vpc_id"] as? String
        #expect(vpcID == census.vpcIDs.first, "output vpc_id \(vpcID ?? "nil") is not the live VPC \(census.vpcIDs)")
        #expect((outputs?["private_subnet_ids"] as? [String])?.count == 2)

        // The events file: JSON lines, one run id, every created resource reported with its id.
        let lines = try String(contentsOf: events, encoding: .utf8).split(separator: "\n")
        let parsed = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        #expect(Set(parsed.compactMap { $0["correlationId"] as? String }).count == 1)
        #expect(parsed.filter { $0["kind"] as? String == "resource.created" }.count == 13)
        for event in parsed {
            for key in ["id", "plane", "kind", "payload", "timestamp", "correlationId"] { #expect(event[key] != nil, "\(key) missing in \(event)") }
        }

        let destroy = try await StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: env)
        #expect(destroy.status == 0, "destroy failed:\n\(destroy.stdout)\n\(destroy.stderr)")
        let after = try await StackCensus.take(client, stack: copy.stack)
        #expect(after.isEmpty, "left after destroy: \(after)")
    }

    @Test func applyWithoutATerminalOrAutoApproveRefusesAndChangesNothing() async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(of: "demo")
        defer { copy.remove() }
        let result = try await StrataBinary.run(["apply", copy.path], environment: copy.environment(sandbox))
        #expect(result.status == 1)
        #expect(result.stderr.contains("--auto-approve"), "\(result.stderr)")
        #expect(try await StackCensus.take(sandbox.client(), stack: copy.stack).isEmpty)
    }

    @Test func aSecondApplyOfALockedStackFailsAtOnceNamingTheHolder() async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(of: "demo")
        defer { copy.remove() }
        let client = sandbox.client()
        // A live lease held by another run, written as that run would.
        try await Self.ensureLockTable(client)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        _ = try await client.json(
            .dynamodb, action: "PutItem",
            body: [
                "TableName": "strata-locks",
                "Item": [
                    "LockID": ["S": .string(copy.stack)], "owner": ["S": "ci@runner-7"], "runId": ["S": "run-elsewhere"],
                    "since": ["N": .string(String(now))], "expires": ["N": .string(String(now + 60_000))],
                ],
            ], idempotent: true)
        let started = Date()
        let blocked = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: copy.environment(sandbox))
        #expect(blocked.status == 1)
        #expect(blocked.stderr.contains("locked by ci@runner-7"), "\(blocked.stderr)")
        #expect(blocked.stderr.contains("run-elsewhere"))
        #expect(Date().timeIntervalSince(started) < 20, "it should fail at once, not wait")
        #expect(try await StackCensus.take(client, stack: copy.stack).isEmpty)

        let wrong = try await StrataBinary.run(["force-unlock", copy.path, "not-the-run"], environment: copy.environment(sandbox))
        #expect(wrong.status == 1 && wrong.stderr.contains("run-elsewhere"), "\(wrong.stderr)")
        let unlock = try await StrataBinary.run(["force-unlock", copy.path, "run-elsewhere"], environment: copy.environment(sandbox))
        #expect(unlock.status == 0, "\(unlock.stderr)")
        let apply = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: copy.environment(sandbox))
        #expect(apply.status == 0, "\(apply.stdout)\n\(apply.stderr)")
        let destroy = try await StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: copy.environment(sandbox))
        #expect(destroy.status == 0, "\(destroy.stdout)\n\(destroy.stderr)")
    }
}

extension ApplyTests {
    /// The lock table as strata creates it on first use (another test may be creating it too).
    static func ensureLockTable(_ client: AWSClient) async throws {
        do {
            _ = try await client.json(
                .dynamodb, action: "CreateTable",
                body: [
                    "TableName": "strata-locks", "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [["AttributeName": "LockID", "AttributeType": "S"]],
                    "KeySchema": [["AttributeName": "LockID", "KeyType": "HASH"]],
                ])
        } catch let error as AWSError where error.code == "ResourceInUseException" {}
    }
}

/// A shipped stack copied to a temporary folder (with the modules it uses) under a unique stack
/// name, and with its account-unique names (the IAM role) made unique too, so tests never
/// collide in the shared sandbox.
struct StackCopy {
    let root: URL
    let stack: String
    var path: String { root.appendingPathComponent("stacks/\(stack)").path }

    init(of name: String, stackName: String = "t-" + UUID().uuidString.prefix(8).lowercased()) throws {
        stack = stackName
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        root = FileManager.default.temporaryDirectory.appendingPathComponent("strata-\(stackName)")
        let manager = FileManager.default
        try? manager.removeItem(at: root)
        try manager.createDirectory(at: root.appendingPathComponent("stacks"), withIntermediateDirectories: true)
        try manager.copyItem(at: repository.appendingPathComponent("modules"), to: root.appendingPathComponent("modules"))
        let source = repository.appendingPathComponent("stacks/\(name)")
        let target = root.appendingPathComponent("stacks/\(stackName)")
        try manager.copyItem(at: source, to: target)
        let file = target.appendingPathComponent("stack.yaml")
        var text = try String(contentsOf: file, encoding: .utf8)
        text = text.replacingOccurrences(of: "\nstack: \(name)\n", with: "\nstack: \(stackName)\n")
        // Names AWS wants unique per account: prefix them with the stack.
        text = text.replacingOccurrences(of: "name: \(name)-", with: "name: \(stackName)-")
        text = text.replacingOccurrences(of: "name: \(name)\n", with: "name: \(stackName)\n")
        try text.write(to: file, atomically: true, encoding: .utf8)
    }

    func environment(_ sandbox: Sandbox, _ extra: [String: String] = [:]) -> [String: String] {
        environment(sandbox.environment, extra)
    }

    func environment(_ base: [String: String], _ extra: [String: String] = [:]) -> [String: String] {
        var env = base
        env["STRATA_POLL_INTERVAL_MS"] = "50"
        for (key, value) in extra { env[key] = value }
        return env
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

/// What the sandbox holds for a stack, counted with raw tag-filtered describes (not strata's own
/// discovery, so a bug there cannot hide a leftover).
struct StackCensus: CustomStringConvertible {
    var vpcIDs: [String] = []
    var subnets = 0
    var routeTables = 0
    var internetGateways = 0
    var natGateways = 0
    var securityGroups = 0
    var roles = 0
    var policies = 0
    var clusters = 0
    /// Resources inside the stack's VPCs without the stack tag (AWS's own main route table,
    /// default security group and network ACL excepted).
    var untaggedInVPC: [String] = []

    var vpcs: Int { vpcIDs.count }
    var isEmpty: Bool {
        vpcs + subnets + routeTables + internetGateways + natGateways + securityGroups + roles + policies + clusters == 0
    }

    var description: String {
        "vpcs \(vpcs), subnets \(subnets), route tables \(routeTables), igws \(internetGateways), nats \(natGateways), "
            + "security groups \(securityGroups), roles \(roles), policies \(policies), clusters \(clusters), untagged \(untaggedInVPC)"
    }

    static func take(_ client: AWSClient, stack: String) async throws -> StackCensus {
        var census = StackCensus()
        let tagFilter: [(name: String, value: String)] = [("Filter.1.Name", "tag:strata:stack"), ("Filter.1.Value.1", stack)]
        census.vpcIDs = try await ec2(client, "DescribeVpcs", tagFilter).compactMap { $0.child("vpcId")?.text }
        census.subnets = try await ec2(client, "DescribeSubnets", tagFilter).count
        census.routeTables = try await ec2(client, "DescribeRouteTables", tagFilter).count
        census.internetGateways = try await ec2(client, "DescribeInternetGateways", tagFilter).count
        census.natGateways = try await ec2(client, "DescribeNatGateways", [("Filter.1.Name", "tag:strata:stack"), ("Filter.1.Value.1", stack), ("Filter.2.Name", "state"), ("Filter.2.Value.1", "available"), ("Filter.2.Value.2", "pending")])
            .filter { ["available", "pending"].contains($0.child("state")?.text ?? "") }.count
        census.securityGroups = try await ec2(client, "DescribeSecurityGroups", tagFilter).count
        let roles = try await client.query(.iam, action: "ListRoles", parameters: [("PathPrefix", "/strata/\(stack)/")])
        census.roles = roles.first(named: "Roles")?.items.count ?? 0
        let policies = try await client.query(
            .iam, action: "ListPolicies", parameters: [("PathPrefix", "/strata/\(stack)/"), ("Scope", "Local")])
        census.policies = policies.first(named: "Policies")?.items.count ?? 0
        for vpc in census.vpcIDs {
            let inVPC: [(name: String, value: String)] = [("Filter.1.Name", "vpc-id"), ("Filter.1.Value.1", vpc)]
            for subnet in try await ec2(client, "DescribeSubnets", inVPC) where !tagged(subnet, stack) {
                census.untaggedInVPC.append(subnet.child("subnetId")?.text ?? "subnet")
            }
            for table in try await ec2(client, "DescribeRouteTables", inVPC) where !tagged(table, stack) {
                let main = table.child("associationSet")?.items.contains { $0.child("main")?.text == "true" } ?? false
                if !main { census.untaggedInVPC.append(table.child("routeTableId")?.text ?? "route table") }
            }
            for group in try await ec2(client, "DescribeSecurityGroups", inVPC) where !tagged(group, stack) {
                if group.child("groupName")?.text != "default" { census.untaggedInVPC.append(group.child("groupId")?.text ?? "sg") }
            }
            let gateways = try await ec2(client, "DescribeInternetGateways", [("Filter.1.Name", "attachment.vpc-id"), ("Filter.1.Value.1", vpc)])
            for gateway in gateways where !tagged(gateway, stack) {
                census.untaggedInVPC.append(gateway.child("internetGatewayId")?.text ?? "igw")
            }
        }
        if let clusters = try? await client.rest(.eks, action: "ListClusters", method: "GET", path: "/clusters") {
            for name in clusters["clusters"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                // Other tests delete their clusters concurrently: one gone since the list is not ours.
                guard let cluster = try? await client.rest(.eks, action: "DescribeCluster", method: "GET", path: "/clusters/\(name)")
                else { continue }
                if cluster["cluster"]?["tags"]?["strata:stack"]?.stringValue == stack { census.clusters += 1 }
            }
        }
        return census
    }

    private static func ec2(_ client: AWSClient, _ action: String, _ parameters: [(name: String, value: String)]) async throws -> [XMLNode] {
        let answer = try await client.query(.ec2, action: action, parameters: parameters)
        let set = answer.children.first { $0.name.hasSuffix("Set") }
        let items = set?.items ?? []
        // Checked here too: moto ignores some tag filters (DescribeNatGateways), and a census
        // must not count another stack's resources.
        guard parameters.first?.value == "tag:strata:stack", let stack = parameters.dropFirst().first?.value else { return items }
        return items.filter { tagged($0, stack) }
    }

    private static func tagged(_ item: XMLNode, _ stack: String) -> Bool {
        item.child("tagSet")?.items.contains { $0.child("key")?.text == "strata:stack" && $0.child("value")?.text == stack } ?? false
    }
}
