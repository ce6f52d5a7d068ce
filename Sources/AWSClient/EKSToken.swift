import AWSSigner
import Foundation
import StrataModel

/// The bearer token EKS accepts from kubectl, made exactly as `aws eks get-token` makes it: a
/// presigned STS `GetCallerIdentity` URL with the `x-k8s-aws-id` header (the cluster name) signed,
/// valid 60 seconds, base64url-encoded without padding behind `k8s-aws-v1.`.
public struct EKSToken: Sendable, Equatable {
    public var token: String
    /// When kubectl should ask again: 14 minutes after signing (EKS accepts a token for 15).
    public var expiration: Date

    /// A token and its expiry as they are.
    public init(token: String, expiration: Date) {
        self.token = token
        self.expiration = expiration
    }

    static let prefix = "k8s-aws-v1."
    static let defaultAPIVersion = "client.authentication.k8s.io/v1beta1"

    /// Presigns the token. `stsEndpoint` is where STS lives for this region (or its override);
    /// the global `sts.amazonaws.com` is signed for us-east-1.
    public static func make(cluster: String, credentials: AWSCredentials, region: String, stsEndpoint: URL, date: Date) throws -> EKSToken {
        var base = stsEndpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base + "/?Action=GetCallerIdentity&Version=2011-06-15") else {
            throw AWSClientError.badEndpoint(base)
        }
        let signingRegion = url.host == "sts.amazonaws.com" ? "us-east-1" : region
        let signer = SigV4Signer(credentials: credentials, region: signingRegion, service: "sts")
        let presigned = signer.presign(
            method: "GET", url: url, headers: [(name: "x-k8s-aws-id", value: cluster)], date: date, expires: 60)
        let encoded = Data(presigned.absoluteString.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return EKSToken(token: prefix + encoded, expiration: date.addingTimeInterval(14 * 60))
    }

    /// The presigned URL inside a token (for checks and debugging).
    public static func presignedURL(in token: String) -> URL? {
        guard token.hasPrefix(prefix) else { return nil }
        var body = String(token.dropFirst(prefix.count))
            .replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while body.count % 4 != 0 { body += "=" }
        guard let data = Data(base64Encoded: body) else { return nil }
        return URL(string: String(decoding: data, as: UTF8.self))
    }

    /// The `apiVersion` kubectl asked for in `KUBERNETES_EXEC_INFO`, or v1beta1.
    public static func apiVersion(execInfo: String?) -> String {
        guard let execInfo, let json = try? JSONValue.parse(Data(execInfo.utf8)),
            let version = json["apiVersion"]?.stringValue, !version.isEmpty
        else { return defaultAPIVersion }
        return version
    }

    /// The ExecCredential document kubectl reads from the exec plugin's stdout.
    public func execCredential(apiVersion: String) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        let document: JSONValue = [
            "kind": "ExecCredential",
            "apiVersion": .string(apiVersion),
            "spec": [:],
            "status": ["expirationTimestamp": .string(formatter.string(from: expiration)), "token": .string(token)],
        ]
        return document.pretty
    }
}

extension AWSClient {
    /// STS AssumeRole: temporary credentials for `roleARN`.
    public func assumeRole(roleARN: String, sessionName: String, durationSeconds: Int? = nil) async throws -> AWSCredentials {
        var parameters = [(name: "RoleArn", value: roleARN), (name: "RoleSessionName", value: sessionName)]
        if let durationSeconds { parameters.append((name: "DurationSeconds", value: "\(durationSeconds)")) }
        // AssumeRole has no side effect beyond issuing credentials: safe to resend.
        let xml = try await query(.sts, action: "AssumeRole", parameters: parameters, idempotent: true)
        guard let credentials = xml.first(named: "Credentials"),
            let key = credentials.child("AccessKeyId")?.text, let secret = credentials.child("SecretAccessKey")?.text
        else {
            throw ResponseDecodingError(what: "AssumeRole result", detail: "no Credentials element", body: Data())
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let expirationText = credentials.child("Expiration")?.text ?? ""
        let expiration = formatter.date(from: expirationText) ?? ISO8601DateFormatter().date(from: expirationText)
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: credentials.child("SessionToken")?.text,
            expiration: expiration)
    }

    /// An EKS token for `cluster` signed with this client's credentials (or a role's, assumed first).
    public func eksToken(cluster: String, roleARN: String? = nil) async throws -> EKSToken {
        var credentials = try await configuration.credentials()
        if let roleARN {
            let session = "strata-\(Int(configuration.now().timeIntervalSince1970))"
            credentials = try await assumeRole(roleARN: roleARN, sessionName: session)
        }
        return try EKSToken.make(
            cluster: cluster, credentials: credentials, region: region, stsEndpoint: try tokenSTSEndpoint(),
            date: configuration.now())
    }

    /// The STS endpoint named inside a token. The API server (aws-iam-authenticator) accepts only
    /// `sts[.region].amazonaws.com[.cn]` over https, so an override is used only when it is such
    /// a host; an emulator or proxy override (`AWS_ENDPOINT_URL=http://127.0.0.1:...`) is where
    /// strata sends its own calls, not where EKS checks tokens, and the regional host is used.
    func tokenSTSEndpoint() throws -> URL {
        let configured = try configuration.endpoint(.sts, region)
        let host = configured.host?.lowercased() ?? ""
        let isSTSHost = host.hasPrefix("sts.") && (host.hasSuffix(".amazonaws.com") || host.hasSuffix(".amazonaws.com.cn"))
        if configured.scheme == "https", isSTSHost, configured.port == nil || configured.port == 443 {
            return configured
        }
        return AWSService.sts.defaultEndpoint(region: region)
    }
}
