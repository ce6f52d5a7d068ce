import AWSClient
import Foundation
import Testing

/// Endpoint overrides: what parses, what does not, and that a malformed one is an error rather
/// than a silent fall back to the public endpoint.
@Suite struct EndpointSettingsTests {
    @Test func aMalformedOverrideIsAnErrorNotThePublicEndpoint() {
        for value in ["localhost:4599", "127.0.0.1:4599", "http://127.0.0.1:4599 ", "not a url", "ftp://127.0.0.1"] {
            let settings = AWSSettings(environment: ["AWS_ENDPOINT_URL": value], config: SharedConfig())
            #expect(throws: (any Error).self, "\(value)") { try settings.endpoint(for: .ec2, region: "us-east-1") }
        }
    }

    /// A scheme (http or https) and a host, with a port and a base path allowed, as botocore's
    /// `is_valid_endpoint_url` has it.
    @Test func validEndpoints() throws {
        for text in [
            "http://127.0.0.1:4599", "https://ec2.us-east-1.amazonaws.com", "HTTP://LOCALHOST:4566", "http://localhost",
            "http://sandbox.internal.:8080/", "https://proxy.example.com/aws/ec2", "http://[::1]:4599",
            "http://[fd00::1]",
            "http://127.0.0.1:65535", "http://a-b.c-d:1",
        ] {
            let url = try EndpointURL.parse(text).get()
            #expect(url.absoluteString == text)
        }
    }

    @Test func malformedEndpointsSayWhy() {
        let cases: [(text: String, problem: String)] = [
            ("localhost:4599", "no scheme"), ("127.0.0.1:4599", "no scheme"), ("not a url", "whitespace"),
            ("http://127.0.0.1:4599 ", "whitespace"), ("\thttp://127.0.0.1:4599", "whitespace"),
            ("http://a\n.b", "whitespace"),
            ("ftp://127.0.0.1", "scheme must be http or https"), ("file:///etc/passwd", "scheme must be http or https"),
            ("http://", "no host"), ("http://:4599", "no host"), ("http:///path", "no host"),
            ("http://127.0.0.1:0", "port"), ("http://127.0.0.1:65536", "port"), ("http://127.0.0.1:", "port"),
            ("http://user:secret@127.0.0.1:4599", "user"), ("http://127.0.0.1:4599?x=1", "query"),
            ("http://127.0.0.1:4599#top", "fragment"), ("http://under_score.example", "not a host name"),
            ("http://-leading.example", "not a host name"),
            ("http://\(String(repeating: "a", count: 64)).example", "not a host name"),
        ]
        for (text, problem) in cases {
            switch EndpointURL.parse(text) {
            case .success(let url): Issue.record("\(text) parsed as \(url)")
            case .failure(let error): #expect(error.description.contains(problem), "\(text): \(error)")
            }
        }
    }

    /// The first override that is set is the one used; if it is malformed that is the error,
    /// never the next override down (here a valid `AWS_ENDPOINT_URL`) and never the public endpoint.
    @Test func theFirstSetOverrideWinsEvenWhenMalformed() {
        let settings = AWSSettings(
            environment: ["AWS_ENDPOINT_URL_EC2": "127.0.0.1:4599", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566"],
            config: SharedConfig())
        #expect(
            throws: EndpointSettingError(
                source: "AWS_ENDPOINT_URL_EC2", value: "127.0.0.1:4599", problem: Self.noScheme)
        ) {
            try settings.endpoint(for: .ec2, region: "us-east-1")
        }
        #expect((try? settings.endpoint(for: .eks, region: "us-east-1"))?.absoluteString == "http://127.0.0.1:4566")
        #expect(throws: EndpointSettingError.self) { try settings.endpointOverrides() }
    }

    static let noScheme = "it has no scheme"

    @Test func configFileOverridesAreCheckedAndNamedWithProfileAndFile() {
        let config = SharedConfig(
            configText: """
                [profile flat]
                endpoint_url = localhost:4599
                [profile nested]
                services = local
                [services local]
                eks =
                  endpoint_url = http://127.0.0.1:4711
                ec2 =
                  endpoint_url = 127.0.0.1:4599
                """, credentialsText: "")
        let environment = ["AWS_CONFIG_FILE": "/etc/strata/config"]
        let flat = AWSSettings(environment: environment, profile: "flat", config: config)
        #expect(
            throws: EndpointSettingError(
                source: "endpoint_url in profile flat of /etc/strata/config", value: "localhost:4599",
                problem: Self.noScheme)
        ) {
            try flat.endpointOverrides()
        }
        let nested = AWSSettings(environment: environment, profile: "nested", config: config)
        let expected = EndpointSettingError(
            source: "endpoint_url for ec2 in services local (profile nested) of /etc/strata/config",
            value: "127.0.0.1:4599",
            problem: Self.noScheme)
        #expect(throws: expected) { try nested.endpointOverrides() }
        #expect(throws: expected) { try nested.endpoint(for: .ec2, region: "us-east-1") }
        // A malformed override of another service does not stop this one being read.
        #expect((try? nested.endpoint(for: .eks, region: "us-east-1"))?.absoluteString == "http://127.0.0.1:4711")
    }

    /// What the headers of plan, apply and destroy list, in order.
    @Test func overridesInEffectForTheHeader() throws {
        let config = SharedConfig(
            configText: """
                [profile dev]
                endpoint_url = http://127.0.0.1:4600
                services = local
                [services local]
                eks =
                  endpoint_url = http://127.0.0.1:4711
                """, credentialsText: "")
        let environment = [
            "AWS_CONFIG_FILE": "/c", "AWS_PROFILE": "dev", "AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:4712/q",
        ]
        let fromProfile = try AWSSettings(environment: environment, config: config).endpointOverrides().map(
            \.headerLine)
        #expect(
            fromProfile == [
                "Endpoint: http://127.0.0.1:4600 (endpoint_url in profile dev of /c)",
                "Endpoint for EKS: http://127.0.0.1:4711 (endpoint_url for eks in services local (profile dev) of /c)",
                "Endpoint for SQS: http://127.0.0.1:4712/q (AWS_ENDPOINT_URL_SQS)",
            ])
        // AWS_ENDPOINT_URL outranks the whole profile, its services section included.
        var global = environment
        global["AWS_ENDPOINT_URL"] = "http://127.0.0.1:4566"
        #expect(
            try AWSSettings(environment: global, config: config).endpointOverrides().map(\.headerLine) == [
                "Endpoint: http://127.0.0.1:4566 (AWS_ENDPOINT_URL)",
                "Endpoint for SQS: http://127.0.0.1:4712/q (AWS_ENDPOINT_URL_SQS)",
            ])
        // Nothing set, or overrides ignored: no header, the public endpoints.
        #expect(try AWSSettings(environment: [:], config: SharedConfig()).endpointOverrides().isEmpty)
        global["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true"
        #expect(try AWSSettings(environment: global, config: config).endpointOverrides().isEmpty)
    }

    /// A base path is kept: requests go to the path under it, as with botocore.
    @Test func aBasePathPrefixesTheOperationPath() throws {
        let settings = AWSSettings(
            environment: ["AWS_ENDPOINT_URL": "http://127.0.0.1:4599/aws/"], config: SharedConfig())
        let endpoint = try settings.endpoint(for: .eks, region: "us-east-1")
        let operation = AWSOperation(
            service: .eks, action: "ListClusters", method: "GET", path: "/clusters", idempotent: true)
        #expect(operation.url(at: endpoint)?.absoluteString == "http://127.0.0.1:4599/aws/clusters")
    }
}
