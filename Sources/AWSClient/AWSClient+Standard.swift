import AWSSigner
import Foundation

extension AWSClient.Configuration {
    /// The configuration the command line uses, the SDKs' way: settings from the environment and
    /// the shared config files (`AWSSettings`), region from `--region`, `AWS_REGION`,
    /// `AWS_DEFAULT_REGION` or the profile, endpoints from `AWS_ENDPOINT_URL[_SERVICE]` or the
    /// profile, credentials from the default chain. One transport serves the calls and the chain.
    public static func standard(
        region explicitRegion: String?, profile: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> AWSClient.Configuration {
        let settings = try AWSSettings(environment: environment, profile: profile)
        guard let region = explicitRegion ?? settings.region else {
            throw AWSClientError.invalidArgument("no region: pass --region, set AWS_REGION, or set region in the profile")
        }
        let transport = CurlTransport()
        let credentials = try DefaultCredentialProvider(settings: settings, transport: transport)
        return AWSClient.Configuration(
            region: region, credentialProvider: credentials, endpoint: settings.endpointResolver, transport: transport)
    }
}
