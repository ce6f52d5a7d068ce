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
    /// The first override that is set wins; if it is not a usable URL (``EndpointURL``) that is
    /// an ``EndpointSettingError``, never a fall back to the next one or to the public endpoint.
    ///
    /// Public endpoints are regional (`https://ec2.<region>.amazonaws.com`), `.amazonaws.com.cn` in
    /// the China regions; IAM has its one global endpoint; STS is regional unless
    /// `AWS_STS_REGIONAL_ENDPOINTS` (or `sts_regional_endpoints`) is `legacy`, which sends the
    /// regions that once shared it to `https://sts.amazonaws.com`.
    public func endpoint(for service: AWSService, region: String) throws -> URL {
        try configuredEndpoint(serviceID: service.serviceID) ?? publicEndpoint(for: service, region: region)
    }

    /// An endpoint set in the environment or the profile for the service with this service id
    /// (`EKS`, `CloudWatch Logs`, `SSO`), if any.
    func configuredEndpoint(serviceID: String) throws -> URL? {
        guard !ignoresConfiguredEndpoints else { return nil }
        let environmentSuffix = Self.environmentSuffix(serviceID)
        let configKey = serviceID.lowercased().replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
        let servicesSection = profile?["services"]
        let candidates: [(text: String?, source: String)] = [
            (environment["AWS_ENDPOINT_URL_\(environmentSuffix)"], "AWS_ENDPOINT_URL_\(environmentSuffix)"),
            (environment["AWS_ENDPOINT_URL"], "AWS_ENDPOINT_URL"),
            (
                servicesSection.flatMap { config.services[$0]?[configKey]?["endpoint_url"] },
                servicesSource(key: configKey, section: servicesSection ?? "")
            ),
            (profile?["endpoint_url"], profileSource),
        ]
        for candidate in candidates {
            if let text = candidate.text, !text.isEmpty { return try Self.endpointURL(text, source: candidate.source) }
        }
        return nil
    }

    /// Every endpoint override that is set, checked: the one for every service first
    /// (`AWS_ENDPOINT_URL`, else the profile's `endpoint_url`), then the per-service ones
    /// (`AWS_ENDPOINT_URL_<SERVICE>`, the profile's `services` section) that are in effect, by
    /// service. Any set value that is not a usable URL, in effect or shadowed by another, is an
    /// ``EndpointSettingError``, so a typo is found before anything is sent. Empty with
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`, whose overrides are never read.
    public func endpointOverrides() throws -> [EndpointOverride] {
        guard !ignoresConfiguredEndpoints else { return [] }
        var general: EndpointOverride?
        for (text, source) in [(environment["AWS_ENDPOINT_URL"], "AWS_ENDPOINT_URL"), (profile?["endpoint_url"], profileSource)] {
            guard let text, !text.isEmpty else { continue }
            let url = try Self.endpointURL(text, source: source)
            if general == nil { general = EndpointOverride(url: url, source: source, service: nil) }
        }
        var perService: [String: EndpointOverride] = [:]
        let prefix = "AWS_ENDPOINT_URL_"
        for (name, text) in environment where name.hasPrefix(prefix) && !text.isEmpty {
            let service = String(name.dropFirst(prefix.count))
            perService[service] = EndpointOverride(url: try Self.endpointURL(text, source: name), source: name, service: service)
        }
        if let section = profile?["services"], let entries = config.services[section] {
            for (key, settings) in entries {
                guard let text = settings["endpoint_url"], !text.isEmpty else { continue }
                let source = servicesSource(key: key, section: section)
                let url = try Self.endpointURL(text, source: source)
                let service = Self.environmentSuffix(key)
                // `AWS_ENDPOINT_URL` outranks the services section; `AWS_ENDPOINT_URL_<S>` too.
                if environment["AWS_ENDPOINT_URL"].map(\.isEmpty) ?? true, perService[service] == nil {
                    perService[service] = EndpointOverride(url: url, source: source, service: service)
                }
            }
        }
        return (general.map { [$0] } ?? []) + perService.keys.sorted().compactMap { perService[$0] }
    }

    /// The suffix of `AWS_ENDPOINT_URL_<SERVICE>` for a service id or a services-section key.
    static func environmentSuffix(_ serviceID: String) -> String {
        serviceID.uppercased().replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
    }

    static func endpointURL(_ text: String, source: String) throws -> URL {
        switch EndpointURL.parse(text) {
        case .success(let url): return url
        case .failure(let problem): throw EndpointSettingError(source: source, value: text, problem: problem.description)
        }
    }

    /// The config file the profile was read from, for messages.
    private var configFile: String { SharedConfigFiles(environment: environment).config }

    private var profileSource: String { "endpoint_url in profile \(profileName) of \(configFile)" }

    private func servicesSource(key: String, section: String) -> String {
        "endpoint_url for \(key) in services \(section) (profile \(profileName)) of \(configFile)"
    }

    /// The regions whose STS calls went to the global endpoint before regional STS was the default.
    static let legacyGlobalSTSRegions: Set<String> = [
        "aws-global", "ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ca-central-1",
        "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1", "us-east-1", "us-east-2",
        "us-west-1", "us-west-2",
    ]

    private func publicEndpoint(for service: AWSService, region: String) -> URL {
        if service.name == "sts" {
            let mode =
                environment["AWS_STS_REGIONAL_ENDPOINTS"].flatMap { $0.isEmpty ? nil : $0 }
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
    public var endpointResolver: @Sendable (AWSService, String) throws -> URL {
        { service, region in try self.endpoint(for: service, region: region) }
    }

    private var ignoresConfiguredEndpoints: Bool {
        environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() == "true"
            || profile?["ignore_configured_endpoint_urls"]?.lowercased() == "true"
    }
}

/// An endpoint override in effect, and where it was set.
public struct EndpointOverride: Sendable, Equatable {
    public var url: URL
    /// `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_EKS`, `endpoint_url in profile dev of ~/.aws/config`, ...
    public var source: String
    /// The service it is for, as in `AWS_ENDPOINT_URL_<SERVICE>` (`EC2`, `CLOUDWATCH_LOGS`); nil
    /// when it is for every service.
    public var service: String?

    public init(url: URL, source: String, service: String?) {
        self.url = url
        self.source = source
        self.service = service
    }

    /// `Endpoint: <url> (<source>)`, or `Endpoint for <SERVICE>: ...`: how commands announce it.
    public var headerLine: String {
        "Endpoint\(service.map { " for \($0)" } ?? ""): \(url.absoluteString) (\(source))"
    }
}

/// A configured endpoint that is not a URL strata can send to.
public struct EndpointSettingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The variable, or the key with its profile and file.
    public var source: String
    public var value: String
    public var problem: String

    public init(source: String, value: String, problem: String) {
        self.source = source
        self.value = value
        self.problem = problem
    }

    public var description: String {
        "\(source) is \"\(value)\", not an endpoint URL: \(problem). Expected http:// or https://, a host, and "
            + "optionally a port and a path (http://127.0.0.1:4566); nothing was sent"
    }
}
