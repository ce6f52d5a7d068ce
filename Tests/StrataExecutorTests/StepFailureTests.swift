import AWSClient
import StrataModel
import StrataProviders
import Testing

@testable import StrataExecutor

/// What a failed step becomes: one ProviderError pointing at the stack line at fault, when it
/// can be told, and at the resource's block otherwise; never at a guess.
@Suite struct StepFailureTests {
    static let file = "stacks/dev/stack.yaml"
    static let block = SourceSpan(file: file, line: 4, column: 3, length: 7)
    static let spans = [
        "vpc_id": SourceSpan(file: file, line: 6, column: 13, length: 21),
        "cidr_block": SourceSpan(file: file, line: 7, column: 17, length: 11),
        "availability_zone": SourceSpan(file: file, line: 8, column: 24, length: 10),
        "tags": SourceSpan(file: file, line: 9, column: 11, length: 20),
    ]

    static func change(sensitive: [String] = []) throws -> ResourceChange {
        ResourceChange(
            address: try #require(ResourceAddress(parsing: "aws_subnet.private")), type: "aws_subnet", plane: .network,
            action: .create, before: nil,
            after: [
                "vpc_id": .string("vpc-0badc0ffee1234567"), "cidr_block": .string("10.0.1.0/24"),
                "availability_zone": .string("us-east-1a"), "tags": .map(["token": .string("s3cr3t-value")]),
            ],
            sensitiveAttributes: sensitive, span: block, attributeSpans: spans)
    }

    static func aws(_ code: String, _ message: String) -> AWSError {
        AWSError(service: "ec2", code: code, message: message, httpStatus: 400, requestID: "req-1")
    }

    @Test func theAttributeAWSNamesByItsWireNameIsAtFault() throws {
        let failure = ProviderError(
            Self.aws("InvalidParameterValue", "Value (10.0.1.0/33) for parameter cidrBlock is invalid."), of: try Self.change())
        #expect(failure.attribute == "cidr_block")
        #expect(failure.span == Self.spans["cidr_block"])
        #expect(failure.address?.canonical == "aws_subnet.private")
        #expect(failure.awsCode == "InvalidParameterValue" && failure.requestID == "req-1")
    }

    @Test func theAttributeWhoseValueAWSQuotesIsAtFault() throws {
        let failure = ProviderError(Self.aws("InvalidVpcID.NotFound", "VpcID vpc-0badc0ffee1234567 does not exist."), of: try Self.change())
        #expect(failure.attribute == "vpc_id")
        #expect(failure.span == Self.spans["vpc_id"])
    }

    /// Two attributes fit (both values quoted): no guess, the block.
    @Test func whenSeveralFitTheBlockIsBlamed() throws {
        let failure = ProviderError(
            Self.aws("InvalidSubnet.Conflict", "The CIDR '10.0.1.0/24' conflicts in us-east-1a with another subnet"), of: try Self.change())
        #expect(failure.attribute == nil)
        #expect(failure.span == Self.block)
    }

    @Test func aProviderErrorKeepsItsAttributeAndGainsItsSpan() throws {
        let thrown = ProviderError(
            type: "aws_subnet", attribute: "availability_zone", reason: .invalidAttribute(problem: "is not known yet"))
        let failure = ProviderError(thrown, of: try Self.change())
        #expect(failure.attribute == "availability_zone")
        #expect(failure.span == Self.spans["availability_zone"])
        #expect(failure.address?.canonical == "aws_subnet.private")
        #expect(failure.diagnostic(action: "create").summary == "create aws_subnet.private failed: `availability_zone` is not known yet")
    }

    /// A delete AWS kept refusing stays AWS's refusal (code, request id) and names what uses it.
    @Test func aBlockedDeleteKeepsTheAWSCodeAndNamesTheBlockers() throws {
        let blocked = ExecutorError.deleteBlocked(
            try #require(ResourceAddress(parsing: "aws_subnet.private")), id: "subnet-1",
            Self.aws("DependencyViolation", "The subnet 'subnet-1' has dependencies and cannot be deleted."),
            blockers: ["network interface eni-1 (untagged)"])
        let failure = ProviderError(blocked, of: try Self.change())
        #expect(failure.awsCode == "DependencyViolation" && failure.requestID == "req-1")
        #expect(failure.what.contains("subnet-1 is still in use by network interface eni-1 (untagged)"))
    }

    /// So does a controller's leftover the destroy's sweep could not delete.
    @Test func aBlockedSweepKeepsTheAWSCode() throws {
        let blocked = SweepBlocked(
            what: "security group sg-1", error: Self.aws("DependencyViolation", "resource sg-1 has a dependent object"),
            blockers: ["load balancer k8s-web"], waited: .seconds(60))
        let sweep = ResourceAddress(module: nil, type: "sweep", name: "controllers")
        let failure = OperationFailure(address: sweep, action: "sweep", error: blocked)
        #expect(failure.code == "DependencyViolation" && failure.requestID == "req-1")
        #expect(failure.error.what.contains("security group sg-1 is still in use by load balancer k8s-web"))
    }

    struct Broken: Error, CustomStringConvertible {
        var description: String { "the connection to ec2.us-east-1.amazonaws.com broke" }
    }

    /// Any other error keeps its text and points at the block.
    @Test func anyOtherErrorPointsAtTheBlock() throws {
        let failure = ProviderError(Broken(), of: try Self.change())
        #expect(failure.span == Self.block)
        #expect(failure.what == "the connection to ec2.us-east-1.amazonaws.com broke")
        #expect(failure.diagnostic(action: "create").notes.map { $0.message } == ["resource aws_subnet.private"])
    }

    /// A secret is never matched (its value would name its attribute) and is scrubbed from the message.
    @Test func aSecretIsNeitherMatchedNorShown() throws {
        let change = try Self.change(sensitive: ["tags"])
        let failure = SecretScrubbing.hiding(
            change.secretTexts,
            in: ProviderError(Self.aws("InvalidParameterValue", "Value 's3cr3t-value' at 'tags.1.member.value' is invalid"), of: change))
        #expect(failure.attribute == nil)
        #expect(!failure.what.contains("s3cr3t-value"))
        #expect(failure.awsCode == "InvalidParameterValue")
    }
}
