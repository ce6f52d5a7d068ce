import AWSSigner
import Foundation

/// Credential sources tried in order; the first that yields credentials wins.
///
/// A source that is configured but fails stops the chain with its error (a broken profile is
/// reported, not skipped), except links marked `fallThroughOnFailure` (instance metadata, which
/// is simply absent off EC2).
public struct CredentialChain: CredentialProvider {
    /// One source in the chain.
    public struct Link: Sendable {
        /// The source's name, used in errors and in ``DefaultCredentialProvider/source``.
        public var source: String
        /// The provider.
        public var provider: any CredentialProvider
        /// Whether a failure moves on to the next link instead of ending the chain.
        public var fallThroughOnFailure: Bool

        /// Creates a link.
        public init(source: String, provider: any CredentialProvider, fallThroughOnFailure: Bool = false) {
            self.source = source
            self.provider = provider
            self.fallThroughOnFailure = fallThroughOnFailure
        }
    }

    /// The sources, in order.
    public let links: [Link]

    /// A chain of these links.
    public init(_ links: [Link]) {
        self.links = links
    }

    public func credentials() async throws -> AWSCredentials {
        try await resolve().credentials
    }

    /// The first link that yields credentials, with them.
    public func resolve() async throws -> (link: Link, credentials: AWSCredentials) {
        var skipped: [String] = []
        for link in links {
            do {
                return (link, try await link.provider.credentials())
            } catch {
                guard link.fallThroughOnFailure else { throw error }
                skipped.append("\(link.source): \(error)")
            }
        }
        let tried = links.map(\.source).joined(separator: ", ")
        let reasons = skipped.isEmpty ? "" : " (\(skipped.joined(separator: "; ")))"
        throw CredentialsError(
            source: "chain",
            message: "no credentials found; tried \(tried.isEmpty ? "nothing configured" : tried)\(reasons). "
                + "Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or AWS_PROFILE to a profile in ~/.aws/config")
    }
}

/// The AWS SDKs' default credential chain, in their order:
/// 1. environment keys (`AWS_ACCESS_KEY_ID`, …), unless a profile was named explicitly;
/// 2. an assume-role profile (`role_arn` with `source_profile` or `credential_source`), via STS;
/// 3. web identity: `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` [+ `AWS_ROLE_SESSION_NAME`],
///    or `web_identity_token_file` + `role_arn` in the profile;
/// 4. an IAM Identity Center (SSO) profile, with the token `aws sso login` cached;
/// 5. keys in the profile (credentials file, then config file), else its `credential_process`;
/// 6. the container credentials endpoint (`AWS_CONTAINER_CREDENTIALS_FULL_URI`/`_RELATIVE_URI`);
/// 7. the instance metadata service (IMDSv2), unless `AWS_EC2_METADATA_DISABLED=true`.
///
/// The source that answers first is kept for later calls; temporary credentials are cached and
/// refreshed 5 minutes before they expire, one refresh shared by concurrent callers.
public actor DefaultCredentialProvider: CredentialProvider {
    /// The chain, as the settings configure it.
    public nonisolated let chain: CredentialChain
    private var chosen: CredentialChain.Link?

    /// Builds the chain from `settings`. Throws when the selected profile does not exist; a profile
    /// configured wrongly (an assume-role profile without a source, a source-profile cycle, …)
    /// fails when credentials are asked for and the sources before it have none.
    public init(
        settings: AWSSettings, transport: any HTTPTransport, now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        self.chain = CredentialChain(try ProfileResolver(settings: settings, transport: transport, now: now).defaultLinks())
    }

    /// Reads the process environment and the shared files (the command line's entry point).
    public init(profile: String? = nil, transport: any HTTPTransport) throws {
        try self.init(
            settings: AWSSettings(environment: ProcessInfo.processInfo.environment, profile: profile),
            transport: transport)
    }

    /// The source that supplied credentials, once one has.
    public var source: String? { chosen?.source }

    public func credentials() async throws -> AWSCredentials {
        if let chosen { return try await chosen.provider.credentials() }
        let (link, credentials) = try await chain.resolve()
        chosen = link
        return credentials
    }
}

/// A configured source that cannot work: every call throws the configuration error.
struct FailingCredentialProvider: CredentialProvider {
    let error: any Error

    func credentials() async throws -> AWSCredentials { throw error }
}

/// Turns profiles into providers, as the SDKs read them.
struct ProfileResolver {
    let settings: AWSSettings
    let transport: any HTTPTransport
    let now: @Sendable () -> Date

    func defaultLinks() throws -> [CredentialChain.Link] {
        let environment = settings.environment
        let profileName = settings.profileName
        if settings.profileIsMissing {
            throw CredentialsError(
                source: "config-file", profile: profileName,
                message: "no such profile in \(SharedConfigFiles(environment: environment).config) or the credentials file")
        }
        var links: [CredentialChain.Link] = []

        let environmentKeys = EnvironmentCredentialProvider(environment: environment)
        if environmentKeys.isConfigured && !settings.profileIsExplicit {
            links.append(.init(source: "environment", provider: environmentKeys))
        }
        // A source configured wrongly becomes a link that fails with the configuration error:
        // sources before it (the environment) still answer, sources after it are never reached.
        func add(_ source: String, _ build: () throws -> (any CredentialProvider)?) -> Bool {
            do {
                if let provider = try build() { links.append(.init(source: source, provider: provider)) }
                return true
            } catch {
                links.append(.init(source: source, provider: FailingCredentialProvider(error: error)))
                return false
            }
        }
        let profile = settings.profile
        guard
            add(
                "assume-role",
                {
                    guard let profile, profile["role_arn"] != nil,
                        profile["source_profile"] != nil || profile["credential_source"] != nil
                    else { return nil }
                    return try assumeRole(profileName, visited: [])
                }),
            add(
                "web-identity",
                {
                    if let webIdentity = try webIdentityFromEnvironmentOrProfile() { return webIdentity }
                    if let profile, profile["role_arn"] != nil, profile["source_profile"] == nil,
                        profile["credential_source"] == nil
                    {
                        throw CredentialsError(
                            source: "assume-role", profile: profile.name,
                            message: "role_arn needs source_profile, credential_source or web_identity_token_file")
                    }
                    return nil
                }),
            add("sso", { try profile.flatMap(sso) }),
            add("profile", { try profile.flatMap(staticKeys) }),
            add("process", { profile?["aws_access_key_id"] == nil ? profile.flatMap(process) : nil })
        else { return links }

        let container = ContainerCredentialProvider(environment: environment, transport: transport)
        if container.isConfigured {
            links.append(.init(source: "container", provider: refreshing(container)))
        }
        if let endpoint = InstanceMetadataCredentialProvider.endpoint(environment: environment, profile: profile) {
            links.append(
                .init(
                    source: "instance-metadata",
                    provider: refreshing(InstanceMetadataCredentialProvider(endpoint: endpoint, transport: transport)),
                    fallThroughOnFailure: true))
        }
        return links
    }

    private func refreshing(_ provider: any CredentialProvider) -> any CredentialProvider {
        RefreshingCredentialProvider(provider, now: now)
    }

    private func profile(_ name: String, referencedBy: String?) throws -> SharedConfig.Profile {
        guard let profile = settings.config.profiles[name] else {
            throw CredentialsError(
                source: "config-file", profile: referencedBy ?? name,
                message: referencedBy == nil ? "no such profile" : "source_profile \"\(name)\" is not defined")
        }
        return profile
    }

    /// `aws_access_key_id` and `aws_secret_access_key` [+ `aws_session_token`], if the profile has them.
    func staticKeys(_ profile: SharedConfig.Profile) throws -> (any CredentialProvider)? {
        guard let key = profile["aws_access_key_id"] else { return nil }
        guard let secret = profile["aws_secret_access_key"] else {
            throw CredentialsError(
                source: "profile", profile: profile.name, message: "aws_access_key_id is set but aws_secret_access_key is not")
        }
        return StaticCredentialProvider(
            AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: profile["aws_session_token"]))
    }

    /// The profile's `credential_process`, cached and refreshed by its `Expiration`.
    func process(_ profile: SharedConfig.Profile) -> (any CredentialProvider)? {
        guard let command = profile["credential_process"] else { return nil }
        return refreshing(ProcessCredentialProvider(command: command, profile: profile.name))
    }

    /// An SSO profile (`sso_session` or the legacy `sso_start_url`), if this is one.
    func sso(_ profile: SharedConfig.Profile) throws -> (any CredentialProvider)? {
        let sessionName = profile["sso_session"]
        guard sessionName != nil || profile["sso_start_url"] != nil else { return nil }
        func fail(_ message: String) -> CredentialsError {
            CredentialsError(source: "sso", profile: profile.name, message: message)
        }
        var startURL = profile["sso_start_url"]
        var region = profile["sso_region"]
        if let sessionName {
            guard let session = settings.config.ssoSessions[sessionName] else {
                throw fail("sso_session \"\(sessionName)\" has no [sso-session \(sessionName)] section")
            }
            startURL = session["sso_start_url"].flatMap { $0.isEmpty ? nil : $0 }
            region = session["sso_region"].flatMap { $0.isEmpty ? nil : $0 }
        }
        let required = [
            ("sso_start_url", startURL), ("sso_region", region), ("sso_account_id", profile["sso_account_id"]),
            ("sso_role_name", profile["sso_role_name"]),
        ]
        let missing = required.filter { $0.1 == nil }.map(\.0)
        guard missing.isEmpty, let startURL, let region, let account = profile["sso_account_id"],
            let role = profile["sso_role_name"]
        else {
            throw fail("the SSO profile lacks \(missing.joined(separator: ", "))")
        }
        let home = settings.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        guard
            let portal = try settings.configuredEndpoint(serviceID: "SSO")
                ?? URL(string: "https://portal.sso.\(region).amazonaws.com")
        else {
            throw fail("sso_region \"\(region)\" does not make an endpoint")
        }
        return refreshing(
            SSOCredentialProvider(
                configuration: .init(sessionName: sessionName, startURL: startURL, region: region, accountID: account, roleName: role),
                cacheDirectory: home + "/.aws/sso/cache", portal: portal, transport: transport, profile: profile.name, now: now))
    }

    private func session(_ profile: SharedConfig.Profile, roleARN: String) throws -> RoleSession {
        var duration: Int?
        if let text = profile["duration_seconds"] {
            guard let seconds = Int(text), seconds > 0 else {
                throw CredentialsError(
                    source: "assume-role", profile: profile.name, message: "duration_seconds \"\(text)\" is not a number of seconds")
            }
            duration = seconds
        }
        return RoleSession(
            roleARN: roleARN, sessionName: profile["role_session_name"], externalID: profile["external_id"],
            durationSeconds: duration)
    }

    private func stsEndpoint() throws -> STSEndpoint {
        let region = settings.region ?? "us-east-1"
        let url = try settings.endpoint(for: .sts, region: region)
        // The global endpoint only accepts signatures scoped to us-east-1.
        let signingRegion = url.host?.lowercased() == "sts.amazonaws.com" ? "us-east-1" : region
        return STSEndpoint(url: url, region: signingRegion, transport: transport)
    }

    /// An assume-role profile: STS AssumeRole with credentials from its source, cached until expiry.
    func assumeRole(_ name: String, visited: [String]) throws -> any CredentialProvider {
        let profile = try self.profile(name, referencedBy: visited.last)
        guard let roleARN = profile["role_arn"] else {
            throw CredentialsError(source: "assume-role", profile: name, message: "role_arn is not set")
        }
        if profile["mfa_serial"] != nil {
            throw CredentialsError(
                source: "assume-role", profile: name, message: "mfa_serial needs a code typed in, which strata cannot prompt for")
        }
        let source: any CredentialProvider
        switch (profile["source_profile"], profile["credential_source"]) {
        case (.some, .some):
            throw CredentialsError(
                source: "assume-role", profile: name, message: "set source_profile or credential_source, not both")
        case (.some(let sourceName), nil):
            if sourceName == name {
                // A profile may name itself: its own keys assume its role.
                guard let keys = try staticKeys(profile) else {
                    throw CredentialsError(
                        source: "assume-role", profile: name, message: "source_profile names itself but the profile has no keys")
                }
                source = keys
            } else {
                if visited.contains(sourceName) || sourceName == name {
                    let cycle = (visited + [name, sourceName]).joined(separator: " -> ")
                    throw CredentialsError(source: "assume-role", profile: name, message: "source_profile cycle: \(cycle)")
                }
                source = try sourceProvider(sourceName, visited: visited + [name])
            }
        case (nil, .some(let credentialSource)):
            source = try namedSource(credentialSource, profile: name)
        case (nil, nil):
            throw CredentialsError(
                source: "assume-role", profile: name, message: "role_arn needs source_profile or credential_source")
        }
        return refreshing(
            AssumeRoleCredentialProvider(
                source: source, session: try session(profile, roleARN: roleARN), sts: try stsEndpoint(), profile: name, now: now))
    }

    /// What a `source_profile` supplies: its own role chain, its web identity, or its keys.
    private func sourceProvider(_ name: String, visited: [String]) throws -> any CredentialProvider {
        let profile = try self.profile(name, referencedBy: visited.last)
        if profile["role_arn"] != nil {
            if profile["source_profile"] != nil || profile["credential_source"] != nil {
                return try assumeRole(name, visited: visited)
            }
            if let tokenFile = profile["web_identity_token_file"], let roleARN = profile["role_arn"] {
                return refreshing(
                    WebIdentityCredentialProvider(
                        tokenFile: tokenFile, session: try session(profile, roleARN: roleARN), sts: try stsEndpoint(),
                        profile: name, now: now))
            }
        }
        if let sso = try sso(profile) { return sso }
        if let keys = try staticKeys(profile) { return keys }
        if let process = process(profile) { return process }
        throw CredentialsError(
            source: "assume-role", profile: visited.last,
            message: "source_profile \"\(name)\" has neither keys, a credential_process nor a role of its own")
    }

    /// `credential_source`: `Environment`, `Ec2InstanceMetadata` or `EcsContainer`.
    private func namedSource(_ value: String, profile: String) throws -> any CredentialProvider {
        switch value {
        case "Environment":
            return EnvironmentCredentialProvider(environment: settings.environment)
        case "Ec2InstanceMetadata":
            guard let endpoint = InstanceMetadataCredentialProvider.endpoint(environment: settings.environment, profile: settings.profile)
            else {
                throw CredentialsError(
                    source: "assume-role", profile: profile,
                    message: "credential_source is Ec2InstanceMetadata but AWS_EC2_METADATA_DISABLED is true")
            }
            return refreshing(InstanceMetadataCredentialProvider(endpoint: endpoint, transport: transport))
        case "EcsContainer":
            return refreshing(ContainerCredentialProvider(environment: settings.environment, transport: transport))
        default:
            throw CredentialsError(
                source: "assume-role", profile: profile,
                message: "credential_source \"\(value)\" is not one of Environment, Ec2InstanceMetadata, EcsContainer")
        }
    }

    /// Web identity from `AWS_WEB_IDENTITY_TOKEN_FILE`/`AWS_ROLE_ARN` (the environment wins) or the profile.
    private func webIdentityFromEnvironmentOrProfile() throws -> (any CredentialProvider)? {
        let environment = settings.environment
        let profile = settings.profile
        func pick(_ variable: String, _ key: String) -> String? {
            if let value = environment[variable], !value.isEmpty { return value }
            return profile?[key]
        }
        guard let tokenFile = pick("AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file") else { return nil }
        guard let roleARN = pick("AWS_ROLE_ARN", "role_arn") else {
            throw CredentialsError(
                source: "web-identity", profile: profile?.name,
                message: "a web identity token file is set but no role (AWS_ROLE_ARN or role_arn)")
        }
        var session = try self.session(profile ?? SharedConfig.Profile(name: settings.profileName), roleARN: roleARN)
        session.sessionName = pick("AWS_ROLE_SESSION_NAME", "role_session_name")
        session.externalID = nil
        return refreshing(
            WebIdentityCredentialProvider(
                tokenFile: tokenFile, session: session, sts: try stsEndpoint(), profile: profile?.name, now: now))
    }
}
