import Foundation
import StrataProviders
import StrataSyntax
import Testing

@testable import StrataCompiler

/// AWS's own limits are checked at compile time, at the edges AWS draws them.
@Suite struct AWSLimitsTests {
    static func errors(_ resources: String, stack: String = "limits", region: String = "us-east-1") throws -> [String] {
        let scratch = try Scratch(["stack.yaml": "stack: \(stack)\nregion: \(region)\nresources:\n\(resources)"])
        defer { scratch.remove() }
        return scratch.compile().diagnostics.filter { $0.severity == .error }.map(\.summary)
    }

    static func queue(_ name: String) -> String { "  q:\n    type: aws_sqs_queue\n    name: \"\(name)\"\n" }

    @Test func everyLimitNamesAnAttributeOfItsType() {
        for schema in ResourceCatalog.schemas {
            for attribute in schema.limits.keys {
                // `block.field`: a field of a block attribute (`rollout.strategy`).
                let path = attribute.split(separator: ".").map(String.init)
                var known = path.count == 1 && schema.attributes[path[0]] != nil
                if path.count == 2, case .object(let fields)? = schema.attributes[path[0]]?.type { known = fields[path[1]] != nil }
                #expect(known && path.count <= 2, "\(schema.type) limits unknown attribute `\(attribute)`")
            }
        }
    }

    @Test func namesAreCheckedAtAWSsBoundaries() {
        let role = ResourceCatalog.schema(for: "aws_iam_role")?.limits["name"]
        #expect(role?.problem(String(repeating: "r", count: 64)) == nil)
        #expect(role?.problem(String(repeating: "r", count: 65)) == "IAM role names can be at most 64 characters, got 65")
        #expect(role?.problem("node+role=a,b.c@d_e-f") == nil)
        let rolePrefix = ResourceCatalog.schema(for: "aws_iam_role")?.limits["name_prefix"]
        #expect(rolePrefix?.problem(String(repeating: "r", count: 38)) == nil)
        #expect(rolePrefix?.problem(String(repeating: "r", count: 39)) != nil)
        let queue = ResourceCatalog.schema(for: "aws_sqs_queue")?.limits["name"]
        #expect(queue?.problem(String(repeating: "q", count: 75) + ".fifo") == nil)
        #expect(queue?.problem(String(repeating: "q", count: 76) + ".fifo") != nil)
        let cluster = ResourceCatalog.schema(for: "aws_eks_cluster")?.limits["name"]
        #expect(cluster?.problem(String(repeating: "c", count: 100)) == nil)
        #expect(cluster?.problem(String(repeating: "c", count: 101)) != nil)
        let vpc = ResourceCatalog.schema(for: "aws_vpc")?.limits["cidr_block"]
        #expect(vpc?.problem("10.0.0.0/16") == nil)
        #expect(vpc?.problem("10.0.0.0/28") == nil)
        #expect(vpc?.problem("10.0.0.0/15") != nil)
        #expect(vpc?.problem("10.0.0.0/29") != nil)
    }

    @Test func aNameKnownOnlyAfterApplyIsLeftToThePlanner() throws {
        let errors = try Self.errors(
            """
              vpc:
                type: aws_vpc
                cidr_block: 10.0.0.0/16
              q:
                type: aws_sqs_queue
                name: "${vpc.id}_interruptions"
            """)
        #expect(errors.isEmpty, "\(errors)")
    }

    @Test func aNameBuiltFromKnownValuesIsChecked() throws {
        let errors = try Self.errors(Self.queue("${stack.name}.${stack.region}"))
        #expect(errors == ["`name` of `aws_sqs_queue.q`: SQS queue names cannot contain `.`; allowed: letters, digits, `-` and `_`"])
    }

    @Test func moreThanFiftyTagsWithStrataOwnIsAnError() throws {
        let tags = (1...49).map { "      t\($0): x" }.joined(separator: "\n")
        let errors = try Self.errors(Self.queue("q") + "    tags:\n" + tags + "\n")
        #expect(errors == ["`aws_sqs_queue.q` would carry 51 tags; AWS allows at most 50"])
        let fits = (1...48).map { "      t\($0): x" }.joined(separator: "\n")
        #expect(try Self.errors(Self.queue("q") + "    tags:\n" + fits + "\n").isEmpty)
    }

    @Test func tagKeysAndValuesAreBounded() throws {
        let long = String(repeating: "v", count: 257)
        let errors = try Self.errors(Self.queue("q") + "    tags:\n      strata:stack: other\n      team: \(long)\n")
        #expect(errors.contains("tag key `strata:stack` starts with `strata:`, which is reserved for strata's ownership tags"))
        #expect(errors.contains("the value of tag `team` is 257 characters; AWS allows at most 256"))
    }

    @Test func regionsAreAWSsOwnWithASuggestion() throws {
        let scratch = try Scratch(["stack.yaml": "stack: r\nregion: us-east-3\n"])
        defer { scratch.remove() }
        let diagnostic = scratch.compile().diagnostics.first
        #expect(diagnostic?.summary == "`us-east-3` is not a known AWS region")
        #expect(diagnostic?.notes.map(\.message).contains("did you mean `us-east-1`?") == true)
        #expect(try Self.errors("", region: "us-gov-west-1").isEmpty)
        #expect(try Self.errors("", region: "ap-southeast-5").isEmpty)
    }

    @Test func stackNamesFitIAMPathsAndTagValues() throws {
        #expect(try Self.errors("", stack: "preview-pr-12").isEmpty)
        let long = String(repeating: "s", count: 65)
        #expect(try Self.errors("", stack: long).first?.contains("a stack name can be at most 64 characters, got 65") == true)
        #expect(try Self.errors("", stack: "\"prod/east\"").first?.contains("cannot contain `/`") == true)
    }
}
