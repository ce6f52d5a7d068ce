import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

/// Every protocol against the sandbox's real answers: encoding accepted, answers read, errors
/// parsed with their codes and request ids, pages followed, throttling retried.
@Suite(.serialized) struct SandboxProtocolTests {
    private func withSandbox(_ body: @Sendable (Sandbox, AWSClient) async throws -> Void) async throws {
        let sandbox = try await Sandbox.shared()
        try await sandbox.exclusive { sandbox in
            if sandbox.hasControlEndpoints { try await sandbox.reset() }
            try await body(sandbox, sandbox.client())
        }
    }

    @Test func ec2QueryRoundTripWithTagsAndFilters() async throws {
        try await withSandbox { _, client in
            let stack = "t-\(UUID().uuidString.prefix(8))"
            let created = try await client.query(
                .ec2, action: "CreateVpc",
                parameters: [(name: "CidrBlock", value: "10.42.0.0/16")]
                    + QueryValue.tagSpecifications(resourceType: "vpc", tags: [(key: "strata:stack", value: stack)]))
            let vpcID = try #require(created["vpc", "vpcId"]?.text)
            #expect(vpcID.hasPrefix("vpc-"))
            let described = try await client.query(
                .ec2, action: "DescribeVpcs", parameters: QueryValue.filters([(name: "tag:strata:stack", values: [stack])]))
            let vpcs = described.child("vpcSet")?.items ?? []
            #expect(vpcs.map { $0.child("vpcId")?.text } == [vpcID])
            #expect(vpcs.first?["tagSet"]?.items.first?.child("value")?.text == stack)
            // Read as JSON, the set is a list.
            let json = described.toJSON()
            #expect(json["DescribeVpcsResponse"]?["vpcSet"]?.arrayValue?.count == 1)
        }
    }

    @Test func ec2ErrorsCarryCodeAndRequestID() async throws {
        try await withSandbox { _, client in
            let error = try await #require(throws: AWSError.self) {
                try await client.query(.ec2, action: "DescribeVpcs", parameters: [(name: "VpcId.1", value: "vpc-0bad")])
            }
            #expect(error.code == "InvalidVpcID.NotFound")
            #expect(error.isNotFound)
            #expect(error.httpStatus == 400)
            #expect(error.service == "ec2")
            #expect(error.requestID?.isEmpty == false)
        }
    }

    @Test func ec2DependencyViolationIsClassified() async throws {
        try await withSandbox { _, client in
            let vpc = try await client.query(.ec2, action: "CreateVpc", parameters: [(name: "CidrBlock", value: "10.43.0.0/16")])
            let vpcID = try #require(vpc["vpc", "vpcId"]?.text)
            _ = try await client.query(
                .ec2, action: "CreateSubnet", parameters: [(name: "VpcId", value: vpcID), (name: "CidrBlock", value: "10.43.1.0/24")])
            let error = try await #require(throws: AWSError.self) {
                try await client.query(.ec2, action: "DeleteVpc", parameters: [(name: "VpcId", value: vpcID)])
            }
            #expect(error.code == "DependencyViolation")
            #expect(error.isDependencyViolation)
        }
    }

    @Test func iamQueryErrorsAndMarkerPagination() async throws {
        try await withSandbox { _, client in
            let error = try await #require(throws: AWSError.self) {
                try await client.query(.iam, action: "GetRole", parameters: [(name: "RoleName", value: "nope")])
            }
            #expect(error.code == "NoSuchEntity")
            #expect(error.isNotFound)
            #expect(error.httpStatus == 404)
            #expect(error.requestID?.isEmpty == false)

            let prefix = "/strata/pages-\(UUID().uuidString.prefix(6))/"
            let trust =
                #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
            for index in 0..<5 {
                _ = try await client.query(
                    .iam, action: "CreateRole",
                    parameters: [
                        (name: "RoleName", value: "r\(index)-\(prefix.count)"), (name: "Path", value: prefix),
                        (name: "AssumeRolePolicyDocument", value: trust),
                    ])
            }
            let duplicate = try await #require(throws: AWSError.self) {
                try await client.query(
                    .iam, action: "CreateRole",
                    parameters: [
                        (name: "RoleName", value: "r0-\(prefix.count)"), (name: "Path", value: prefix),
                        (name: "AssumeRolePolicyDocument", value: trust),
                    ])
            }
            #expect(duplicate.isAlreadyExists)

            var names: [String] = []
            var pageCount = 0
            let pages = client.pages(
                { marker in
                    var parameters = [(name: "PathPrefix", value: prefix), (name: "MaxItems", value: "2")]
                    if let marker { parameters.append((name: "Marker", value: marker)) }
                    return .query(.iam, action: "ListRoles", parameters: parameters)
                }, nextToken: Pagination.iamMarker)
            for try await page in pages {
                pageCount += 1
                names += try page.xml().first(named: "Roles")?.items.compactMap { $0.child("RoleName")?.text } ?? []
            }
            #expect(pageCount == 3)
            #expect(names.count == 5)
        }
    }

    @Test func stsQuery() async throws {
        try await withSandbox { _, client in
            let identity = try await client.query(.sts, action: "GetCallerIdentity")
            #expect(identity.first(named: "Account")?.text.count == 12)
        }
    }

    @Test func eksRestJSONAndItsErrors() async throws {
        try await withSandbox { _, client in
            let clusters = try await client.rest(.eks, action: "ListClusters", method: "GET", path: "/clusters")
            #expect(clusters["clusters"]?.arrayValue != nil)
            let error = try await #require(throws: AWSError.self) {
                try await client.rest(.eks, action: "DescribeCluster", method: "GET", path: "/clusters/" + AWSOperation.pathSegment("nope"))
            }
            #expect(error.code == "ResourceNotFoundException")
            #expect(error.isNotFound)
            #expect(error.httpStatus == 404)
        }
    }

    @Test func eksPagesFollowNextToken() async throws {
        try await withSandbox { _, client in
            let trust =
                #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
            let role = try await client.query(
                .iam, action: "CreateRole",
                parameters: [(name: "RoleName", value: "eks-pages"), (name: "AssumeRolePolicyDocument", value: trust)])
            let roleARN = try #require(role.first(named: "Arn")?.text)
            let vpc = try await client.query(.ec2, action: "CreateVpc", parameters: [(name: "CidrBlock", value: "10.44.0.0/16")])
            let vpcID = try #require(vpc["vpc", "vpcId"]?.text)
            var subnets: [JSONValue] = []
            for (index, zone) in ["us-east-1a", "us-east-1b"].enumerated() {
                let subnet = try await client.query(
                    .ec2, action: "CreateSubnet",
                    parameters: [
                        (name: "VpcId", value: vpcID), (name: "CidrBlock", value: "10.44.\(index).0/24"),
                        (name: "AvailabilityZone", value: zone),
                    ])
                subnets.append(.string(try #require(subnet["subnet", "subnetId"]?.text)))
            }
            for index in 0..<5 {
                _ = try await client.rest(
                    .eks, action: "CreateCluster", method: "POST", path: "/clusters",
                    body: [
                        "name": .string("pages-\(index)"), "roleArn": .string(roleARN),
                        "resourcesVpcConfig": ["subnetIds": .array(subnets)],
                        "clientRequestToken": .string("pages-\(index)"),
                    ], idempotent: true)
            }
            var names: [String] = []
            var pageCount = 0
            for try await page in client.pages(
                { token in
                    var query = [(name: "maxResults", value: "2")]
                    if let token { query.append((name: "nextToken", value: token)) }
                    return .rest(.eks, action: "ListClusters", method: "GET", path: "/clusters", query: query)
                }, nextToken: Pagination.jsonToken("nextToken"))
            {
                pageCount += 1
                names += try page.json()["clusters"]?.arrayValue?.compactMap(\.stringValue) ?? []
            }
            #expect(pageCount == 3)
            #expect(names.sorted() == (0..<5).map { "pages-\($0)" })
        }
    }

    @Test func dynamoDBJSONAndConditionalFailure() async throws {
        try await withSandbox { _, client in
            let table = "locks-\(UUID().uuidString.prefix(6))"
            _ = try await client.json(
                .dynamodb, action: "CreateTable",
                body: [
                    "TableName": .string(table), "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [["AttributeName": "LockID", "AttributeType": "S"]],
                    "KeySchema": [["AttributeName": "LockID", "KeyType": "HASH"]],
                ])
            let put: JSONValue = [
                "TableName": .string(table), "Item": ["LockID": ["S": "prod"]], "ConditionExpression": "attribute_not_exists(LockID)",
            ]
            _ = try await client.json(.dynamodb, action: "PutItem", body: put)
            let error = try await #require(throws: AWSError.self) { try await client.json(.dynamodb, action: "PutItem", body: put) }
            #expect(error.code == "ConditionalCheckFailedException")
            #expect(error.httpStatus == 400)
            #expect(error.requestID?.isEmpty == false)
        }
    }

    @Test func jsonServicesAnswerAndPaginate() async throws {
        try await withSandbox { _, client in
            let queue = try await client.json(.sqs, action: "CreateQueue", body: ["QueueName": "strata-events"], idempotent: true)
            #expect(queue["QueueUrl"]?.stringValue?.hasSuffix("/strata-events") == true)
            let rule = try await client.json(
                .events, action: "PutRule", body: ["Name": "strata-rule", "EventPattern": #"{"source":["aws.ec2"]}"#], idempotent: true)
            #expect(rule["RuleArn"]?.stringValue?.contains("strata-rule") == true)
            let key = try await client.json(.kms, action: "CreateKey")
            #expect(key["KeyMetadata"]?["KeyId"]?.stringValue?.isEmpty == false)

            for index in 0..<5 {
                _ = try await client.json(
                    .ssm, action: "PutParameter", body: ["Name": .string("/strata/p\(index)"), "Value": "v", "Type": "String"])
            }
            var names: [String] = []
            for try await page in client.pages(
                { token in
                    var body: [String: JSONValue] = ["Path": "/strata", "MaxResults": 2]
                    if let token { body["NextToken"] = .string(token) }
                    return .json(.ssm, action: "GetParametersByPath", body: .object(body))
                }, nextToken: Pagination.jsonToken("NextToken"))
            {
                names += try page.json()["Parameters"]?.arrayValue?.compactMap { $0["Name"]?.stringValue } ?? []
            }
            #expect(names.sorted() == (0..<5).map { "/strata/p\($0)" })

            _ = try await client.json(.logs, action: "CreateLogGroup", body: ["logGroupName": "/strata/test"])
            let groups = try await client.json(.logs, action: "DescribeLogGroups", body: ["logGroupNamePrefix": "/strata"])
            #expect(groups["logGroups"]?.arrayValue?.count == 1)
            let exists = try await #require(throws: AWSError.self) {
                try await client.json(.logs, action: "CreateLogGroup", body: ["logGroupName": "/strata/test"])
            }
            #expect(exists.isAlreadyExists)
        }
    }

    @Test func aWrongSecretIsASignatureError() async throws {
        let sandbox = try await Sandbox.shared()
        try #require(sandbox.hasControlEndpoints, "needs the strata sandbox with --verify-signatures, not a bare moto")
        try await sandbox.exclusive { sandbox in
            let client = sandbox.client(secretAccessKey: "wrong")
            let error = try await #require(throws: AWSError.self) { try await client.query(.ec2, action: "DescribeVpcs") }
            #expect(error.isAuthFailure, "\(error)")
            #expect(error.code == "SignatureDoesNotMatch" || error.code == "AuthFailure", "\(error)")
            #expect(error.requestID?.isEmpty == false)
            #expect(error.httpStatus == 403 || error.httpStatus == 401)
        }
    }

    @Test func aBurstUnderThirtyPercentThrottlingAllSucceeds() async throws {
        let sandbox = try await Sandbox.shared()
        try #require(sandbox.hasControlEndpoints, "needs the strata sandbox's fault injection, not a bare moto")
        try await sandbox.exclusive { sandbox in
            try await sandbox.reset()
            try await sandbox.clearRequests()
            try await sandbox.setFaults(SandboxFaults(service: "ec2", action: "DescribeVpcs", throttleRate: 0.3, seed: 42))
            let retry = RetryPolicy(
                maxAttempts: 10, throttlingBase: .milliseconds(20), transientBase: .milliseconds(10), maxDelay: .seconds(1))
            let client = sandbox.client(retry: retry)
            do {
                let attempts = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<200 {
                        group.addTask { try await client.send(.query(.ec2, action: "DescribeVpcs")).attempts }
                    }
                    var all: [Int] = []
                    for try await count in group { all.append(count) }
                    return all
                }
                try await sandbox.clearFaults()
                #expect(attempts.count == 200)
                let log = try await sandbox.requests().filter { $0.action == "DescribeVpcs" }
                let throttled = log.filter { $0.status != 200 }.count
                #expect(log.count == attempts.reduce(0, +))
                #expect(throttled == log.count - 200)
                #expect(throttled > 20, "30% of 200+ calls should have been throttled; saw \(throttled)")
            } catch {
                try? await sandbox.clearFaults()
                throw error
            }
        }
    }
}
