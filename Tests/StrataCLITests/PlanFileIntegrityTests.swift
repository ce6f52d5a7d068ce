import Foundation
import StrataTestSupport
import Testing

/// `strata apply PLANFILE` with a plan file changed after `plan --out` wrote it: refused before
/// a single request, naming what was changed. The runs sign with an access key of their own,
/// so the sandbox's request log counts their calls alone (tests run alongside on it).
@Suite struct PlanFileIntegrityTests {
    @Test func anEditedPlanFileIsRefusedBeforeAnyRequestNamingWhatWasChanged() async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(of: "demo")
        defer { copy.remove() }
        let own = try await sandbox.keyOfItsOwn(user: "planfile-\(copy.stack)")
        let env = copy.environment(sandbox, ["AWS_ACCESS_KEY_ID": own.accessKeyID, "AWS_SECRET_ACCESS_KEY": own.secretAccessKey])
        let saved = copy.root.appendingPathComponent("demo.plan")
        let plan = try await StrataBinary.run(["plan", copy.path, "--out", saved.path], environment: env)
        try #require(plan.status == 0, "plan failed:\n\(plan.stdout)\n\(plan.stderr)")
        let original = try Data(contentsOf: saved)

        let vpc = "module.network.aws_vpc.vpc"
        let role = "module.inventory.aws_iam_role.role"
        let edits: [(what: String, edit: (inout [String: Any]) throws -> Void, named: [String])] = [
            ("a VPC's CIDR", { try Self.change(vpc, in: &$0) { $0["cidr_block"] = "10.99.0.0/16" } }, ["\(vpc): after.cidr_block"]),
            (
                "a role's trust policy opened to every AWS principal",
                {
                    try Self.change(role, in: &$0) { after in
                        let policy = try #require(after["assume_role_policy"] as? String)
                        after["assume_role_policy"] = policy.replacingOccurrences(
                            of: #"{"Service":"ec2.amazonaws.com"}"#, with: #"{"AWS":"*"}"#)
                        #expect(after["assume_role_policy"] as? String != policy)
                    }
                }, ["\(role): after.assume_role_policy"]
            ),
            ("the stack's name", { $0["stack"] = "someone-elses" }, ["changed: stack"]),
        ]
        for (what, edit, named) in edits {
            var document = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
            try edit(&document)
            let edited = copy.root.appendingPathComponent("edited.plan")
            try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys]).write(to: edited)
            try await Self.expectRefused(edited, env, sandbox, own.accessKeyID, what: what, naming: named)
        }
        let truncated = copy.root.appendingPathComponent("truncated.plan")
        try original.prefix(original.count / 2).write(to: truncated)
        try await Self.expectRefused(
            truncated, env, sandbox, own.accessKeyID, what: "a truncated plan", naming: ["is not a whole strata plan file", "truncated"])
        #expect(try await StackCensus.take(sandbox.client(), stack: copy.stack).isEmpty, "an edited plan created something")

        // The file as written applies.
        let apply = try await StrataBinary.run(["apply", saved.path, "--auto-approve"], environment: env)
        #expect(apply.status == 0, "the unedited plan did not apply:\n\(apply.stdout)\n\(apply.stderr)")
        let census = try await StackCensus.take(sandbox.client(), stack: copy.stack)
        #expect(census.vpcs == 1 && census.roles == 1, "\(census)")

        // A saved plan of updates (planned against live values) applies as well:
        // the check against the stack files sees what the planner saw.
        let stackFile = URL(fileURLWithPath: copy.path).appendingPathComponent("stack.yaml")
        let text = try String(contentsOf: stackFile, encoding: .utf8)
        try copy.write(
            text.replacingOccurrences(of: "env: demo", with: "env: staging").replacingOccurrences(of: "Reads the demo", with: "Reads the"))
        let replan = try await StrataBinary.run(["plan", copy.path, "--out", saved.path], environment: env)
        #expect(replan.stdout.contains("updated in-place"), "\(replan.stdout)")
        let reapply = try await StrataBinary.run(["apply", saved.path, "--auto-approve"], environment: env)
        #expect(reapply.status == 0, "the saved plan of updates did not apply:\n\(reapply.stdout)\n\(reapply.stderr)")
        let after = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
        #expect(after.status == 0, "changes left after applying the saved plan:\n\(after.stdout)\n\(after.stderr)")
        let destroy = try await StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: env)
        #expect(destroy.status == 0, "\(destroy.stdout)\n\(destroy.stderr)")
    }

    /// Applies `file`, which must fail with exit 1 naming each of `named`, with not one request
    /// signed by `keyID` reaching the sandbox.
    static func expectRefused(
        _ file: URL, _ env: [String: String], _ sandbox: Sandbox, _ keyID: String, what: String, naming named: [String]
    ) async throws {
        let before = try await sandbox.requests().filter { $0.accessKeyID == keyID }.count
        let apply = try await StrataBinary.run(["apply", file.path, "--auto-approve"], environment: env)
        #expect(apply.status == 1, "\(what): exit \(apply.status)\n\(apply.stdout)\n\(apply.stderr)")
        for name in named { #expect(apply.stderr.contains(name), "\(what): the error should name \(name):\n\(apply.stderr)") }
        let sent = try await sandbox.requests().filter { $0.accessKeyID == keyID }.count - before
        #expect(sent == 0, "\(what): \(sent) requests were sent before refusing")
    }

    /// Edits the `after` of the change at `address` in a plan file's JSON.
    static func change(_ address: String, in document: inout [String: Any], _ edit: (inout [String: Any]) throws -> Void) throws {
        var changes = try #require(document["changes"] as? [[String: Any]])
        let index = try #require(changes.firstIndex { $0["address"] as? String == address }, "no change for \(address)")
        var after = try #require(changes[index]["after"] as? [String: Any])
        try edit(&after)
        changes[index]["after"] = after
        document["changes"] = changes
    }
}
