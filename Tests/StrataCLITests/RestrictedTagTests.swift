import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

/// IAM and CloudWatch Logs accept only letters, digits, spaces and `_ . : / = + - @` in tag
/// values, and an address with a key (`aws_iam_role.irsa["a"]`, `aws_cloudwatch_log_group.l[0]`)
/// has brackets and quotes: AWS refused every IAM role, policy and log group a stack declared with
/// `for_each` or `count` (moto did not, so no test saw it; the sandbox now refuses as AWS does).
/// Those resources carry their address escaped (`=5B=22a=22=5D`), and strata reads it back.
@Suite struct RestrictedTagTests {
    @Test(.timeLimit(.minutes(5))) func keyedIAMRolesAndLogGroupsApplyAndPlanNoChanges() async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(writing: { name in
            """
            stack: \(name)
            region: us-east-1
            resources:
              irsa:
                type: aws_iam_role
                for_each: { "app-a": 1, "app=b": 2 }
                name: \(name)-${each.key}
                assume_role_policy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Principal: { Service: ec2.amazonaws.com }, Action: "sts:AssumeRole" }] }
              logs:
                type: aws_cloudwatch_log_group
                count: 2
                name: /\(name)/${count.index}

            """
        })
        defer { copy.remove() }
        let env = copy.environment(sandbox)
        let apply = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
        #expect(apply.status == 0, "\(apply.stdout)\n\(apply.stderr)")
        #expect(apply.stdout.contains("Apply complete: 4 created"), "\(apply.stdout)")
        let plan = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
        #expect(plan.status == 0, "the plan after apply has changes:\n\(plan.stdout)\n\(plan.stderr)")

        let tags = try await sandbox.client().query(.iam, action: "ListRoleTags", parameters: [("RoleName", "\(copy.stack)-app=b")])
        let values = tags.first(named: "Tags")?.items.compactMap { $0.child("Value")?.text } ?? []
        #expect(values.contains(#"aws_iam_role.irsa=5B=22app=3Db=22=5D"#), "\(values)")

        let destroy = try await StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: env)
        #expect(destroy.status == 0, "\(destroy.stdout)\n\(destroy.stderr)")
        #expect(destroy.stdout.contains("4 deleted"), "\(destroy.stdout)")
    }

    @Test func aUserTagTheseServicesRefuseIsACompileError() async throws {
        let copy = try StackCopy(writing: { name in
            """
            stack: \(name)
            region: us-east-1
            resources:
              logs:
                type: aws_cloudwatch_log_group
                name: /\(name)
                tags: { owner: "team#7" }

            """
        })
        defer { copy.remove() }
        let validate = try await StrataBinary.run(["validate", copy.path])
        #expect(validate.status == 1)
        #expect(
            validate.stderr.contains("error: the value of tag `owner` holds `#`, which aws_cloudwatch_log_group does not accept in a tag"),
            "\(validate.stderr)")
    }
}
