import AWSSigner
import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Where and how the credential providers reach STS.
public struct STSEndpoint: Sendable {
    /// The STS endpoint (`https://sts.<region>.amazonaws.com`, or an override such as a local sandbox).
    public var url: URL
    /// The region the request is signed for.
    public var region: String
    /// Sends the request.
    public var transport: any HTTPTransport
    /// Deadline of one STS call.
    public var timeout: Duration

    /// Creates an endpoint description.
    public init(url: URL, region: String, transport: any HTTPTransport, timeout: Duration = .seconds(30)) {
        self.url = url
        self.region = region
        self.transport = transport
        self.timeout = timeout
    }
}

/// The role to assume and how.
public struct RoleSession: Sendable, Equatable {
    /// `arn:aws:iam::123456789012:role/name`.
    public var roleARN: String
    /// Shown in CloudTrail; defaults to `strata-<unix time>`.
    public var sessionName: String?
    /// The external ID the role's trust policy asks for, if any.
    public var externalID: String?
    /// Requested lifetime in seconds (STS' default, one hour, when nil).
    public var durationSeconds: Int?

    /// Creates a role session description.
    public init(roleARN: String, sessionName: String? = nil, externalID: String? = nil, durationSeconds: Int? = nil) {
        self.roleARN = roleARN
        self.sessionName = sessionName
        self.externalID = externalID
        self.durationSeconds = durationSeconds
    }
}

/// Temporary credentials from STS `AssumeRole`, signed with the source provider's credentials.
/// Not cached by itself: wrap it in ``RefreshingCredentialProvider`` (the default chain does).
public struct AssumeRoleCredentialProvider: CredentialProvider {
    let source: any CredentialProvider
    let session: RoleSession
    let sts: STSEndpoint
    let profile: String?
    let now: @Sendable () -> Date

    /// Assumes `session.roleARN` with credentials from `source`.
    public init(
        source: any CredentialProvider, session: RoleSession, sts: STSEndpoint, profile: String? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.source = source
        self.session = session
        self.sts = sts
        self.profile = profile
        self.now = now
    }

    public func credentials() async throws -> AWSCredentials {
        let sourceCredentials = try await source.credentials()
        let date = now()
        var form: [(String, String)] = [
            ("Action", "AssumeRole"), ("Version", "2011-06-15"), ("RoleArn", session.roleARN),
            ("RoleSessionName", session.sessionName ?? "strata-\(Int(date.timeIntervalSince1970))"),
        ]
        if let duration = session.durationSeconds { form.append(("DurationSeconds", String(duration))) }
        if let externalID = session.externalID { form.append(("ExternalId", externalID)) }
        let body = Data(STSCall.formEncode(form).utf8)
        let signer = SigV4Signer(credentials: sourceCredentials, region: sts.region, service: "sts")
        let headers = signer.sign(
            method: "POST", url: sts.url, headers: [(name: "Content-Type", value: STSCall.formContentType)],
            body: body, date: date)
        return try await STSCall.send(
            HTTPRequest(method: "POST", url: sts.url, headers: headers, body: body, timeout: sts.timeout),
            over: sts.transport, action: "AssumeRole", role: session.roleARN, source: "assume-role", profile: profile)
    }
}

/// Temporary credentials from STS `AssumeRoleWithWebIdentity` with an OIDC token read from a file
/// (re-read on every call: the platform rotates it). The call is not signed.
public struct WebIdentityCredentialProvider: CredentialProvider {
    let tokenFile: String
    let session: RoleSession
    let sts: STSEndpoint
    let profile: String?
    let now: @Sendable () -> Date

    /// Exchanges the token in `tokenFile` for credentials of `session.roleARN`.
    public init(
        tokenFile: String, session: RoleSession, sts: STSEndpoint, profile: String? = nil,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.tokenFile = tokenFile
        self.session = session
        self.sts = sts
        self.profile = profile
        self.now = now
    }

    public func credentials() async throws -> AWSCredentials {
        let token: String
        do {
            token = String(decoding: try Data(contentsOf: URL(fileURLWithPath: tokenFile)), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw CredentialsError(
                source: "web-identity", profile: profile, message: "cannot read the web identity token file \(tokenFile)")
        }
        guard !token.isEmpty else {
            throw CredentialsError(source: "web-identity", profile: profile, message: "the token file \(tokenFile) is empty")
        }
        var form: [(String, String)] = [
            ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", session.roleARN),
            ("RoleSessionName", session.sessionName ?? "strata-\(Int(now().timeIntervalSince1970))"),
            ("WebIdentityToken", token),
        ]
        if let duration = session.durationSeconds { form.append(("DurationSeconds", String(duration))) }
        let body = Data(STSCall.formEncode(form).utf8)
        let headers = [(name: "Content-Type", value: STSCall.formContentType)]
        return try await STSCall.send(
            HTTPRequest(method: "POST", url: sts.url, headers: headers, body: body, timeout: sts.timeout),
            over: sts.transport, action: "AssumeRoleWithWebIdentity", role: session.roleARN, source: "web-identity",
            profile: profile)
    }
}

/// The query-protocol exchange both STS providers make, and the reading of its XML answer.
enum STSCall {
    static let formContentType = "application/x-www-form-urlencoded; charset=utf-8"

    static func formEncode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    /// Codes worth a second try: throttling, and the OIDC provider being briefly unreachable.
    static let retryableCodes: Set<String> = [
        "Throttling", "ThrottlingException", "RequestLimitExceeded", "IDPCommunicationError", "ServiceUnavailable",
        "InternalFailure",
    ]

    /// Sends one STS call, up to three times when no answer came back (retryably), the answer was
    /// a 5xx or a retryable code; then reads the credentials or the error from the XML.
    static func send(
        _ request: HTTPRequest, over transport: any HTTPTransport, action: String, role: String, source: String,
        profile: String?, attempts: Int = 3, backoff: Duration = .milliseconds(200)
    ) async throws -> AWSCredentials {
        var attempt = 0
        while true {
            attempt += 1
            let response: HTTPResponse
            do {
                response = try await transport.send(request)
            } catch {
                let retryable = (error as? TransportError)?.isRetryable ?? false
                if retryable && attempt < attempts {
                    try await Task.sleep(for: backoff * (1 << (2 * (attempt - 1))))
                    continue
                }
                throw CredentialsError(
                    source: source, profile: profile,
                    message: "STS \(action) for \(role): no answer from \(endpointText(request.url)): \(error)")
            }
            let fields = XMLFields.parse(response.body)
            if response.status == 200 {
                guard let key = fields["AccessKeyId"], let secret = fields["SecretAccessKey"] else {
                    throw CredentialsError(
                        source: source, profile: profile, message: "STS \(action) for \(role): the answer holds no credentials")
                }
                return AWSCredentials(
                    accessKeyID: key, secretAccessKey: secret, sessionToken: fields["SessionToken"],
                    expiration: fields["Expiration"].flatMap(CredentialDates.parse))
            }
            let code = fields["Code"]
            if (response.status >= 500 || code.map(retryableCodes.contains) == true) && attempt < attempts {
                try await Task.sleep(for: backoff * (1 << (2 * (attempt - 1))))
                continue
            }
            let detail = fields["Message"].map { ": \($0)" } ?? ""
            let requestID = (fields["RequestId"] ?? response.header("x-amzn-RequestId")).map { " (request id \($0))" } ?? ""
            throw CredentialsError(
                source: source, profile: profile,
                message: "STS \(action) for \(role) failed: \(code ?? "HTTP \(response.status)")\(detail)\(requestID)")
        }
    }

    /// Scheme, host and port: enough to say where, nothing of the query.
    static func endpointText(_ url: URL) -> String {
        "\(url.scheme ?? "https")://\(url.host ?? "")" + (url.port.map { ":\($0)" } ?? "")
    }
}

/// The first text of each element name in an XML document: all STS answers need.
final class XMLFields: NSObject, XMLParserDelegate {
    private var fields: [String: String] = [:]
    private var text = ""

    static func parse(_ data: Data) -> [String: String] {
        let collector = XMLFields()
        let parser = XMLParser(data: data)
        parser.delegate = collector
        _ = parser.parse()
        return collector.fields
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        text += string
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if !value.isEmpty, fields[elementName] == nil { fields[elementName] = value }
        text = ""
    }
}
