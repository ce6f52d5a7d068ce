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
        AWSClient(configuration: try .standard(region: explicitRegion ?? stackRegion))
    }
}
