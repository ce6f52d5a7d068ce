import AWSClient
import Foundation
import StrataModel
import Testing

/// Encoding and decoding that needs no server: parameter flattening, the service table, error
/// codes, the XML-to-JSON reading.
@Suite struct ProtocolEncodingTests {
    @Test func ec2FiltersAndTagSpecificationsFlattenAsEC2Expects() {
        let filters = QueryValue.filters([(name: "tag:strata:stack", values: ["prod"]), (name: "vpc-id", values: ["vpc-1", "vpc-2"])])
        #expect(
            filters.map { "\($0.name)=\($0.value)" } == [
                "Filter.1.Name=tag:strata:stack", "Filter.1.Value.1=prod",
                "Filter.2.Name=vpc-id", "Filter.2.Value.1=vpc-1", "Filter.2.Value.2=vpc-2",
            ])
        let tags = QueryValue.tagSpecifications(
            resourceType: "vpc", tags: [(key: "strata:stack", value: "prod"), (key: "Name", value: "main")])
        #expect(
            tags.map { "\($0.name)=\($0.value)" } == [
                "TagSpecification.1.ResourceType=vpc",
                "TagSpecification.1.Tag.1.Key=strata:stack", "TagSpecification.1.Tag.1.Value=prod",
                "TagSpecification.1.Tag.2.Key=Name", "TagSpecification.1.Tag.2.Value=main",
            ])
    }

    @Test func queryProtocolListsUseMemberAndMapsUseEntry() {
        let value = QueryValue.structure([
            (name: "Tags", value: .list([.structure([(name: "Key", value: .string("a")), (name: "Value", value: .string("b"))])])),
            (name: "Attributes", value: .map([(key: "k", value: .string("v"))])),
        ])
        #expect(
            value.flattened(prefix: "", protocol: .query).map { "\($0.name)=\($0.value)" } == [
                "Tags.member.1.Key=a", "Tags.member.1.Value=b", "Attributes.entry.1.key=k", "Attributes.entry.1.value=v",
            ])
    }

    @Test func queryBodiesCarryActionVersionAndRFC3986Encoding() {
        let operation = AWSOperation.query(.ec2, action: "DescribeVpcs", parameters: [(name: "Filter.1.Name", value: "tag:a b/c")])
        #expect(String(decoding: operation.body, as: UTF8.self) == "Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=tag%3Aa%20b%2Fc")
        #expect(operation.idempotent)
        #expect(!AWSOperation.query(.ec2, action: "CreateVpc").idempotent)
        #expect(AWSOperation.query(.ec2, action: "CreateNatGateway", idempotent: true).idempotent)
    }

    @Test func jsonCallsNameTheirTargetAndVersion() {
        let operation = AWSOperation.json(.dynamodb, action: "ListTables")
        #expect(operation.headers.contains { $0.name == "X-Amz-Target" && $0.value == "DynamoDB_20120810.ListTables" })
        #expect(operation.headers.contains { $0.name == "Content-Type" && $0.value == "application/x-amz-json-1.0" })
        #expect(String(decoding: operation.body, as: UTF8.self) == "{}")
        let logs = AWSOperation.json(.logs, action: "DescribeLogGroups")
        #expect(logs.headers.contains { $0.value == "Logs_20140328.DescribeLogGroups" })
        #expect(logs.headers.contains { $0.value == "application/x-amz-json-1.1" })
    }

    @Test func restPathsEncodeUserValues() throws {
        let arn = "arn:aws:eks:us-east-1:123456789012:cluster/demo"
        let operation = AWSOperation.rest(
            .eks, action: "ListTagsForResource", method: "GET", path: "/tags/" + AWSOperation.pathSegment(arn))
        let url = try #require(operation.url(at: URL(string: "http://127.0.0.1:4750")!))
        #expect(url.absoluteString == "http://127.0.0.1:4750/tags/arn%3Aaws%3Aeks%3Aus-east-1%3A123456789012%3Acluster%2Fdemo")
        #expect(operation.idempotent)
        #expect(operation.isReadOnly)
        let raw = try RawRequest(service: .eks, target: "/clusters").operation()
        #expect(raw.isReadOnly && raw.idempotent)
        let create = try RawRequest(service: .eks, target: "/clusters", jsonBody: "{}").operation()
        #expect(!create.isReadOnly && !create.idempotent)
    }

    @Test func servicesResolveByNameAliasAndServiceID() {
        #expect(AWSService.named("eventbridge") == .events)
        #expect(AWSService.named("EventBridge") == .events)
        #expect(AWSService.named("cloudwatch-logs") == .logs)
        #expect(AWSService.named("CloudWatch Logs".replacingOccurrences(of: " ", with: "-")) == .logs)
        #expect(AWSService.named("EC2") == .ec2)
        #expect(AWSService.named("s3") == nil)
        #expect(AWSService.logs.endpointEnvironmentSuffix == "CLOUDWATCH_LOGS")
        #expect(AWSService.iam.signingRegion(for: "eu-west-1") == "us-east-1")
        #expect(AWSService.eks.defaultEndpoint(region: "eu-west-1").absoluteString == "https://eks.eu-west-1.amazonaws.com")
    }

    @Test func errorCodesLoseTheirNamespaceAndSuffix() {
        let body = Data(
            #"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}"#
                .utf8)
        let error = AWSError.parse(
            HTTPResponse(status: 400, headers: [(name: "x-amzn-RequestId", value: "R1")], body: body), service: .dynamodb)
        #expect(error.code == "ConditionalCheckFailedException")
        #expect(error.requestID == "R1")
        let rest = AWSError.parse(
            HTTPResponse(
                status: 404, headers: [(name: "x-amzn-ErrorType", value: "ResourceNotFoundException:http://internal.amazon.com/")],
                body: Data()),
            service: .eks)
        #expect(rest.code == "ResourceNotFoundException")
        #expect(rest.isNotFound)
        let html = AWSError.parse(
            HTTPResponse(status: 500, headers: [], body: Data("<html><title>Oops</title></html>".utf8)), service: .ec2)
        #expect(html.code == "500")
        #expect(html.message == "Oops")
        #expect(html.isTransient)
    }

    @Test func rawRequestsPickTheShapeOfTheirProtocol() throws {
        let ec2 = try RawRequest(service: .ec2, target: "DescribeVpcs", parameters: [(name: "VpcId.1", value: "vpc-1")]).operation()
        #expect(String(decoding: ec2.body, as: UTF8.self).hasSuffix("&VpcId.1=vpc-1"))
        let sqs = try RawRequest(service: .sqs, target: "CreateQueue", parameters: [(name: "QueueName", value: "q")]).operation()
        #expect(try JSONValue.parse(sqs.body) == ["QueueName": "q"])
        let eks = try RawRequest(service: .eks, target: "/clusters?maxResults=5", parameters: [(name: "include", value: "all")]).operation()
        #expect(eks.method == "GET")
        #expect(eks.path == "/clusters")
        #expect(eks.query.map(\.name) == ["maxResults", "include"])
        #expect(throws: AWSClientError.self) { try RawRequest(service: .eks, target: "ListClusters").operation() }
        #expect(throws: AWSClientError.self) { try RawRequest(service: .ec2, target: "DescribeVpcs", jsonBody: "{}").operation() }
        #expect(throws: AWSClientError.self) { try RawRequest.parameter("novalue") }
        #expect(try RawRequest.parameter("A=b=c") == (name: "A", value: "b=c"))
    }
}
