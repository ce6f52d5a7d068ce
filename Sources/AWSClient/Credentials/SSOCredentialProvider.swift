import AWSSigner
import Foundation

/// Role credentials from IAM Identity Center (SSO), with the access token that `aws sso login`
/// left in `~/.aws/sso/cache/`.
///
/// The profile names the account and role (`sso_account_id`, `sso_role_name`) and either an
/// `[sso-session name]` section (`sso_start_url`, `sso_region`) or, in the legacy form, the start
/// URL and region itself. The cached token is read on each fetch; strata does not log in or
/// refresh the token: when it has expired, the error says to run `aws sso login`.
public struct SSOCredentialProvider: CredentialProvider {
    /// What identifies the session and the role.
    public struct Configuration: Sendable, Equatable {
        /// The `sso-session` name, or nil for the legacy form.
        public var sessionName: String?
        /// The access portal URL.
        public var startURL: String
        /// The region of the Identity Center instance.
        public var region: String
        /// The account whose role to use.
        public var accountID: String
        /// The permission set's role name.
        public var roleName: String

        /// Creates a configuration.
        public init(sessionName: String?, startURL: String, region: String, accountID: String, roleName: String) {
            self.sessionName = sessionName
            self.startURL = startURL
            self.region = region
            self.accountID = accountID
            self.roleName = roleName
        }

        /// The cache file name: the SHA-1 of the session name (or, legacy, of the start URL).
        public var cacheFileName: String {
            SHA1.hex(Array((sessionName ?? startURL).utf8)) + ".json"
        }
    }

    let configuration: Configuration
    let cacheDirectory: String
    let portal: URL
    let transport: any HTTPTransport
    let profile: String?
    let now: @Sendable () -> Date

    /// A provider reading tokens from `cacheDirectory` and asking `portal` (the SSO portal endpoint).
    public init(
        configuration: Configuration, cacheDirectory: String, portal: URL, transport: any HTTPTransport,
        profile: String? = nil, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.cacheDirectory = cacheDirectory
        self.portal = portal
        self.transport = transport
        self.profile = profile
        self.now = now
    }

    public func credentials() async throws -> AWSCredentials {
        let token = try cachedToken()
        var base = portal.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        let query =
            "account_id=\(STSCall.percentEncode(configuration.accountID))&role_name=\(STSCall.percentEncode(configuration.roleName))"
        guard let url = URL(string: "\(base)/federation/credentials?\(query)") else {
            throw fail("bad SSO portal endpoint \(portal.absoluteString)")
        }
        let response: HTTPResponse
        do {
            response = try await transport.send(
                HTTPRequest(method: "GET", url: url, headers: [(name: "x-amz-sso_bearer_token", value: token)], timeout: .seconds(30)))
        } catch {
            throw fail("no answer from the SSO portal at \(STSCall.endpointText(url)): \(error)")
        }
        if response.status == 401 || response.status == 403 {
            throw fail("the SSO session is no longer valid (HTTP \(response.status)); run `aws sso login\(loginHint)`")
        }
        guard response.status == 200 else {
            throw fail("GetRoleCredentials for \(configuration.roleName) in \(configuration.accountID) answered HTTP \(response.status)")
        }
        struct Body: Decodable {
            struct Role: Decodable {
                var accessKeyId: String?
                var secretAccessKey: String?
                var sessionToken: String?
                var expiration: Double?
            }
            var roleCredentials: Role?
        }
        guard let role = (try? JSONDecoder().decode(Body.self, from: response.body))?.roleCredentials,
            let key = role.accessKeyId, let secret = role.secretAccessKey
        else {
            throw fail("the SSO portal answer holds no credentials")
        }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: role.sessionToken,
            expiration: role.expiration.map { Date(timeIntervalSince1970: $0 / 1000) })
    }

    private var loginHint: String { profile.map { " --profile \($0)" } ?? "" }

    private func cachedToken() throws -> String {
        let path = (cacheDirectory as NSString).appendingPathComponent(configuration.cacheFileName)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw fail("no cached SSO token (\(path)); run `aws sso login\(loginHint)`")
        }
        struct Token: Decodable {
            var accessToken: String?
            var expiresAt: String?
        }
        guard let token = try? JSONDecoder().decode(Token.self, from: data), let access = token.accessToken,
            !access.isEmpty, let expiresAt = token.expiresAt.flatMap(CredentialDates.parse)
        else {
            throw fail("the cached SSO token \(path) is not readable; run `aws sso login\(loginHint)`")
        }
        guard now() < expiresAt else {
            throw fail("the SSO session expired at \(CredentialDates.format(expiresAt)); run `aws sso login\(loginHint)`")
        }
        return access
    }

    private func fail(_ message: String) -> CredentialsError {
        CredentialsError(source: "sso", profile: profile, message: message)
    }
}

extension CredentialDates {
    static func format(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}

/// SHA-1, only to name SSO cache files as the AWS CLI does (not for anything secret).
enum SHA1 {
    static func hex(_ message: [UInt8]) -> String {
        var h: [UInt32] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0]
        var data = message
        let bitLength = UInt64(message.count) * 8
        data.append(0x80)
        while data.count % 64 != 56 { data.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { data.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        var w = [UInt32](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: data.count, by: 64) {
            for i in 0..<16 {
                let b = chunk + i * 4
                w[i] = UInt32(data[b]) << 24 | UInt32(data[b + 1]) << 16 | UInt32(data[b + 2]) << 8 | UInt32(data[b + 3])
            }
            for i in 16..<80 {
                let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
                w[i] = x << 1 | x >> 31
            }
            var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
            for i in 0..<80 {
                let (f, k): (UInt32, UInt32)
                switch i {
                case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5A82_7999)
                case 20..<40: (f, k) = (b ^ c ^ d, 0x6ED9_EBA1)
                case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
                default: (f, k) = (b ^ c ^ d, 0xCA62_C1D6)
                }
                let temp = (a << 5 | a >> 27) &+ f &+ e &+ k &+ w[i]
                (e, d, c, b, a) = (d, c, b << 30 | b >> 2, a, temp)
            }
            h[0] &+= a
            h[1] &+= b
            h[2] &+= c
            h[3] &+= d
            h[4] &+= e
        }
        return h.map { word in
            let text = String(word, radix: 16)
            return String(repeating: "0", count: 8 - text.count) + text
        }.joined()
    }
}
