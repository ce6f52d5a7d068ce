import AWSSigner
import Foundation

extension AWSClient.Configuration {
    /// A configuration from the process environment, as the command line uses it: region from
    /// `--region`, `AWS_REGION` or `AWS_DEFAULT_REGION`; endpoints from `AWS_ENDPOINT_URL[_SERVICE]`;
    /// credentials from `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`.
    public static func fromEnvironment(region explicitRegion: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AWSClient.Configuration {
        guard let region = explicitRegion ?? region(from: environment) else {
            throw AWSClientError.invalidArgument("no region: pass --region or set AWS_REGION")
        }
        let credentials = try environmentCredentials(environment)
        return AWSClient.Configuration(
            region: region, credentials: { credentials },
            endpoint: EndpointSettings(environment: environment).endpoint)
    }

    /// Static keys from the environment; an error naming the variables when they are absent.
    static func environmentCredentials(_ environment: [String: String]) throws -> AWSCredentials {
        guard let key = environment["AWS_ACCESS_KEY_ID"], !key.isEmpty,
            let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
        else {
            throw AWSClientError.invalidArgument("no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: token)
    }
}
