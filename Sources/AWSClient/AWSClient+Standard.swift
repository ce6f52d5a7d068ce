import AWSSigner
import Foundation

extension AWSClient.Configuration {
    /// The configuration the command line uses, the SDKs' way: settings from the environment and
    /// the shared config files (`AWSSettings`), region from `--region`, `AWS_REGION`,
    /// `AWS_DEFAULT_REGION` or the profile, endpoints from `AWS_ENDPOINT_URL[_SERVICE]` or the
    /// profile, retries from `AWS_RETRY_MODE`/`retry_mode` and `AWS_MAX_ATTEMPTS`/`max_attempts`,
    /// client-side rate limits from `STRATA_CLIENT_RATE_LIMITS`, deadlines from
    /// `STRATA_CONNECT_TIMEOUT_SECONDS` and `STRATA_READ_TIMEOUT_SECONDS`, credentials from the
    /// default chain; a call unanswered for 15 s says so on stderr. One transport serves the
    /// calls and the chain.
    public static func standard(
        region explicitRegion: String?, profile: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> AWSClient.Configuration {
        let settings = try AWSSettings(environment: environment, profile: profile)
        // A malformed endpoint override stops here, before any call could go to the public
        // endpoint instead.
        _ = try settings.endpointOverrides()
        guard let region = explicitRegion ?? settings.region else {
            throw AWSClientError.invalidArgument("no region: pass --region, set AWS_REGION, or set region in the profile")
        }
        let transport = CurlTransport(options: CurlTransport.Options(connectTimeout: try settings.connectTimeout()))
        let credentials = try DefaultCredentialProvider(settings: settings, transport: transport)
        var configuration = AWSClient.Configuration(
            region: region, credentialProvider: credentials, endpoint: settings.endpointResolver, transport: transport)
        configuration.retry = try settings.retryPolicy()
        configuration.rateLimits = try settings.rateLimits()
        configuration.timeout = try settings.readTimeout()
        // The command line's stderr: progress, not output (stdout may be a plan's JSON).
        configuration.slowCallNotice = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        return configuration
    }
}
