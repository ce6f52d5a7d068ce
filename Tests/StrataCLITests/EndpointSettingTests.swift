import Foundation
import StrataTestSupport
import Testing

/// Endpoint overrides end to end: a malformed one stops strata before anything is sent (it used
/// to be dropped, and the call signed for the public AWS endpoint), and a valid one is named in
/// the headers of plan, apply and destroy. No sandbox: nothing here may reach a real endpoint, so
/// every run points at a closed loopback port and makes one attempt.
@Suite struct EndpointSettingTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let demoStack = repository.appendingPathComponent("stacks/demo").path

    /// Credentials, no shared files, no retries; every endpoint variable strata might inherit blanked.
    static let base: [String: String] = [
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": "", "AWS_MAX_ATTEMPTS": "1",
        "AWS_CONFIG_FILE": "/nonexistent/strata-test/config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/strata-test/credentials",
        "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_EC2": "", "AWS_ENDPOINT_URL_STS": "", "AWS_ENDPOINT_URL_DYNAMODB": "",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "",
    ]

    /// Values that are not endpoints: no scheme, a stray space, no host, another scheme, a user.
    static let malformed = [
        "localhost:4599", "127.0.0.1:4599", "http://127.0.0.1:4599 ", " http://127.0.0.1:4599", "not a url",
        "ftp://127.0.0.1:4599", "http://", "http://:4599", "http://127.0.0.1:99999", "http://user@127.0.0.1:4599",
        "http://127.0.0.1:4599?x=1", "http://exa mple.com",
    ]

    static func environment(_ extra: [String: String]) -> [String: String] {
        base.merging(extra) { _, given in given }
    }

    @Test(arguments: ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2"])
    func aMalformedEndpointVariableFailsNamingItAndSendsNothing(variable: String) async throws {
        for value in Self.malformed {
            let result = try await StrataBinary.run(
                ["aws", "request", "ec2", "DescribeVpcs", "--dry-run"], environment: Self.environment([variable: value])
            )
            #expect(result.status == 1, "\(variable)=\(value): \(result.stdout)")
            #expect(result.stderr.contains("\(variable) is \"\(value)\""), "\(variable)=\(value): \(result.stderr)")
            #expect(!result.stdout.contains("amazonaws.com"), "\(variable)=\(value): \(result.stdout)")
        }
    }

    @Test func aMalformedEndpointInTheConfigFileFailsNamingFileAndProfile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "strata-endpoint-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("config")
        try """
        [profile flat]
        endpoint_url = localhost:4599

        [profile nested]
        services = local

        [services local]
        ec2 =
          endpoint_url = 127.0.0.1:4599
        """.write(to: config, atomically: true, encoding: .utf8)
        for (profile, value, names) in [
            ("flat", "localhost:4599", ["endpoint_url in profile flat"]),
            ("nested", "127.0.0.1:4599", ["endpoint_url for ec2 in services local", "profile nested"]),
        ] {
            let result = try await StrataBinary.run(
                ["aws", "request", "ec2", "DescribeVpcs", "--dry-run"],
                environment: Self.environment(["AWS_CONFIG_FILE": config.path, "AWS_PROFILE": profile]))
            #expect(result.status == 1, "\(profile): \(result.stdout)")
            for name in names + [config.path, "\"\(value)\""] {
                #expect(result.stderr.contains(name), "\(profile): \(result.stderr)")
            }
            #expect(!result.stdout.contains("amazonaws.com"), "\(profile): \(result.stdout)")
        }
    }

    @Test func planApplyAndDestroyRefuseAMalformedEndpoint() async throws {
        for command in [["plan"], ["apply", "--auto-approve"], ["destroy", "--auto-approve"]] {
            let result = try await StrataBinary.run(
                command + [Self.demoStack], environment: Self.environment(["AWS_ENDPOINT_URL": "localhost:4599"]))
            #expect(result.status == 1, "\(command): \(result.stdout)")
            #expect(result.stderr.contains("AWS_ENDPOINT_URL is \"localhost:4599\""), "\(command): \(result.stderr)")
            #expect(!result.stderr.contains("amazonaws.com"), "\(command): \(result.stderr)")
        }
    }

    /// The header comes before the first call, so it shows even when that call fails (here the
    /// port is closed).
    @Test func aValidOverrideIsNamedInTheHeaderOfPlanApplyAndDestroy() async throws {
        for command in [["plan"], ["apply", "--auto-approve"], ["destroy", "--auto-approve"]] {
            let result = try await StrataBinary.run(
                command + [Self.demoStack], environment: Self.environment(["AWS_ENDPOINT_URL": "http://127.0.0.1:9"]))
            #expect(result.status == 1, "\(command): \(result.stdout)")
            #expect(
                result.stdout.hasPrefix("Endpoint: http://127.0.0.1:9 (AWS_ENDPOINT_URL)\n"),
                "\(command): \(result.stdout)")
            let service = try await StrataBinary.run(
                command + [Self.demoStack],
                environment: Self.environment([
                    "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_ENDPOINT_URL_EC2": "http://127.0.0.1:19/base",
                ]))
            #expect(
                service.stdout.hasPrefix(
                    "Endpoint: http://127.0.0.1:9 (AWS_ENDPOINT_URL)\nEndpoint for EC2: http://127.0.0.1:19/base (AWS_ENDPOINT_URL_EC2)\n"
                ),
                "\(command): \(service.stdout)")
        }
    }

    /// Against the sandbox the plan goes through: the header, a blank line, then the plan.
    @Test func aPlanAgainstAnOverrideOpensWithItsHeader() async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(of: "demo")
        defer { copy.remove() }
        let plan = try await StrataBinary.run(["plan", copy.path], environment: copy.environment(sandbox))
        #expect(plan.status == 0, "\(plan.stdout)\n\(plan.stderr)")
        let header = "Endpoint: \(sandbox.url.absoluteString) (AWS_ENDPOINT_URL)\n\n"
        #expect(plan.stdout.hasPrefix(header), "\(plan.stdout)")
        #expect(plan.stdout.dropFirst(header.count).first?.isLetter == true, "\(plan.stdout)")
    }

    /// `plan --json` keeps standard output for the JSON document: the endpoint goes to standard error.
    @Test func planJSONNamesTheEndpointOnStandardError() async throws {
        let result = try await StrataBinary.run(
            ["plan", "--json", Self.demoStack],
            environment: Self.environment(["AWS_ENDPOINT_URL": "http://127.0.0.1:9"]))
        #expect(result.status == 1)
        #expect(!result.stdout.contains("Endpoint:"))
        #expect(result.stderr.contains("Endpoint: http://127.0.0.1:9 (AWS_ENDPOINT_URL)\n"), "\(result.stderr)")
    }
}
