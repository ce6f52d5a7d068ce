import AWSClient
import Foundation

/// The one way commands that talk to AWS for a stack build their client: the SDKs' default
/// credential chain and settings (`AWSSettings`: environment, shared config and credentials
/// files, profiles, `AWS_ENDPOINT_URL[_SERVICE]`), in the stack's region unless `--region` or
/// the environment says otherwise. `plan`, `apply` and `destroy` share it.
enum ClientFactory {
    /// A client for `stackRegion`; `AWS_REGION` does not override a stack's declared region
    /// (a stack names where it lives), only an explicit `--region` would.
    static func client(stackRegion: String, explicitRegion: String? = nil) throws -> AWSClient {
        var configuration = try AWSClient.Configuration.standard(region: explicitRegion ?? stackRegion)
        configuration.transport = ProfiledTransport(wrapped: configuration.transport)
        return AWSClient(configuration: configuration)
    }

    /// The lines that open plan, apply and destroy when an endpoint override is set, one per
    /// override in effect: `Endpoint: http://127.0.0.1:4599 (AWS_ENDPOINT_URL)`, then
    /// `Endpoint for EKS: ... (AWS_ENDPOINT_URL_EKS)`. None against the public endpoints, which
    /// the stack's region names. Throws when an override is malformed.
    static func endpointHeader() throws -> String {
        let overrides = try AWSSettings(environment: ProcessInfo.processInfo.environment).endpointOverrides()
        return overrides.map { $0.headerLine + "\n" }.joined() + (overrides.isEmpty ? "" : "\n")
    }
}
