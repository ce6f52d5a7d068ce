import Foundation

/// The settings the AWS SDKs take from the environment and the shared files: which profile,
/// which region, which endpoint per service. Credentials come from ``DefaultCredentialProvider``,
/// which reads the same settings.
///
/// Everything is read from the `environment` dictionary and the files given, never from the
/// process directly, so tests pass their own.
public struct AWSSettings: Sendable {
    /// The environment the settings were read from.
    public let environment: [String: String]
    /// The shared files, parsed.
    public let config: SharedConfig
    /// The selected profile: the explicit one, else `AWS_PROFILE`, else `AWS_DEFAULT_PROFILE`, else `default`.
    public let profileName: String
    /// True when the profile was named by the caller (`--profile`), which, as in the AWS CLI,
    /// makes the profile win over keys in the environment.
    public let profileIsExplicit: Bool

    /// Reads the shared files the environment points at (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`).
    public init(environment: [String: String], profile: String? = nil, files: SharedConfigFiles? = nil) throws {
        let config = try SharedConfig(files: files ?? SharedConfigFiles(environment: environment))
        self.init(environment: environment, profile: profile, config: config)
    }

    /// Settings over an already parsed configuration.
    public init(environment: [String: String], profile: String? = nil, config: SharedConfig) {
        self.environment = environment
        self.config = config
        let fromEnvironment = [environment["AWS_PROFILE"], environment["AWS_DEFAULT_PROFILE"]]
            .compactMap { $0 }.first { !$0.isEmpty }
        self.profileName = profile ?? fromEnvironment ?? "default"
        self.profileIsExplicit = profile != nil
    }

    /// The selected profile's settings, if the files define it.
    public var profile: SharedConfig.Profile? { config.profiles[profileName] }

    /// True when a profile other than `default` was asked for but no file defines it.
    public var profileIsMissing: Bool { profile == nil && profileName != "default" }

    /// `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the profile's `region`.
    public var region: String? {
        for key in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            if let value = environment[key], !value.isEmpty { return value }
        }
        return profile?["region"]
    }

    /// The endpoint of a service, in the SDKs' order: `AWS_ENDPOINT_URL_<SERVICE>`,
    /// `AWS_ENDPOINT_URL`, the profile's `services` section entry for the service, the profile's
    /// `endpoint_url`, then the public endpoint. `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`
    /// (or `ignore_configured_endpoint_urls = true` in the profile) skips every override.
    ///
    /// Public endpoints are regional (`https://ec2.<region>.amazonaws.com`), `.amazonaws.com.cn` in
    /// the China regions; IAM has its one global endpoint; STS is regional unless
    /// `AWS_STS_REGIONAL_ENDPOINTS` (or `sts_regional_endpoints`) is `legacy`, which sends the
    /// regions that once shared it to `https://sts.amazonaws.com`.
    public func endpoint(for service: AWSService, region: String) -> URL {
        configuredEndpoint(serviceID: service.serviceID) ?? publicEndpoint(for: service, region: region)
    }

    /// An endpoint set in the environment or the profile for the service with this service id
    /// (`EKS`, `CloudWatch Logs`, `SSO`), if any.
    func configuredEndpoint(serviceID: String) -> URL? {
        guard !ignoresConfiguredEndpoints else { return nil }
        let environmentSuffix = serviceID.uppercased().replacingOccurrences(of: " ", with: "_")
            .replacingOccurrences(of: "-", with: "_")
        let configKey = serviceID.lowercased().replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
        let candidates: [String?] = [
            environment["AWS_ENDPOINT_URL_\(environmentSuffix)"],
            environment["AWS_ENDPOINT_URL"],
            profile?["services"].flatMap { config.services[$0]?[configKey]?["endpoint_url"] },
            profile?["endpoint_url"],
        ]
        for candidate in candidates {
            if let text = candidate, !text.isEmpty, let url = URL(string: text), url.scheme != nil, url.host != nil {
                return url
            }
        }
        return nil
    }

    /// The regions whose STS calls went to the global endpoint before regional STS was the default.
    static let legacyGlobalSTSRegions: Set<String> = [
        "aws-global", "ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ca-central-1",
        "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1", "us-east-1", "us-east-2",
        "us-west-1", "us-west-2",
    ]

    private func publicEndpoint(for service: AWSService, region: String) -> URL {
        if service.name == "sts" {
            let mode = environment["AWS_STS_REGIONAL_ENDPOINTS"].flatMap { $0.isEmpty ? nil : $0 }
                ?? profile?["sts_regional_endpoints"]
            if mode?.lowercased() == "legacy" && Self.legacyGlobalSTSRegions.contains(region),
                let global = URL(string: "https://sts.amazonaws.com")
            {
                return global
            }
        }
        if service.globalEndpoint == nil, region.hasPrefix("cn-"),
            let china = URL(string: "https://\(service.endpointPrefix).\(region).amazonaws.com.cn")
        {
            return china
        }
        return service.defaultEndpoint(region: region)
    }

    /// ``endpoint(for:region:)`` as the closure `AWSClient.Configuration` takes.
    public var endpointResolver: @Sendable (AWSService, String) -> URL {
        { service, region in self.endpoint(for: service, region: region) }
    }

    private var ignoresConfiguredEndpoints: Bool {
        environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() == "true"
            || profile?["ignore_configured_endpoint_urls"]?.lowercased() == "true"
    }
}
