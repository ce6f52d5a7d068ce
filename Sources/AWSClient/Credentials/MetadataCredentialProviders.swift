import AWSSigner
import Foundation

/// Credentials from the container credentials endpoint: ECS task roles and EKS Pod Identity.
///
/// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` is a path on `http://169.254.170.2`;
/// `AWS_CONTAINER_CREDENTIALS_FULL_URI` a whole URL, which over plain HTTP must be a loopback
/// address or one of the ECS/EKS link-local agents (as the SDKs require). The `Authorization`
/// header comes from the file `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (re-read every call) or
/// from `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
public struct ContainerCredentialProvider: CredentialProvider {
    let environment: [String: String]
    let transport: any HTTPTransport
    let timeout: Duration

    /// Reads its settings from `environment`.
    public init(environment: [String: String], transport: any HTTPTransport, timeout: Duration = .seconds(5)) {
        self.environment = environment
        self.transport = transport
        self.timeout = timeout
    }

    /// True when the environment names a container credentials endpoint.
    public var isConfigured: Bool {
        value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != nil || value("AWS_CONTAINER_CREDENTIALS_FULL_URI") != nil
    }

    public func credentials() async throws -> AWSCredentials {
        let url = try endpoint()
        var headers: [(name: String, value: String)] = [(name: "Accept", value: "application/json")]
        if let authorization = try authorization() {
            headers.append((name: "Authorization", value: authorization))
        }
        let response: HTTPResponse
        do {
            response = try await transport.send(HTTPRequest(method: "GET", url: url, headers: headers, timeout: timeout))
        } catch {
            throw fail("no answer from \(url.absoluteString): \(error)")
        }
        guard response.status == 200 else {
            throw fail("\(url.absoluteString) answered HTTP \(response.status)")
        }
        return try MetadataJSON.credentials(response.body, source: "container")
    }

    private func endpoint() throws -> URL {
        if let relative = value("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
            let path = relative.hasPrefix("/") ? relative : "/" + relative
            guard let url = URL(string: "http://169.254.170.2" + path) else {
                throw fail("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is not a path")
            }
            return url
        }
        guard let text = value("AWS_CONTAINER_CREDENTIALS_FULL_URI"), let url = URL(string: text),
            let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased()
        else {
            throw fail("AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL")
        }
        if scheme == "https" { return url }
        guard scheme == "http", Self.allowedPlainHTTPHost(host) else {
            throw fail(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI must use https, or http to a loopback address or the ECS/EKS agent (got \(scheme)://\(host))"
            )
        }
        return url
    }

    /// Loopback (127.0.0.0/8, ::1, localhost) and the ECS and EKS Pod Identity agent addresses.
    static func allowedPlainHTTPHost(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if bare == "localhost" || bare == "::1" || bare == "169.254.170.2" || bare == "169.254.170.23"
            || bare == "fd00:ec2::23"
        {
            return true
        }
        let octets = bare.split(separator: ".")
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    private func authorization() throws -> String? {
        if let file = value("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw fail("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE \(file)")
            }
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return value("AWS_CONTAINER_AUTHORIZATION_TOKEN")
    }

    private func value(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }

    private func fail(_ message: String) -> CredentialsError {
        CredentialsError(source: "container", message: message)
    }
}

/// Credentials of the instance profile, from the EC2 instance metadata service, IMDSv2 only:
/// `PUT /latest/api/token`, then the role name and its credentials with that token.
///
/// The endpoint is `AWS_EC2_METADATA_SERVICE_ENDPOINT` (or `ec2_metadata_service_endpoint` in the
/// profile), else `http://169.254.169.254` (`http://[fd00:ec2::254]` when the endpoint mode is
/// `IPv6`). `AWS_EC2_METADATA_DISABLED=true` turns the source off.
public struct InstanceMetadataCredentialProvider: CredentialProvider {
    /// The metadata service base URL.
    public let endpoint: URL
    let transport: any HTTPTransport
    let timeout: Duration
    static let tokenTTLSeconds = 21_600

    /// A provider asking `endpoint`.
    public init(endpoint: URL, transport: any HTTPTransport, timeout: Duration = .seconds(1)) {
        self.endpoint = endpoint
        self.transport = transport
        self.timeout = timeout
    }

    /// The endpoint the environment and profile select, or `nil` when the source is disabled.
    public static func endpoint(environment: [String: String], profile: SharedConfig.Profile?) -> URL? {
        if environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true" { return nil }
        let configured = [environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"], profile?["ec2_metadata_service_endpoint"]]
            .compactMap { $0 }.first { !$0.isEmpty }
        if let configured { return URL(string: configured) }
        let mode = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"] ?? profile?["ec2_metadata_service_endpoint_mode"]
        return URL(string: mode?.lowercased() == "ipv6" ? "http://[fd00:ec2::254]" : "http://169.254.169.254")
    }

    public func credentials() async throws -> AWSCredentials {
        let tokenResponse = try await call(
            "PUT", "/latest/api/token",
            headers: [(name: "X-aws-ec2-metadata-token-ttl-seconds", value: String(Self.tokenTTLSeconds))])
        guard tokenResponse.status == 200 else {
            throw fail("the metadata service refused a session token (HTTP \(tokenResponse.status))")
        }
        let token = String(decoding: tokenResponse.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let tokenHeader = [(name: "X-aws-ec2-metadata-token", value: token)]

        let roleResponse = try await call("GET", "/latest/meta-data/iam/security-credentials/", headers: tokenHeader)
        guard roleResponse.status == 200 else {
            throw fail(
                roleResponse.status == 404
                    ? "the instance has no instance profile" : "listing the instance role answered HTTP \(roleResponse.status)")
        }
        let role =
            String(decoding: roleResponse.body, as: UTF8.self)
            .split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !role.isEmpty else { throw fail("the instance has no instance profile") }

        let credentialsResponse = try await call(
            "GET", "/latest/meta-data/iam/security-credentials/\(role)", headers: tokenHeader)
        guard credentialsResponse.status == 200 else {
            throw fail("the credentials of role \(role) answered HTTP \(credentialsResponse.status)")
        }
        return try MetadataJSON.credentials(credentialsResponse.body, source: "instance-metadata")
    }

    private func call(_ method: String, _ path: String, headers: [(name: String, value: String)]) async throws
        -> HTTPResponse
    {
        var base = endpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base + path) else { throw fail("bad metadata endpoint \(endpoint.absoluteString)") }
        do {
            return try await transport.send(HTTPRequest(method: method, url: url, headers: headers, timeout: timeout))
        } catch {
            throw fail("no answer from the metadata service at \(base): \(error)")
        }
    }

    private func fail(_ message: String) -> CredentialsError {
        CredentialsError(source: "instance-metadata", message: message)
    }
}

/// The JSON both metadata endpoints answer with.
enum MetadataJSON {
    struct Body: Decodable {
        var Code: String?
        var Message: String?
        var AccessKeyId: String?
        var SecretAccessKey: String?
        var Token: String?
        var Expiration: String?
    }

    static func credentials(_ data: Data, source: String) throws -> AWSCredentials {
        guard let body = try? JSONDecoder().decode(Body.self, from: data) else {
            throw CredentialsError(source: source, message: "the credentials answer is not the expected JSON")
        }
        if let code = body.Code, code != "Success" {
            throw CredentialsError(source: source, message: "the endpoint answered \(code)\(body.Message.map { ": \($0)" } ?? "")")
        }
        guard let key = body.AccessKeyId, !key.isEmpty, let secret = body.SecretAccessKey, !secret.isEmpty else {
            throw CredentialsError(source: source, message: "the credentials answer has no access key")
        }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: body.Token,
            expiration: body.Expiration.flatMap(CredentialDates.parse))
    }
}
