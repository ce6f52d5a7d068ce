import AWSClient
import AWSSigner
import Foundation
import Testing

/// The shared files, the settings read from them and the environment, and the order of the
/// credential chain. No network: every source here is local.
@Suite struct CredentialsConfigTests {
    static let config = """
        # comment
        ; another comment
        [default]
        region = eu-west-1
        output = json

        [profile dev]
        Region = us-west-2
        aws_access_key_id = AKIADEVCONFIG
        aws_secret_access_key = devSecretFromConfig
        s3 =
          addressing_style = path
          max_concurrent_requests = 4
        endpoint_url = http://127.0.0.1:4599

        [bare]
        region = ap-south-1

        [profile with-services]
        services = local
        endpoint_url = http://127.0.0.1:9999

        [services local]
        eks =
          endpoint_url = http://127.0.0.1:4711
        cloudwatch_logs =
          endpoint_url = http://127.0.0.1:4712
        """

    static let credentials = """
        [default]
        aws_access_key_id = AKIADEFAULT
        aws_secret_access_key = defaultSecret

        [dev]
        aws_access_key_id = AKIADEVCREDS
        aws_secret_access_key = devSecretFromCredentials

        [profile odd]
        aws_access_key_id = AKIAODD
        aws_secret_access_key = oddSecret
        """

    @Test func profilesFollowTheFileRules() {
        let parsed = SharedConfig(configText: Self.config, credentialsText: Self.credentials)
        // `[profile dev]` in config and `[dev]` in credentials are one profile; credentials win.
        #expect(parsed.profiles["dev"]?["aws_access_key_id"] == "AKIADEVCREDS")
        #expect(parsed.profiles["dev"]?["region"] == "us-west-2")  // keys are case-insensitive
        #expect(parsed.profiles["dev"]?.subsections["s3"] == ["addressing_style": "path", "max_concurrent_requests": "4"])
        #expect(parsed.profiles["dev"]?["endpoint_url"] == "http://127.0.0.1:4599")
        // A bare `[bare]` in the config file is not a profile.
        #expect(parsed.profiles["bare"] == nil)
        // In the credentials file, section names are profile names as written.
        #expect(parsed.profiles["profile odd"]?["aws_access_key_id"] == "AKIAODD")
        #expect(parsed.profiles["odd"] == nil)
        #expect(parsed.profiles["default"]?["region"] == "eu-west-1")
        #expect(parsed.profiles["default"]?["aws_access_key_id"] == "AKIADEFAULT")
        #expect(parsed.services["local"]?["eks"]?["endpoint_url"] == "http://127.0.0.1:4711")
    }

    @Test func profileDefaultSectionWinsOverBareDefault() {
        let parsed = SharedConfig(
            configText: "[profile default]\nregion = us-east-2\n[default]\nregion = eu-north-1\n", credentialsText: "")
        #expect(parsed.profiles["default"]?["region"] == "us-east-2")
    }

    @Test func filePathsComeFromTheEnvironment() {
        let explicit = SharedConfigFiles(environment: ["AWS_CONFIG_FILE": "/x/config", "AWS_SHARED_CREDENTIALS_FILE": "/x/creds"])
        #expect(explicit == SharedConfigFiles(config: "/x/config", credentials: "/x/creds"))
        let home = SharedConfigFiles(environment: ["HOME": "/home/ci"])
        #expect(home == SharedConfigFiles(config: "/home/ci/.aws/config", credentials: "/home/ci/.aws/credentials"))
    }

    @Test func profileAndRegionSelection() {
        let config = SharedConfig(configText: Self.config, credentialsText: Self.credentials)
        #expect(AWSSettings(environment: [:], config: config).profileName == "default")
        #expect(AWSSettings(environment: ["AWS_DEFAULT_PROFILE": "dev"], config: config).profileName == "dev")
        #expect(AWSSettings(environment: ["AWS_PROFILE": "dev", "AWS_DEFAULT_PROFILE": "x"], config: config).profileName == "dev")
        #expect(AWSSettings(environment: ["AWS_PROFILE": "dev"], profile: "other", config: config).profileName == "other")

        #expect(AWSSettings(environment: [:], config: config).region == "eu-west-1")
        #expect(AWSSettings(environment: ["AWS_PROFILE": "dev"], config: config).region == "us-west-2")
        #expect(AWSSettings(environment: ["AWS_PROFILE": "dev", "AWS_DEFAULT_REGION": "sa-east-1"], config: config).region == "sa-east-1")
        #expect(
            AWSSettings(environment: ["AWS_REGION": "ca-central-1", "AWS_DEFAULT_REGION": "sa-east-1"], config: config).region
                == "ca-central-1")
        #expect(AWSSettings(environment: [:], config: SharedConfig()).region == nil)
    }

    @Test func endpointsInTheSDKOrder() throws {
        let config = SharedConfig(configText: Self.config, credentialsText: "")
        let base = AWSSettings(environment: [:], config: config)
        #expect(try base.endpoint(for: .ec2, region: "us-east-2").absoluteString == "https://ec2.us-east-2.amazonaws.com")
        #expect(try base.endpoint(for: .iam, region: "us-east-2").absoluteString == "https://iam.amazonaws.com")
        #expect(try base.endpoint(for: .sts, region: "eu-west-1").absoluteString == "https://sts.eu-west-1.amazonaws.com")

        #expect(try base.endpoint(for: .eks, region: "cn-northwest-1").absoluteString == "https://eks.cn-northwest-1.amazonaws.com.cn")
        let legacy = AWSSettings(environment: ["AWS_STS_REGIONAL_ENDPOINTS": "legacy"], config: config)
        #expect(try legacy.endpoint(for: .sts, region: "eu-west-1").absoluteString == "https://sts.amazonaws.com")
        #expect(try legacy.endpoint(for: .sts, region: "af-south-1").absoluteString == "https://sts.af-south-1.amazonaws.com")

        let dev = AWSSettings(environment: ["AWS_PROFILE": "dev"], config: config)
        #expect(try dev.endpoint(for: .ec2, region: "us-west-2").absoluteString == "http://127.0.0.1:4599")

        let services = AWSSettings(environment: ["AWS_PROFILE": "with-services"], config: config)
        #expect(try services.endpoint(for: .eks, region: "us-west-2").absoluteString == "http://127.0.0.1:4711")
        #expect(try services.endpoint(for: .logs, region: "us-west-2").absoluteString == "http://127.0.0.1:4712")
        #expect(try services.endpoint(for: .ec2, region: "us-west-2").absoluteString == "http://127.0.0.1:9999")

        let global = AWSSettings(
            environment: ["AWS_PROFILE": "with-services", "AWS_ENDPOINT_URL": "http://127.0.0.1:4700"], config: config)
        #expect(try global.endpoint(for: .eks, region: "us-west-2").absoluteString == "http://127.0.0.1:4700")

        let specific = AWSSettings(
            environment: [
                "AWS_PROFILE": "with-services", "AWS_ENDPOINT_URL": "http://127.0.0.1:4700",
                "AWS_ENDPOINT_URL_EKS": "http://127.0.0.1:4701", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": "http://127.0.0.1:4702",
            ], config: config)
        #expect(try specific.endpoint(for: .eks, region: "us-west-2").absoluteString == "http://127.0.0.1:4701")
        #expect(try specific.endpoint(for: .logs, region: "us-west-2").absoluteString == "http://127.0.0.1:4702")
        #expect(try specific.endpoint(for: .ec2, region: "us-west-2").absoluteString == "http://127.0.0.1:4700")

        let ignored = AWSSettings(
            environment: [
                "AWS_PROFILE": "with-services", "AWS_ENDPOINT_URL": "http://127.0.0.1:4700",
                "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
            ], config: config)
        #expect(try ignored.endpoint(for: .eks, region: "us-west-2").absoluteString == "https://eks.us-west-2.amazonaws.com")
    }

    // MARK: - The chain

    func chain(_ scratch: CredentialsScratch, _ environment: [String: String] = [:], profile: String? = nil) throws
        -> DefaultCredentialProvider
    {
        let settings = try AWSSettings(environment: scratch.environment(environment), profile: profile)
        return try DefaultCredentialProvider(
            settings: settings,
            transport: RecordingTransport { _ in throw CredentialsError(source: "test", message: "no network here") })
    }

    @Test func environmentKeysComeFirst() async throws {
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        try scratch.write("config", Self.config)
        try scratch.write("credentials", Self.credentials)
        let provider = try chain(
            scratch,
            [
                "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "envSecret", "AWS_SESSION_TOKEN": "envToken",
                "AWS_PROFILE": "dev",
            ])
        let credentials = try await provider.credentials()
        #expect(credentials == AWSCredentials(accessKeyID: "AKIAENV", secretAccessKey: "envSecret", sessionToken: "envToken"))
        #expect(await provider.source == "environment")
    }

    @Test func anExplicitProfileBeatsTheEnvironment() async throws {
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        try scratch.write("config", Self.config)
        try scratch.write("credentials", Self.credentials)
        let provider = try chain(scratch, ["AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "envSecret"], profile: "dev")
        #expect(try await provider.credentials().accessKeyID == "AKIADEVCREDS")
        #expect(await provider.source == "profile")
    }

    @Test func profileKeysFromEitherFile() async throws {
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        try scratch.write("config", Self.config)
        #expect(try await chain(scratch, ["AWS_PROFILE": "dev"]).credentials().accessKeyID == "AKIADEVCONFIG")
        try scratch.write("credentials", Self.credentials)
        #expect(try await chain(scratch, ["AWS_PROFILE": "dev"]).credentials().accessKeyID == "AKIADEVCREDS")
        #expect(try await chain(scratch).credentials().accessKeyID == "AKIADEFAULT")
        #expect(try await chain(scratch, ["AWS_PROFILE": "profile odd"]).credentials().accessKeyID == "AKIAODD")
    }

    @Test func webIdentityInTheEnvironmentBeatsProfileKeys() async throws {
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        try scratch.write("credentials", Self.credentials)
        let tokenFile = try scratch.write("token", "eyJhbGciOi.fake.jwt")
        let transport = RecordingTransport { _ in
            HTTPResponse(status: 200, headers: [], body: Data(CredentialsSTSTests.webIdentityAnswer.utf8))
        }
        let settings = try AWSSettings(
            environment: scratch.environment([
                "AWS_WEB_IDENTITY_TOKEN_FILE": tokenFile, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/ci",
                "AWS_REGION": "eu-west-1",
            ]))
        let provider = try DefaultCredentialProvider(settings: settings, transport: transport)
        #expect(try await provider.credentials().accessKeyID == "ASIAWEBIDENTITY")
        #expect(await provider.source == "web-identity")
        #expect(transport.requests.first?.url.absoluteString == "https://sts.eu-west-1.amazonaws.com")
    }

    @Test func everySourceConfiguredGivesTheSDKOrder() async throws {
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        try scratch.write(
            "config",
            """
            [profile all]
            role_arn = arn:aws:iam::123456789012:role/x
            source_profile = all
            aws_access_key_id = AKIAALL
            aws_secret_access_key = allSecret
            """)
        let token = try scratch.write("token", "jwt")
        var environment = [
            "AWS_PROFILE": "all", "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "envSecret",
            "AWS_WEB_IDENTITY_TOKEN_FILE": token, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/ci",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds", "AWS_EC2_METADATA_DISABLED": "false",
        ]
        #expect(
            try chain(scratch, environment).chain.links.map(\.source) == [
                "environment", "assume-role", "web-identity", "profile", "container", "instance-metadata",
            ])
        #expect(try await chain(scratch, environment).credentials().accessKeyID == "AKIAENV")
        // Without the environment keys, the assume-role profile is next; it fails here (no STS),
        // and that failure is the answer: a configured source is never skipped.
        environment["AWS_ACCESS_KEY_ID"] = nil
        do {
            _ = try await chain(scratch, environment).credentials()
            Issue.record("expected the assume-role failure")
        } catch let error as CredentialsError {
            #expect(error.source == "assume-role")
            #expect(error.profile == "all")
        }
    }

    @Test func configurationErrorsNameTheProfileAndNeverTheSecret() async throws {
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        try scratch.write(
            "config",
            """
            [profile no-source]
            role_arn = arn:aws:iam::123456789012:role/x
            [profile both]
            role_arn = arn:aws:iam::123456789012:role/x
            source_profile = keys
            credential_source = Environment
            [profile loop-a]
            role_arn = arn:aws:iam::123456789012:role/a
            source_profile = loop-b
            [profile loop-b]
            role_arn = arn:aws:iam::123456789012:role/b
            source_profile = loop-a
            [profile bad-source]
            role_arn = arn:aws:iam::123456789012:role/x
            credential_source = Laptop
            [profile mfa]
            role_arn = arn:aws:iam::123456789012:role/x
            source_profile = keys
            mfa_serial = arn:aws:iam::123456789012:mfa/me
            [profile dangling]
            role_arn = arn:aws:iam::123456789012:role/x
            source_profile = nowhere
            [profile half]
            aws_access_key_id = AKIAHALF
            [profile sso]
            sso_session = corp
            [profile keys]
            aws_access_key_id = AKIAKEYS
            aws_secret_access_key = superSecretValue
            """)
        let cases: [(String, String)] = [
            ("no-source", "role_arn needs source_profile"),
            ("both", "not both"),
            ("loop-a", "cycle: loop-a -> loop-b -> loop-a"),
            ("bad-source", "credential_source \"Laptop\""),
            ("mfa", "mfa_serial"),
            ("dangling", "source_profile \"nowhere\" is not defined"),
            ("half", "aws_secret_access_key is not"),
            ("sso", "sso_session \"corp\" has no [sso-session corp] section"),
            ("missing", "no such profile"),
        ]
        for (profile, expected) in cases {
            do {
                _ = try await chain(scratch, ["AWS_PROFILE": profile]).credentials()
                Issue.record("profile \(profile) should not resolve")
            } catch let error as CredentialsError {
                let text = error.description
                #expect(text.contains(expected), "\(profile): \(text)")
                #expect(text.contains("\"\(profile)\"") || text.contains(profile), "\(profile): \(text)")
                #expect(!text.contains("superSecretValue"))
            }
        }
        // Keys in the environment still win over a broken profile named by AWS_PROFILE.
        let provider = try chain(
            scratch, ["AWS_PROFILE": "loop-a", "AWS_ACCESS_KEY_ID": "AKIAENV", "AWS_SECRET_ACCESS_KEY": "envSecret"])
        #expect(try await provider.credentials().accessKeyID == "AKIAENV")
    }

    @Test func credentialProcessPrintsTheCredentials() async throws {
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        let good = try scratch.write(
            "good.sh",
            """
            echo '{"Version": 1, "AccessKeyId": "ASIAPROCESS", "SecretAccessKey": "processSecret",'
            echo ' "SessionToken": "processToken", "Expiration": "2030-01-01T00:00:00Z"}'
            """)
        let bad = try scratch.write("bad.sh", "echo '{\"AccessKeyId\": \"AKIA\", \"SecretAccessKey\": \"leakMe\"}'\nexit 3\n")
        let version2 = try scratch.write("v2.sh", "echo '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"leakMe\"}'\n")
        try scratch.write(
            "config",
            """
            [profile tool]
            credential_process = sh \(good)
            [profile broken]
            credential_process = sh \(bad)
            [profile future]
            credential_process = sh \(version2)
            [profile keys-win]
            aws_access_key_id = AKIAKEYS
            aws_secret_access_key = keysSecret
            credential_process = sh \(good)
            """)
        let tool = try chain(scratch, ["AWS_PROFILE": "tool"])
        let credentials = try await tool.credentials()
        #expect(credentials.accessKeyID == "ASIAPROCESS")
        #expect(credentials.sessionToken == "processToken")
        #expect(credentials.expiration == Date(timeIntervalSince1970: 1_893_456_000))
        #expect(await tool.source == "process")
        #expect(try await chain(scratch, ["AWS_PROFILE": "keys-win"]).credentials().accessKeyID == "AKIAKEYS")

        for (profile, expected) in [("broken", "exited with status 3"), ("future", "Version 2")] {
            do {
                _ = try await chain(scratch, ["AWS_PROFILE": profile]).credentials()
                Issue.record("\(profile) should fail")
            } catch let error as CredentialsError {
                #expect(error.source == "process")
                #expect(error.profile == profile)
                #expect(error.description.contains(expected), "\(error)")
                #expect(!error.description.contains("leakMe"))
            }
        }
    }

    @Test func aHangingCredentialProcessTimesOut() async throws {
        let started = Date()
        let provider = ProcessCredentialProvider(command: "exec sleep 600", profile: "slow", timeout: 0.5)
        do {
            _ = try await provider.credentials()
            Issue.record("expected a timeout")
        } catch let error as CredentialsError {
            #expect(error.description.contains("did not finish within"))
        }
        // Far below the process's 600 s: the provider's timeout ended it (a loose bound, since
        // tests share two cores with hundreds of others).
        #expect(Date().timeIntervalSince(started) < 120)
    }

    @Test func environmentWithoutSecretIsAnError() async throws {
        let provider = EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "AKIA"])
        await #expect(throws: CredentialsError.self) { try await provider.credentials() }
        let expiring = EnvironmentCredentialProvider(environment: [
            "AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s", "AWS_CREDENTIAL_EXPIRATION": "2030-01-01T00:00:00Z",
        ])
        #expect(try await expiring.credentials().expiration == Date(timeIntervalSince1970: 1_893_456_000))
    }

    @Test func nothingConfiguredListsWhatWasTried() async throws {
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        let provider = try chain(scratch)
        do {
            _ = try await provider.credentials()
            Issue.record("expected no credentials")
        } catch let error as CredentialsError {
            #expect(error.source == "chain")
            #expect(error.description.contains("no credentials found"))
        }
    }

    @Test func metadataDisabledMeansNoMetadataLink() throws {
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        #expect(try chain(scratch).chain.links.map(\.source) == [])
        let enabled = try chain(scratch, ["AWS_EC2_METADATA_DISABLED": "false"])
        #expect(enabled.chain.links.map(\.source) == ["instance-metadata"])
        #expect(
            InstanceMetadataCredentialProvider.endpoint(environment: [:], profile: nil)?.absoluteString
                == "http://169.254.169.254")
        #expect(
            InstanceMetadataCredentialProvider.endpoint(
                environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "IPv6"], profile: nil)?.absoluteString
                == "http://[fd00:ec2::254]")
    }

    // MARK: - Refresh

    @Test func cachedUntilTheRefreshWindowThenRefreshed() async throws {
        let clock = TestClock()
        let base = CountingProvider(clock: clock, lifetime: 3600)
        let provider = RefreshingCredentialProvider(base, now: { clock.now })
        #expect(try await provider.credentials().accessKeyID == "ASIA1")
        clock.advance(3600 - 301)  // 5 min 1 s before expiry: still cached
        #expect(try await provider.credentials().accessKeyID == "ASIA1")
        #expect(base.calls == 1)
        clock.advance(2)  // inside the 5-minute window: refreshed
        #expect(try await provider.credentials().accessKeyID == "ASIA2")
        #expect(base.calls == 2)
    }

    @Test func concurrentCallersShareOneRefresh() async throws {
        let clock = TestClock()
        let base = CountingProvider(clock: clock, lifetime: 3600, delay: .milliseconds(200))
        let provider = RefreshingCredentialProvider(base, now: { clock.now })
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<50 { group.addTask { try await provider.credentials().accessKeyID } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(keys == ["ASIA1"])
        #expect(base.calls == 1)
    }

    @Test func aFailedRefreshKeepsStillValidCredentialsButNotExpiredOnes() async throws {
        let clock = TestClock()
        let base = CountingProvider(clock: clock, lifetime: 3600)
        let provider = RefreshingCredentialProvider(base, now: { clock.now })
        _ = try await provider.credentials()
        base.fail(true)
        clock.advance(3600 - 60)  // in the window, not expired: the old ones still serve
        #expect(try await provider.credentials().accessKeyID == "ASIA1")
        clock.advance(120)  // expired: the failure shows
        await #expect(throws: CredentialsError.self) { try await provider.credentials() }
        base.fail(false)
        #expect(try await provider.credentials().accessKeyID == "ASIA4")
    }

    @Test func longTermKeysAreNeverRefreshed() async throws {
        let clock = TestClock()
        let provider = RefreshingCredentialProvider(
            StaticCredentialProvider(AWSCredentials(accessKeyID: "AKIA", secretAccessKey: "s")), now: { clock.now })
        _ = try await provider.credentials()
        clock.advance(86_400 * 365)
        #expect(try await provider.credentials().accessKeyID == "AKIA")
    }
}
