import Foundation
import StrataModel
import StrataTestSupport
import Testing

/// A resource AWS refuses because of a value in the stack is reported like a compiler
/// diagnostic: the file, line and column of the attribute that set it, the line itself with a
/// caret (when the stack's text is at hand), the AWS code and the request id, and the resource;
/// the `--events` file carries the same facts as fields of their own.
@Suite struct StructuredErrorTests {
    /// A subnet in a VPC id the account does not have: nothing before AWS can tell the id is
    /// wrong (it is a literal, not a reference), and AWS refuses the create.
    static func stack(_ name: String) -> String {
        """
        stack: \(name)
        region: us-east-1
        resources:
          private:
            type: aws_subnet
            vpc_id: vpc-0badc0ffee1234567
            cidr_block: 10.0.1.0/24

        """
    }

    @Test(.timeLimit(.minutes(2))) func anAWSRefusalPointsAtTheStackLineThatCausedIt() async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(writing: Self.stack)
        defer { copy.remove() }
        let events = copy.root.appendingPathComponent("events.jsonl")
        let apply = try await StrataBinary.run(
            ["apply", copy.path, "--auto-approve", "--events", events.path], environment: copy.environment(sandbox), in: copy.root)
        #expect(apply.status == 1, "\(apply.stdout)\n\(apply.stderr)")
        let failed = try #require(
            Self.events(events).first { $0["kind"]?.stringValue == "resource.failed" }?["payload"], "no resource.failed event")
        #expect(failed["address"]?.stringValue == "aws_subnet.private")
        #expect(failed["errorCode"]?.stringValue == "InvalidVpcID.NotFound")
        #expect(failed["attribute"]?.stringValue == "vpc_id")
        let requestID = try #require(failed["requestId"]?.stringValue, "\(failed)")
        #expect(failed["source"]?.stringValue.map { $0.hasSuffix("stack.yaml:6:13") } == true, "\(failed)")

        let err = apply.stderr
        let file = "stacks/\(copy.stack)/stack.yaml"
        #expect(err.contains("\(file):6:13: error: create aws_subnet.private failed: "), "\(err)")
        #expect(err.contains("6 |     vpc_id: vpc-0badc0ffee1234567\n"), "the stack line is quoted: \(err)")
        #expect(err.contains("  |             ^~~~~~~~~~~~~~~~~~~~~\n"), "a caret under the value: \(err)")
        #expect(err.contains("note: AWS code InvalidVpcID.NotFound, request id \(requestID)"), "\(err)")
        #expect(err.contains("note: resource aws_subnet.private, attribute `vpc_id`"), "\(err)")
        #expect(apply.stdout.contains("Apply failed: 0 created"), "\(apply.stdout)")
    }

    /// Applied from a plan file, the stack's text is not at hand (a plan file carries none yet):
    /// the failure still names file:line:col, without the quoted line.
    @Test(.timeLimit(.minutes(2))) func fromAPlanFileTheFailureStillNamesItsPosition() async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(writing: Self.stack)
        defer { copy.remove() }
        let env = copy.environment(sandbox)
        let planFile = copy.root.appendingPathComponent("plan.bin").path
        let plan = try await StrataBinary.run(["plan", copy.path, "--out", planFile], environment: env, in: copy.root)
        try #require(plan.status == 0, "\(plan.stdout)\n\(plan.stderr)")
        let apply = try await StrataBinary.run(["apply", planFile], environment: env, in: copy.root)
        #expect(apply.status == 1, "\(apply.stdout)\n\(apply.stderr)")
        #expect(apply.stderr.contains("stack.yaml:6:13: error: create aws_subnet.private failed: "), "\(apply.stderr)")
        #expect(apply.stderr.contains("note: AWS code InvalidVpcID.NotFound, request id "), "\(apply.stderr)")
        #expect(!apply.stderr.contains("6 |"), "no source to quote: \(apply.stderr)")
    }

    static func events(_ url: URL) throws -> [JSONValue] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { try JSONValue.parse(Data($0.utf8)) }
    }
}
