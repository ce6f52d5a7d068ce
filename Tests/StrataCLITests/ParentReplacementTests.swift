import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

/// A parent replaced while untagged children hang on it: renaming a role with a managed policy
/// attached and an inline policy. Their identity names the old role, so nothing in the stack
/// matched them, and they were left to the role as children nobody declared; AWS then refused to
/// delete the old role (DeleteConflict) for five minutes and the apply failed. They go first
/// now, as Terraform replaces an attachment whose role is replaced (issue 10's class: every
/// child owned by exactly one address, whichever form).
@Suite struct ParentReplacementTests {
    @Test(.timeLimit(.minutes(5))) func renamingARoleMovesItsPoliciesToTheNewOne() async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(writing: { name in Self.stack(name, role: "\(name)-a") })
        defer { copy.remove() }
        let env = copy.environment(sandbox, ["STRATA_DELETE_DEADLINE_SECONDS": "20"])
        let first = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
        try #require(first.status == 0, "\(first.stdout)\n\(first.stderr)")

        try copy.write(Self.stack(copy.stack, role: "\(copy.stack)-b"))
        let plan = try await StrataBinary.run(["plan", copy.path], environment: env)
        #expect(plan.stdout.contains("Plan: 3 to add, 0 to change, 3 to destroy."), "\(plan.stdout)")
        #expect(
            plan.stdout.contains("# a child of aws_iam_role.role, whose old aws_iam_role AWS deletes only without it"), "\(plan.stdout)")
        let apply = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
        #expect(apply.status == 0, "\(apply.stdout)\n\(apply.stderr)")
        #expect(apply.stdout.contains("Apply complete: 3 created, 0 updated, 3 deleted"), "\(apply.stdout)")
        let after = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
        #expect(after.status == 0, "the plan after apply has changes:\n\(after.stdout)\n\(after.stderr)")

        let client = sandbox.client()
        let attached = try await client.query(.iam, action: "ListAttachedRolePolicies", parameters: [("RoleName", "\(copy.stack)-b")])
        #expect(attached.first(named: "PolicyArn")?.text == "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
        let inline = try await client.query(.iam, action: "ListRolePolicies", parameters: [("RoleName", "\(copy.stack)-b")])
        #expect(inline.first(named: "PolicyNames")?.items.map(\.text) == ["inline"])
        await #expect(throws: AWSError.self) {
            try await client.query(.iam, action: "GetRole", parameters: [("RoleName", "\(copy.stack)-a")])
        }
        let destroy = try await StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: env)
        #expect(destroy.status == 0, "\(destroy.stdout)\n\(destroy.stderr)")
    }

    static func stack(_ name: String, role: String) -> String {
        """
        stack: \(name)
        region: us-east-1
        resources:
          role:
            type: aws_iam_role
            name: \(role)
            assume_role_policy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Principal: { Service: ec2.amazonaws.com }, Action: "sts:AssumeRole" }] }
          attach:
            type: aws_iam_role_policy_attachment
            role: ${role.name}
            policy_arn: arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore
          inline:
            type: aws_iam_role_policy
            role: ${role.name}
            name: inline
            policy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "s3:ListBucket", Resource: "*" }] }

        """
    }
}
