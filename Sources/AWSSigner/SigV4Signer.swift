import Foundation

/// What the signature says about the request body.
public enum PayloadSigning: Sendable, Equatable {
    /// The SHA-256 of the body is computed and signed.
    case signed
    /// The body is not covered: `UNSIGNED-PAYLOAD` (S3 over TLS, presigned URLs for S3).
    case unsigned
    /// A hash (or marker such as `STREAMING-…`) computed by the caller, signed as given.
    case precomputed(String)
}

/// AWS Signature Version 4 for one set of credentials, region and service.
///
/// A pure function of the request, the credentials, the region, the service and the date: it
/// reads no clock, no environment and no network. The stages — ``canonicalRequest``,
/// ``stringToSign``, ``signingKey``, ``signature`` — are separate so each can be tested alone.
public struct SigV4Signer: Sendable {
    /// The key that signs.
    public let credentials: AWSCredentials
    /// The region of the credential scope, e.g. `us-east-1`.
    public let region: String
    /// The signing name of the service (`ec2`, `eks`, `sts`, `s3`, `execute-api`, …).
    public let service: String
    let pathRules: Canonical.PathRules

    static let algorithm = "AWS4-HMAC-SHA256"
    static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// Creates a signer. The canonical-URI rules follow the service, as the AWS SDKs do: S3 signs
    /// the path as sent; every other service normalises it and encodes it once more.
    public init(credentials: AWSCredentials, region: String, service: String) {
        self.init(credentials: credentials, region: region, service: service, pathRules: .forService(service))
    }

    init(credentials: AWSCredentials, region: String, service: String, pathRules: Canonical.PathRules) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.pathRules = pathRules
    }

    // MARK: - Public signing

    /// Returns the request with X-Amz-Date, X-Amz-Security-Token (if any), x-amz-content-sha256
    /// (when `signPayloadHeader`) and Authorization added.
    ///
    /// `Host` is added too when `headers` has none, so that what is sent is what was signed.
    /// Any `Authorization`, `X-Amz-Date`, `X-Amz-Security-Token` (and, when `signPayloadHeader`,
    /// `x-amz-content-sha256`) already present are replaced, so a retried request can be re-signed.
    /// An `x-amz-content-sha256` the caller set is kept when `signPayloadHeader` is false, and its
    /// value is then the payload hash signed.
    public func sign(
        method: String, url: URL, headers: [(name: String, value: String)], body: Data, date: Date,
        payload: PayloadSigning = .signed, signPayloadHeader: Bool = true
    ) -> [(name: String, value: String)] {
        signHeaders(
            method: method, path: Self.wirePath(url), query: Self.wireQuery(url), host: Self.hostHeader(url),
            headers: headers, body: body, date: date, payload: payload, signPayloadHeader: signPayloadHeader
        ).headers
    }

    /// Presigned URL (query auth), e.g. for the EKS token. `headers` are signed too (x-k8s-aws-id).
    ///
    /// `expires` is in seconds (AWS accepts 1…604800). The body defaults to empty; its hash is
    /// signed, except for S3, whose presigned URLs sign `UNSIGNED-PAYLOAD` — pass `payload` to
    /// choose otherwise. Whoever uses the URL must send the same signed headers.
    public func presign(
        method: String, url: URL, headers: [(name: String, value: String)], date: Date, expires: Int,
        body: Data = Data(), payload: PayloadSigning? = nil
    ) -> URL {
        let result = presignQuery(
            method: method, path: Self.wirePath(url), query: Self.wireQuery(url), host: Self.hostHeader(url),
            headers: headers, body: body, date: date, expires: expires,
            payload: payload ?? (pathRules == .s3 ? .unsigned : .signed))
        return Self.replacingQuery(of: url, with: result.query)
    }

    // MARK: - Stages

    /// `20150830/us-east-1/service/aws4_request`.
    func scope(date: Date) -> String {
        "\(AWSDate.scopeDate(date))/\(region)/\(service)/aws4_request"
    }

    /// The hex payload hash (or marker) the canonical request ends with.
    static func payloadHash(_ payload: PayloadSigning, body: Data) -> String {
        switch payload {
        case .signed: return Digest.hex(Digest.sha256(body))
        case .unsigned: return unsignedPayload
        case .precomputed(let value): return value
        }
    }

    /// The canonical request: method, canonical URI, canonical query, canonical headers, signed
    /// header names and payload hash, one per line. `path` is the wire (percent-encoded) path;
    /// `headers` must already include every header to sign (Host, X-Amz-Date, …).
    func canonicalRequest(
        method: String, path: String, query: [Canonical.QueryItem], headers: [(name: String, value: String)],
        payloadHash: String
    ) -> (request: String, signedHeaders: String) {
        let canonicalHeaders = Canonical.canonicalHeaders(headers)
        let request = [
            method.uppercased(),
            Canonical.canonicalURI(path: path, rules: pathRules),
            Canonical.canonicalQuery(query),
            canonicalHeaders.canonical,
            canonicalHeaders.signed,
            payloadHash,
        ].joined(separator: "\n")
        return (request, canonicalHeaders.signed)
    }

    /// The string to sign: algorithm, timestamp, scope and the hex SHA-256 of the canonical request.
    func stringToSign(canonicalRequest: String, date: Date) -> String {
        [Self.algorithm, AWSDate.amzDate(date), scope(date: date), Digest.hex(Digest.sha256(canonicalRequest.utf8))]
            .joined(separator: "\n")
    }

    /// `HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
    func signingKey(date: Date) -> [UInt8] {
        let dateKey = Digest.hmacSHA256(key: Array("AWS4\(credentials.secretAccessKey)".utf8), AWSDate.scopeDate(date).utf8)
        let regionKey = Digest.hmacSHA256(key: dateKey, region.utf8)
        let serviceKey = Digest.hmacSHA256(key: regionKey, service.utf8)
        return Digest.hmacSHA256(key: serviceKey, "aws4_request".utf8)
    }

    /// The hex HMAC of the string to sign under the signing key.
    func signature(stringToSign: String, date: Date) -> String {
        Digest.hex(Digest.hmacSHA256(key: signingKey(date: date), stringToSign.utf8))
    }

    // MARK: - Whole requests, with their stages kept for tests

    struct HeaderResult {
        var headers: [(name: String, value: String)]
        var canonicalRequest: String
        var stringToSign: String
        var signature: String
    }

    /// Header signing on the wire form of a request. `signSessionToken: false` adds the token after
    /// signing (a few services want it so; the AWS test suite covers it) — strata always signs it.
    func signHeaders(
        method: String, path: String, query: String?, host: String, headers: [(name: String, value: String)],
        body: Data, date: Date, payload: PayloadSigning, signPayloadHeader: Bool, signSessionToken: Bool = true
    ) -> HeaderResult {
        var replaced: Set<String> = ["authorization", "x-amz-date", "x-amz-security-token"]
        if signPayloadHeader { replaced.insert("x-amz-content-sha256") }
        var out = headers.filter { !replaced.contains($0.name.lowercased()) }
        if !out.contains(where: { $0.name.lowercased() == "host" }) {
            out.insert((name: "Host", value: host), at: 0)
        }
        out.append((name: "X-Amz-Date", value: AWSDate.amzDate(date)))
        if let token = credentials.sessionToken, signSessionToken {
            out.append((name: "X-Amz-Security-Token", value: token))
        }
        // A caller-set x-amz-content-sha256 that is kept is what the canonical request ends with
        // (as botocore does), so header and signature cannot disagree.
        let callerHash = signPayloadHeader ? nil : out.first { $0.name.lowercased() == "x-amz-content-sha256" }?.value
        let payloadHash = callerHash ?? Self.payloadHash(payload, body: body)
        if signPayloadHeader {
            out.append((name: "x-amz-content-sha256", value: payloadHash))
        }
        let canonical = canonicalRequest(
            method: method, path: path, query: Canonical.parseQuery(query), headers: out, payloadHash: payloadHash)
        let toSign = stringToSign(canonicalRequest: canonical.request, date: date)
        let signature = signature(stringToSign: toSign, date: date)
        if let token = credentials.sessionToken, !signSessionToken {
            out.append((name: "X-Amz-Security-Token", value: token))
        }
        out.append(
            (
                name: "Authorization",
                value: "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope(date: date)), "
                    + "SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"
            ))
        return HeaderResult(headers: out, canonicalRequest: canonical.request, stringToSign: toSign, signature: signature)
    }

    struct QueryResult {
        /// The wire query of the presigned URL, `X-Amz-Signature` last.
        var query: String
        var canonicalRequest: String
        var stringToSign: String
        var signature: String
    }

    static let queryAuthParameters: Set<String> = [
        "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
        "X-Amz-Security-Token", "X-Amz-Signature",
    ]

    /// Query presigning on the wire form of a request.
    func presignQuery(
        method: String, path: String, query: String?, host: String, headers: [(name: String, value: String)],
        body: Data, date: Date, expires: Int, payload: PayloadSigning, signSessionToken: Bool = true
    ) -> QueryResult {
        var signedHeaders = headers.filter { $0.name.lowercased() != "authorization" }
        if !signedHeaders.contains(where: { $0.name.lowercased() == "host" }) {
            signedHeaders.insert((name: "Host", value: host), at: 0)
        }
        let signedNames = Canonical.canonicalHeaders(signedHeaders).signed

        // The caller's own parameters stay as they were written; earlier auth parameters go.
        let ownPairs = (query ?? "").split(separator: "&").filter { pair in
            let name = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            return !Self.queryAuthParameters.contains(String(decoding: Canonical.percentDecode(String(name)), as: UTF8.self))
        }
        var auth: [(String, String)] = [
            ("X-Amz-Algorithm", Self.algorithm),
            ("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(date: date))"),
            ("X-Amz-Date", AWSDate.amzDate(date)),
            ("X-Amz-Expires", String(expires)),
            ("X-Amz-SignedHeaders", signedNames),
        ]
        if let token = credentials.sessionToken, signSessionToken {
            auth.append(("X-Amz-Security-Token", token))
        }
        let authPairs = auth.map { "\($0.0)=\(Canonical.uriEncode($0.1))" }
        let signedQuery = (ownPairs.map(String.init) + authPairs).joined(separator: "&")

        let canonical = canonicalRequest(
            method: method, path: path, query: Canonical.parseQuery(signedQuery), headers: signedHeaders,
            payloadHash: Self.payloadHash(payload, body: body))
        let toSign = stringToSign(canonicalRequest: canonical.request, date: date)
        let signature = signature(stringToSign: toSign, date: date)
        var finalPairs = ownPairs.map(String.init) + authPairs
        if let token = credentials.sessionToken, !signSessionToken {
            finalPairs.append("X-Amz-Security-Token=\(Canonical.uriEncode(token))")
        }
        finalPairs.append("X-Amz-Signature=\(signature)")
        return QueryResult(
            query: finalPairs.joined(separator: "&"), canonicalRequest: canonical.request, stringToSign: toSign,
            signature: signature)
    }

    // MARK: - URL pieces

    /// The path as sent on the request line, still percent-encoded; `/` when empty.
    static func wirePath(_ url: URL) -> String {
        let path = url.path(percentEncoded: true)
        return path.isEmpty ? "/" : path
    }

    /// The query as sent, still percent-encoded; `nil` when the URL has none.
    static func wireQuery(_ url: URL) -> String? {
        url.query(percentEncoded: true)
    }

    /// `host` or `host:port`, the port omitted when it is the scheme's default (as the SDKs sign it).
    static func hostHeader(_ url: URL) -> String {
        // Host names are case-insensitive; the SDKs sign them in lower case.
        var host = (url.host(percentEncoded: true) ?? "").lowercased()
        if host.contains(":") && !host.hasPrefix("[") { host = "[\(host)]" }
        guard let port = url.port else { return host }
        let scheme = url.scheme?.lowercased()
        if (scheme == "https" && port == 443) || (scheme == "http" && port == 80) { return host }
        return "\(host):\(port)"
    }

    static func replacingQuery(of url: URL, with query: String) -> URL {
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return url }
        components.percentEncodedQuery = query
        return components.url ?? url
    }
}
