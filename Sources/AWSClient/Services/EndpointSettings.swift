import Foundation

/// Endpoint selection the way the AWS SDKs do it from the environment: `AWS_ENDPOINT_URL_<SERVICE>`
/// (service id upper-cased, spaces as underscores: `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`), then
/// `AWS_ENDPOINT_URL`, then the public endpoint. `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`
/// turns the overrides off.
///
/// Profile (`endpoint_url` in `~/.aws/config`) resolution belongs to the credential chain's
/// configuration reader; this reads the environment only.
public struct EndpointSettings: Sendable {
    let environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// The endpoint for a service in a region.
    public func endpoint(for service: AWSService, region: String) -> URL {
        if environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() != "true" {
            for key in ["AWS_ENDPOINT_URL_\(service.endpointEnvironmentSuffix)", "AWS_ENDPOINT_URL"] {
                if let value = environment[key], !value.isEmpty, let url = URL(string: value), url.scheme != nil {
                    return url
                }
            }
        }
        return service.defaultEndpoint(region: region)
    }

    /// ``endpoint(for:region:)`` as the closure ``AWSClient/Configuration`` takes.
    public var endpoint: @Sendable (AWSService, String) -> URL {
        { service, region in self.endpoint(for: service, region: region) }
    }
}
