import AWSClient
import AWSSigner
import Foundation
import Testing

/// Hands out canned answers in order.
actor AnswerQueue {
    private var answers: [HTTPResponse]
    init(_ answers: [HTTPResponse]) { self.answers = answers }
    func next() -> HTTPResponse { answers.isEmpty ? HTTPResponse(status: 500, headers: [], body: Data()) : answers.removeFirst() }
}

/// STS AssumeRole and AssumeRoleWithWebIdentity, against moto's server on 127.0.0.1 (or the
/// sandbox when `STRATA_SANDBOX_URL` is set), and their error handling against a stub.
@Suite struct CredentialsSTSTests {
    static let webIdentityAnswer = """
        <AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <AssumeRoleWithWebIdentityResult>
            <Credentials>
              <AccessKeyId>ASIAWEBIDENTITY</AccessKeyId>
              <SecretAccessKey>webIdentitySecret</SecretAccessKey>
              <SessionToken>webIdentityToken</SessionToken>
              <Expiration>2030-01-01T00:00:00Z</Expiration>
            </Credentials>
          </AssumeRoleWithWebIdentityResult>
        </AssumeRoleWithWebIdentityResponse>
        """

    @Test func stsErrorsCarryCodeMessageAndRequestIDButNoSecret() async throws {
        let transport = RecordingTransport { _ in
            HTTPResponse(
                status: 403, headers: [],
                body: Data(
                    """
                    <ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>
                    <Message>User is not authorized to perform: sts:AssumeRole</Message></Error>
                    <RequestId>req-123</RequestId></ErrorResponse>
                    """.utf8))
        }
        let provider = AssumeRoleCredentialProvider(
            source: StaticCredentialProvider(AWSCredentials(accessKeyID: "AKIASRC", secretAccessKey: "sourceSecret")),
            session: RoleSession(roleARN: "arn:aws:iam::123456789012:role/deploy"),
            sts: STSEndpoint(url: URL(string: "http://127.0.0.1:1")!, region: "us-east-1", transport: transport),
            profile: "deploy")
        do {
            _ = try await provider.credentials()
            Issue.record("expected AccessDenied")
        } catch let error as CredentialsError {
            #expect(error.source == "assume-role")
            #expect(error.profile == "deploy")
            #expect(error.description.contains("AccessDenied"))
            #expect(error.description.contains("req-123"))
            #expect(error.description.contains("arn:aws:iam::123456789012:role/deploy"))
            #expect(!error.description.contains("sourceSecret"))
        }
    }

    @Test func assumeRoleProfileAgainstMoto() async throws {
        let curl = CurlTransport()
        let sts = try await LocalSTS.shared.url(transport: curl)
        let transport = RecordingTransport(forwardingTo: curl)
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        try scratch.write(
            "config",
            """
            [profile deploy]
            role_arn = arn:aws:iam::123456789012:role/deploy
            source_profile = base
            role_session_name = strata-test
            external_id = ext-42
            duration_seconds = 1800
            region = us-west-2
            """)
        try scratch.write("credentials", "[base]\naws_access_key_id = AKIABASEKEY\naws_secret_access_key = baseSecret\n")
        let settings = try AWSSettings(
            environment: scratch.environment(["AWS_PROFILE": "deploy", "AWS_ENDPOINT_URL_STS": sts.absoluteString]))
        let provider = try DefaultCredentialProvider(settings: settings, transport: transport)

        let credentials = try await provider.credentials()
        #expect(await provider.source == "assume-role")
        #expect(credentials.accessKeyID.hasPrefix("ASIA"))
        #expect(credentials.sessionToken != nil)
        #expect(credentials.expiration != nil)

        let request = try #require(transport.requests.first)
        let body = String(decoding: request.body, as: UTF8.self)
        #expect(body.contains("Action=AssumeRole&"))
        #expect(body.contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdeploy"))
        #expect(body.contains("RoleSessionName=strata-test"))
        #expect(body.contains("ExternalId=ext-42"))
        #expect(body.contains("DurationSeconds=1800"))
        let authorization = try #require(request.header("Authorization"))
        #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIABASEKEY/"))
        #expect(authorization.contains("/us-west-2/sts/aws4_request"))

        // Cached: a second call makes no second STS request.
        #expect(try await provider.credentials() == credentials)
        #expect(transport.requests.count == 1)
    }

    @Test func chainedRolesAndCredentialSourceEnvironment() async throws {
        let curl = CurlTransport()
        let sts = try await LocalSTS.shared.url(transport: curl)
        let transport = RecordingTransport(forwardingTo: curl)
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        try scratch.write(
            "config",
            """
            [profile outer]
            role_arn = arn:aws:iam::123456789012:role/outer
            source_profile = middle
            [profile middle]
            role_arn = arn:aws:iam::123456789012:role/middle
            credential_source = Environment
            """)
        let settings = try AWSSettings(
            environment: scratch.environment([
                "AWS_ENDPOINT_URL": sts.absoluteString, "AWS_ACCESS_KEY_ID": "AKIAFROMENV",
                "AWS_SECRET_ACCESS_KEY": "envSecret",
            ]),
            profile: "outer")
        let provider = try DefaultCredentialProvider(settings: settings, transport: transport)
        let credentials = try await provider.credentials()
        #expect(credentials.accessKeyID.hasPrefix("ASIA"))
        #expect(await provider.source == "assume-role")

        // Two AssumeRole calls: middle signed by the environment key, outer by middle's key.
        let requests = transport.requests
        #expect(requests.count == 2)
        let bodies = requests.map { String(decoding: $0.body, as: UTF8.self) }
        #expect(bodies[0].contains("role%2Fmiddle"))
        #expect(bodies[1].contains("role%2Fouter"))
        #expect(requests[0].header("Authorization")?.contains("Credential=AKIAFROMENV/") == true)
        #expect(requests[1].header("Authorization")?.contains("Credential=AKIAFROMENV/") == false)
        #expect(requests[1].header("X-Amz-Security-Token") != nil)
    }

    @Test func webIdentityFromEnvironmentAndProfileAgainstMoto() async throws {
        let curl = CurlTransport()
        let sts = try await LocalSTS.shared.url(transport: curl)
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        let token = try scratch.write("token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmNpIn0.c2lnbmF0dXJl")

        let fromEnvironment = RecordingTransport(forwardingTo: curl)
        let environmentSettings = try AWSSettings(
            environment: scratch.environment([
                "AWS_ENDPOINT_URL": sts.absoluteString, "AWS_WEB_IDENTITY_TOKEN_FILE": token,
                "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/ci", "AWS_ROLE_SESSION_NAME": "gha-run-7",
            ]))
        let provider = try DefaultCredentialProvider(settings: environmentSettings, transport: fromEnvironment)
        let credentials = try await provider.credentials()
        #expect(credentials.accessKeyID.hasPrefix("ASIA"))
        #expect(await provider.source == "web-identity")
        let request = try #require(fromEnvironment.requests.first)
        #expect(request.header("Authorization") == nil)  // AssumeRoleWithWebIdentity is unsigned
        let body = String(decoding: request.body, as: UTF8.self)
        #expect(body.contains("Action=AssumeRoleWithWebIdentity"))
        #expect(body.contains("RoleSessionName=gha-run-7"))
        #expect(body.contains("WebIdentityToken=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmNpIn0.c2lnbmF0dXJl"))

        try scratch.write(
            "config",
            """
            [profile oidc]
            role_arn = arn:aws:iam::123456789012:role/oidc
            web_identity_token_file = \(token)
            """)
        let fromProfile = RecordingTransport(forwardingTo: curl)
        let profileSettings = try AWSSettings(
            environment: scratch.environment(["AWS_ENDPOINT_URL": sts.absoluteString, "AWS_PROFILE": "oidc"]))
        let profileProvider = try DefaultCredentialProvider(settings: profileSettings, transport: fromProfile)
        #expect(try await profileProvider.credentials().accessKeyID.hasPrefix("ASIA"))
        #expect(await profileProvider.source == "web-identity")
        #expect(String(decoding: try #require(fromProfile.requests.first).body, as: UTF8.self).contains("role%2Foidc"))
    }

    @Test func throttlingAndServerErrorsAreRetriedThenReported() async throws {
        let answers = AnswerQueue([
            HTTPResponse(
                status: 400, headers: [], body: Data("<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>".utf8)),
            HTTPResponse(status: 503, headers: [], body: Data()),
            HTTPResponse(status: 200, headers: [], body: Data(Self.webIdentityAnswer.utf8)),
        ])
        let transport = RecordingTransport { _ in await answers.next() }
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        let provider = WebIdentityCredentialProvider(
            tokenFile: try scratch.write("token", "jwt"), session: RoleSession(roleARN: "arn:aws:iam::123456789012:role/ci"),
            sts: STSEndpoint(url: URL(string: "http://127.0.0.1:1")!, region: "us-east-1", transport: transport))
        #expect(try await provider.credentials().accessKeyID == "ASIAWEBIDENTITY")
        #expect(transport.requests.count == 3)

        let failing = RecordingTransport { _ in HTTPResponse(status: 500, headers: [], body: Data()) }
        let givesUp = WebIdentityCredentialProvider(
            tokenFile: try scratch.write("token", "jwt"), session: RoleSession(roleARN: "arn:aws:iam::123456789012:role/ci"),
            sts: STSEndpoint(url: URL(string: "http://127.0.0.1:1")!, region: "us-east-1", transport: failing))
        await #expect(throws: CredentialsError.self) { try await givesUp.credentials() }
        #expect(failing.requests.count == 3)
    }

    @Test func theChainRefreshesRoleCredentialsFiveMinutesBeforeExpiry() async throws {
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        let token = try scratch.write("token", "jwt")
        let transport = RecordingTransport { _ in
            HTTPResponse(status: 200, headers: [], body: Data(Self.webIdentityAnswer.utf8))  // expires 2030-01-01T00:00:00Z
        }
        let clock = TestClock(Date(timeIntervalSince1970: 1_893_455_000))  // 2029-12-31T23:43:20Z
        let provider = try DefaultCredentialProvider(
            settings: AWSSettings(
                environment: scratch.environment([
                    "AWS_WEB_IDENTITY_TOKEN_FILE": token, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/ci",
                ])),
            transport: transport, now: { clock.now })
        _ = try await provider.credentials()
        clock.advance(600)  // 23:53:20, 6 min 40 s before expiry: cached
        _ = try await provider.credentials()
        #expect(transport.requests.count == 1)
        clock.advance(120)  // 23:55:20, inside the window: refreshed
        _ = try await provider.credentials()
        #expect(transport.requests.count == 2)
    }

    @Test func missingTokenFileNamesIt() async throws {
        let provider = WebIdentityCredentialProvider(
            tokenFile: "/nonexistent/token", session: RoleSession(roleARN: "arn:aws:iam::123456789012:role/ci"),
            sts: STSEndpoint(
                url: URL(string: "http://127.0.0.1:1")!, region: "us-east-1",
                transport: RecordingTransport { _ in HTTPResponse(status: 500, headers: [], body: Data()) }))
        do {
            _ = try await provider.credentials()
            Issue.record("expected an error")
        } catch let error as CredentialsError {
            #expect(error.source == "web-identity")
            #expect(error.description.contains("/nonexistent/token"))
        }
    }
}
