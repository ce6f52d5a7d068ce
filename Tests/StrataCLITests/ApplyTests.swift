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
            for key in ["id", "plane", "kind", "payload", "timestamp", "correlationId"] {
                #expect(event[key] != nil, "\(key) missing in \(event)")
            }
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

    /// A stack written from `text`, given the unique stack name (a stack of its own, no
    /// modules): the forms the shipped stacks never use.
    init(writing text: (String) throws -> String, stackName: String = "t-" + UUID().uuidString.prefix(8).lowercased()) throws {
        stack = stackName
        root = FileManager.default.temporaryDirectory.appendingPathComponent("strata-\(stackName)")
        let folder = root.appendingPathComponent("stacks/\(stackName)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try write(text(stackName))
    }

    /// Rewrites stack.yaml.
    func write(_ text: String) throws {
        try text.write(to: URL(fileURLWithPath: path).appendingPathComponent("stack.yaml"), atomically: true, encoding: .utf8)
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
