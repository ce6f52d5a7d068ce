import Foundation
import Testing

@testable import AWSSigner

/// Requests signed by botocore (scripts/gen_sigv4_vectors.py), signed again here: each stage and
/// the signed result must match the reference byte for byte.
@Suite struct BotocoreVectorTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/botocore-vectors.json")

    static let vectors: [Vector] = {
        guard let data = try? Data(contentsOf: fixture),
            let file = try? JSONDecoder().decode(VectorFile.self, from: data)
        else { return [] }
        return file.vectors
    }()

    @Test func fixtureHoldsEnoughVectors() {
        #expect(Self.vectors.count >= 200, "\(Self.fixture.path) missing or short: regenerate it")
        #expect(Self.vectors.contains { $0.service == "s3" && $0.mode == "header" })
        #expect(Self.vectors.contains { $0.service == "s3" && $0.mode == "query" })
        #expect(Self.vectors.contains { $0.credentials.session_token != nil && $0.mode == "query" })
    }

    @Test(arguments: vectors) func matchesBotocore(_ vector: Vector) throws {
        let url = try #require(URL(string: vector.url), "not a URL: \(vector.url)")
        let body = try #require(Data(base64Encoded: vector.body_base64))
        let date = try #require(ISO8601DateFormatter().date(from: vector.timestamp))
        let credentials = AWSCredentials(
            accessKeyID: vector.credentials.access_key_id, secretAccessKey: vector.credentials.secret_access_key,
            sessionToken: vector.credentials.session_token)
        let signer = SigV4Signer(credentials: credentials, region: vector.region, service: vector.service)
        let headers = vector.headers.map { (name: $0[0], value: $0[1]) }
        let payload: PayloadSigning = vector.payload == "unsigned" ? .unsigned : .signed

        if vector.mode == "header" {
            let signPayloadHeader = vector.sign_payload_header ?? false
            let staged = signer.signHeaders(
                method: vector.method, path: SigV4Signer.wirePath(url), query: SigV4Signer.wireQuery(url),
                host: SigV4Signer.hostHeader(url), headers: headers, body: body, date: date, payload: payload,
                signPayloadHeader: signPayloadHeader)
            #expect(staged.canonicalRequest == vector.expected.canonical_request)
            #expect(staged.stringToSign == vector.expected.string_to_sign)
            #expect(staged.signature == vector.expected.signature)

            var signed = signer.sign(
                method: vector.method, url: url, headers: headers, body: body, date: date, payload: payload,
                signPayloadHeader: signPayloadHeader)
            // botocore leaves Host to its HTTP client; this signer adds it when absent.
            if !headers.contains(where: { $0.name.lowercased() == "host" }) {
                signed.removeAll { $0.name == "Host" }
            }
            let expected = try #require(vector.expected.headers).map { (name: $0[0], value: $0[1]) }
            #expect(comparable(signed) == comparable(expected))
        } else {
            let expires = try #require(vector.expires)
            let staged = signer.presignQuery(
                method: vector.method, path: SigV4Signer.wirePath(url), query: SigV4Signer.wireQuery(url),
                host: SigV4Signer.hostHeader(url), headers: headers, body: body, date: date, expires: expires,
                payload: payload)
            #expect(staged.canonicalRequest == vector.expected.canonical_request)
            #expect(staged.stringToSign == vector.expected.string_to_sign)
            #expect(staged.signature == vector.expected.signature)

            let presigned = signer.presign(method: vector.method, url: url, headers: headers, date: date, expires: expires)
            let expectedText = try #require(vector.expected.url)
            let expected = try #require(URL(string: expectedText))
            #expect(presigned.scheme == expected.scheme)
            #expect(presigned.host() == expected.host())
            #expect(presigned.port == expected.port)
            #expect(SigV4Signer.wirePath(presigned) == SigV4Signer.wirePath(expected))
            #expect(queryItems(presigned) == queryItems(expected))
        }
    }

    private func comparable(_ headers: [(name: String, value: String)]) -> [String] {
        headers.map { "\($0.name.lowercased()): \($0.value)" }.sorted()
    }

    /// Decoded query items, sorted; botocore writes a bare name (`?acl`) as `acl=`.
    private func queryItems(_ url: URL) -> [String] {
        Canonical.parseQuery(SigV4Signer.wireQuery(url)).map {
            String(decoding: $0.name, as: UTF8.self) + "=" + String(decoding: $0.value, as: UTF8.self)
        }.sorted()
    }
}

struct VectorFile: Decodable {
    var count: Int
    var vectors: [Vector]
}

struct Vector: Decodable, Sendable, CustomTestStringConvertible {
    struct Credentials: Decodable, Sendable {
        var access_key_id: String
        var secret_access_key: String
        var session_token: String?
    }
    struct Expected: Decodable, Sendable {
        var canonical_request: String
        var string_to_sign: String
        var signature: String
        var headers: [[String]]?
        var url: String?
    }
    var name: String
    var mode: String
    var service: String
    var region: String
    var method: String
    var url: String
    var headers: [[String]]
    var body_base64: String
    var credentials: Credentials
    var timestamp: String
    var payload: String
    var sign_payload_header: Bool?
    var expires: Int?
    var expected: Expected

    var testDescription: String { name }
}
