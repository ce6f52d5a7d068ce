import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `strata aws request` and `strata eks-token` end to end: the built binary against the sandbox.
@Suite(.serialized) struct AWSRequestTests {
    /// One real call per service the command supports, each checked for a field of its answer.
    static let calls: [(args: [String], expect: String)] = [
        (["ec2", "DescribeVpcs"], "DescribeVpcsResponse"),
        (["iam", "ListRoles"], "ListRolesResult"),
        (["sts", "GetCallerIdentity"], "\"Account\""),
        (["eks", "/clusters"], "\"clusters\""),
        (["sqs", "CreateQueue", "--param", "QueueName=cli-queue"], "cli-queue"),
        (["eventbridge", "PutRule", "--param", "Name=cli-rule", "--param", "ScheduleExpression=rate(5 minutes)"], "RuleArn"),
        (["ssm", "PutParameter", "--json", #"{"Name":"/cli/p","Value":"v","Type":"String"}"#], "Version"),
        (["dynamodb", "ListTables"], "TableNames"),
        (["kms", "ListKeys"], "Keys"),
        (["logs", "DescribeLogGroups"], "logGroups"),
    ]

    /// Keeps the developer's own ~/.aws files and profile out of the test.
    static let noSharedFiles = [
        "AWS_CONFIG_FILE": "/nonexistent/strata-test/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/strata-test/credentials",
        "AWS_PROFILE": "",
    ]

    private func run(_ arguments: [String], _ sandbox: Sandbox, extra: [String: String] = [:]) async throws -> StrataBinary.Result {
        var environment = sandbox.environment
        for (key, value) in extra { environment[key] = value }
        return try await StrataBinary.run(["aws", "request"] + arguments, environment: environment)
    }

    @Test func aSignedCallSucceedsOnEveryService() async throws {
        let sandbox = try await Sandbox.shared()
        try await sandbox.exclusive { sandbox in
            for call in Self.calls {
                let result = try await run(call.args, sandbox)
                #expect(result.status == 0, "\(call.args): \(result.stderr)")
                #expect(result.stdout.contains(call.expect), "\(call.args): \(result.stdout)")
                // The answer is JSON, whatever the protocol.
                #expect((try? JSONValue.parse(Data(result.stdout.utf8))) != nil, "\(call.args)")
            }
        }
    }

    @Test func anAWSErrorExitsOneWithCodeServiceStatusAndRequestID() async throws {
        let sandbox = try await Sandbox.shared()
        try await sandbox.exclusive { sandbox in
            let ec2 = try await run(["ec2", "DescribeVpcs", "--param", "VpcId.1=vpc-0bad"], sandbox)
            #expect(ec2.status == 1)
            #expect(ec2.stderr.hasPrefix("error: InvalidVpcID.NotFound: "))
            #expect(ec2.stderr.contains("(service ec2, HTTP 400, request id "))
            let eks = try await run(["eks", "/clusters/nope"], sandbox)
            #expect(eks.status == 1)
            #expect(eks.stderr.contains("error: ResourceNotFoundException: "))
            #expect(eks.stderr.contains("(service eks, HTTP 404, request id "))
        }
    }

    @Test func aWrongSecretExitsOneNamingTheSignatureError() async throws {
        let sandbox = try await Sandbox.shared()
        try #require(sandbox.hasControlEndpoints, "needs the strata sandbox with --verify-signatures, not a bare moto")
        try await sandbox.exclusive { sandbox in
            for service in [["ec2", "DescribeVpcs"], ["eks", "/clusters"], ["dynamodb", "ListTables"]] {
                let result = try await run(service, sandbox, extra: ["AWS_SECRET_ACCESS_KEY": "not-the-secret"])
                #expect(result.status == 1, "\(service)")
                let named = ["SignatureDoesNotMatch", "InvalidSignatureException", "IncompleteSignature"].contains {
                    result.stderr.contains($0)
                }
                #expect(named, "\(service): \(result.stderr)")
                #expect(result.stderr.contains("request id "), "\(service): \(result.stderr)")
                #expect(!result.stderr.contains("not-the-secret"))
            }
        }
    }

    /// libcurl takes proxies from the environment: a proxy that refuses is where the call fails,
    /// and `no_proxy` sends it direct.
    @Test func proxiesComeFromTheEnvironment() async throws {
        let sandbox = try await Sandbox.shared()
        let deadProxyPort = try unusedPort()
        try await sandbox.exclusive { sandbox in
            let proxied = try await run(
                ["sts", "GetCallerIdentity"], sandbox, extra: ["http_proxy": "http://127.0.0.1:\(deadProxyPort)", "no_proxy": ""])
            #expect(proxied.status == 1)
            #expect(proxied.stderr.contains("connectionRefused"), "\(proxied.stderr)")
            #expect(proxied.stderr.contains("port \(deadProxyPort)"), "\(proxied.stderr)")
            let direct = try await run(
                ["sts", "GetCallerIdentity"], sandbox, extra: ["http_proxy": "http://127.0.0.1:\(deadProxyPort)", "no_proxy": "127.0.0.1"])
            #expect(direct.status == 0, "\(direct.stderr)")
        }
    }

    /// A loopback port nothing listens on (bound once by the kernel's choice, then released).
    private func unusedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw POSIXError(.EADDRNOTAVAIL) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func dryRunPrintsTheSignedRequestAndNeverTheSecret() async throws {
        let secret = "dry-run-secret-\(UUID().uuidString)"
        // Nothing listens here: a dry run must not try.
        let environment = [
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "AKIDDRYRUN", "AWS_SECRET_ACCESS_KEY": secret,
            "AWS_SESSION_TOKEN": "session-\(secret)", "AWS_REGION": "eu-west-1",
        ].merging(Self.noSharedFiles) { $1 }
        let result = try await StrataBinary.run(
            [
                "aws", "request", "ec2", "DescribeVpcs", "--param", "Filter.1.Name=tag:strata:stack", "--param", "Filter.1.Value.1=prod",
                "--dry-run",
            ],
            environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.components(separatedBy: "\n")
        #expect(lines.first == "POST / HTTP/1.1")
        #expect(lines.contains { $0.hasPrefix("X-Amz-Date: ") })
        #expect(lines.contains { $0.hasPrefix("x-amz-content-sha256: ") })
        #expect(
            lines.contains {
                $0.hasPrefix("Authorization: AWS4-HMAC-SHA256 Credential=AKIDDRYRUN/") && $0.contains("/eu-west-1/ec2/aws4_request")
            })
        #expect(lines.contains("Host: 127.0.0.1:9"))
        #expect(lines.contains("X-Amz-Security-Token: <redacted>"))
        #expect(result.stdout.contains("Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=tag%3Astrata%3Astack&Filter.1.Value.1=prod"))
        #expect(!result.stdout.contains(secret))
        #expect(!result.stderr.contains(secret))

        let eks = try await StrataBinary.run(["aws", "request", "eks", "/clusters", "--dry-run"], environment: environment)
        #expect(eks.stdout.hasPrefix("GET /clusters HTTP/1.1\n"))
        #expect(!eks.stdout.contains(secret))
    }

    @Test func usageErrorsExitOneWithAMessage() async throws {
        let environment = [
            "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b", "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        ]
        .merging(Self.noSharedFiles) { $1 }
        let unknown = try await StrataBinary.run(["aws", "request", "s3", "ListBuckets"], environment: environment)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknown service 's3'"))
        let restWithoutPath = try await StrataBinary.run(["aws", "request", "eks", "ListClusters"], environment: environment)
        #expect(restWithoutPath.status == 1)
        #expect(restWithoutPath.stderr.contains("give a path"))
    }

    @Test func eksTokenPrintsAnExecCredential() async throws {
        let environment = [
            "AWS_ACCESS_KEY_ID": "AKIDTOKEN", "AWS_SECRET_ACCESS_KEY": "token-secret", "AWS_REGION": "eu-west-1",
            "AWS_ENDPOINT_URL": "", "KUBERNETES_EXEC_INFO": #"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"}"#,
        ].merging(Self.noSharedFiles) { $1 }
        let result = try await StrataBinary.run(["eks-token", "--cluster", "demo"], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        let document = try JSONValue.parse(Data(result.stdout.utf8))
        #expect(document["kind"] == "ExecCredential")
        #expect(document["apiVersion"] == "client.authentication.k8s.io/v1")
        let token = try #require(document["status"]?["token"]?.stringValue)
        let url = try #require(EKSToken.presignedURL(in: token))
        #expect(url.host == "sts.eu-west-1.amazonaws.com")
        #expect(url.absoluteString.contains("X-Amz-Expires=60"))
        #expect(!result.stdout.contains("token-secret"))
        let expiry = try #require(document["status"]?["expirationTimestamp"]?.stringValue)
        let expires = try #require(ISO8601DateFormatter().date(from: expiry))
        #expect(abs(expires.timeIntervalSinceNow - 14 * 60) < 60)
    }

    /// The sandbox's Kubernetes API accepts the token: create a cluster, read its endpoint and
    /// CA, and list nodes with the token as the bearer.
    @Test func theSandboxKubernetesAPIAcceptsTheToken() async throws {
        let sandbox = try await Sandbox.shared()
        try #require(sandbox.hasControlEndpoints, "needs the strata sandbox's Kubernetes API, not a bare moto")
        try await sandbox.exclusive { sandbox in
            try await sandbox.reset()
            let client = sandbox.client()
            let trust =
                #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"eks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#
            let role = try await client.query(
                .iam, action: "CreateRole",
                parameters: [(name: "RoleName", value: "eks-token-test"), (name: "AssumeRolePolicyDocument", value: trust)])
            let roleARN = try #require(role.first(named: "Arn")?.text)
            let vpc = try await client.query(.ec2, action: "CreateVpc", parameters: [(name: "CidrBlock", value: "10.50.0.0/16")])
            let vpcID = try #require(vpc["vpc", "vpcId"]?.text)
            var subnets: [JSONValue] = []
            for (index, zone) in ["us-east-1a", "us-east-1b"].enumerated() {
                let subnet = try await client.query(
                    .ec2, action: "CreateSubnet",
                    parameters: [
                        (name: "VpcId", value: vpcID), (name: "CidrBlock", value: "10.50.\(index).0/24"),
                        (name: "AvailabilityZone", value: zone),
                    ])
                subnets.append(.string(try #require(subnet["subnet", "subnetId"]?.text)))
            }
            _ = try await client.rest(
                .eks, action: "CreateCluster", method: "POST", path: "/clusters",
                body: [
                    "name": "token-test", "roleArn": .string(roleARN), "version": "1.31",
                    "resourcesVpcConfig": ["subnetIds": .array(subnets)],
                ])
            // Creation is asynchronous in the sandbox (scaled down): wait, with a deadline, for ACTIVE.
            let deadline = ContinuousClock.now + .seconds(60)
            var cluster: JSONValue = .null
            while ContinuousClock.now < deadline {
                cluster =
                    try await client.rest(.eks, action: "DescribeCluster", method: "GET", path: "/clusters/token-test")["cluster"] ?? .null
                if cluster["status"] == "ACTIVE" { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(cluster["status"] == "ACTIVE")
            let endpoint = try #require(cluster["endpoint"]?.stringValue.flatMap(URL.init(string:)))
            #expect(endpoint.scheme == "https")
            let caData = try #require(cluster["certificateAuthority"]?["data"]?.stringValue)
            let caPEM = String(decoding: try #require(Data(base64Encoded: caData)), as: UTF8.self)

            let result = try await StrataBinary.run(["eks-token", "--cluster", "token-test"], environment: sandbox.environment)
            #expect(result.status == 0, "\(result.stderr)")
            let token = try #require(try JSONValue.parse(Data(result.stdout.utf8))["status"]?["token"]?.stringValue)

            let transport = CurlTransport()
            let nodes = try await transport.send(
                HTTPRequest(
                    method: "GET", url: endpoint.appendingPathComponent("api/v1/nodes"),
                    headers: [(name: "Authorization", value: "Bearer \(token)"), (name: "Accept", value: "application/json")],
                    extraCAPEM: caPEM, timeout: .seconds(30)))
            #expect(nodes.status == 200, "\(String(decoding: nodes.body.prefix(300), as: UTF8.self))")

            // With --role-arn the token is signed with the assumed role's temporary key.
            let assumed = try await StrataBinary.run(
                ["eks-token", "--cluster", "token-test", "--role-arn", roleARN], environment: sandbox.environment)
            #expect(assumed.status == 0, "\(assumed.stderr)")
            let roleToken = try #require(try JSONValue.parse(Data(assumed.stdout.utf8))["status"]?["token"]?.stringValue)
            let roleURL = try #require(EKSToken.presignedURL(in: roleToken))
            #expect(roleURL.absoluteString.contains("X-Amz-Security-Token="))
            #expect(!roleURL.absoluteString.contains("X-Amz-Credential=\(Sandbox.accessKeyID)%2F"))
            let asRole = try await transport.send(
                HTTPRequest(
                    method: "GET", url: endpoint.appendingPathComponent("api/v1/nodes"),
                    headers: [(name: "Authorization", value: "Bearer \(roleToken)")], extraCAPEM: caPEM, timeout: .seconds(30)))
            #expect(asRole.status != 401, "\(String(decoding: asRole.body.prefix(300), as: UTF8.self))")

            let denied = try await transport.send(
                HTTPRequest(
                    method: "GET", url: endpoint.appendingPathComponent("api/v1/nodes"),
                    headers: [(name: "Authorization", value: "Bearer k8s-aws-v1.bogus")], extraCAPEM: caPEM, timeout: .seconds(30)))
            #expect(denied.status == 401)
        }
    }
}
