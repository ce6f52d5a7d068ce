import AWSSigner
import Foundation
import Testing

@testable import AWSClient

/// IAM Identity Center profiles: the cached token, the portal call, and what happens when the
/// session is gone. The portal is a local stand-in on 127.0.0.1.
@Suite struct CredentialsSSOTests {
    @Test func sha1OfKnownInputs() {
        #expect(SHA1.hex([]) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(SHA1.hex(Array("abc".utf8)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(
            SHA1.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
    }

    static let config = """
        [profile dev-sso]
        sso_session = corp
        sso_account_id = 111122223333
        sso_role_name = PlatformAdmin
        region = eu-west-1

        [sso-session corp]
        sso_region = us-east-1
        sso_start_url = https://corp.awsapps.com/start
        sso_registration_scopes = sso:account:access

        [profile legacy-sso]
        sso_start_url = https://legacy.awsapps.com/start
        sso_region = us-east-1
        sso_account_id = 111122223333
        sso_role_name = PlatformAdmin

        [profile half-sso]
        sso_session = corp
        """

    func writeToken(_ scratch: CredentialsScratch, key: String, token: String, expiresAt: String) throws {
        let directory = scratch.directory.appendingPathComponent(".aws/sso/cache")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let json = #"{"startUrl": "x", "region": "us-east-1", "accessToken": "\#(token)", "expiresAt": "\#(expiresAt)"}"#
        try Data(json.utf8).write(to: directory.appendingPathComponent(SHA1.hex(Array(key.utf8)) + ".json"))
    }

    @Test func sessionAndLegacyProfilesGetRoleCredentials() async throws {
        let server = try MetadataServer(mode: "sso", authorization: "sso-access-token")
        defer { server.stop() }
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        try scratch.write("config", Self.config)
        try writeToken(scratch, key: "corp", token: "sso-access-token", expiresAt: "2099-01-01T00:00:00Z")
        try writeToken(scratch, key: "https://legacy.awsapps.com/start", token: "sso-access-token", expiresAt: "2099-01-01T00:00:00UTC")
        let transport = CurlTransport()

        for profile in ["dev-sso", "legacy-sso"] {
            let provider = try DefaultCredentialProvider(
                settings: AWSSettings(
                    environment: scratch.environment(["AWS_PROFILE": profile, "AWS_ENDPOINT_URL_SSO": server.url.absoluteString])),
                transport: transport)
            let credentials = try await provider.credentials()
            #expect(credentials.accessKeyID == "ASIASSO", "\(profile)")
            #expect(credentials.sessionToken == "token-from-sso")
            #expect(try #require(credentials.expiration) > Date())
            #expect(await provider.source == "sso")
        }
        let served = try await server.served(over: transport)
        #expect(served.count == 2)
        #expect(served.allSatisfy { $0.headers["x-amz-sso_bearer_token"] == "sso-access-token" })
    }

    @Test func anExpiredOrRejectedSessionSaysToLogIn() async throws {
        let server = try MetadataServer(mode: "sso", authorization: "the-valid-token")
        defer { server.stop() }
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        try scratch.write("config", Self.config)
        let settings = try AWSSettings(
            environment: scratch.environment(["AWS_PROFILE": "dev-sso", "AWS_ENDPOINT_URL_SSO": server.url.absoluteString]))

        func failure() async throws -> CredentialsError? {
            do {
                _ = try await DefaultCredentialProvider(settings: settings, transport: CurlTransport()).credentials()
                return nil
            } catch let error as CredentialsError {
                return error
            }
        }

        let missing = try #require(try await failure())
        #expect(missing.description.contains("no cached SSO token"))
        #expect(missing.description.contains("aws sso login --profile dev-sso"))

        try writeToken(scratch, key: "corp", token: "the-valid-token", expiresAt: "2020-01-01T00:00:00Z")
        let expired = try #require(try await failure())
        #expect(expired.description.contains("expired"))
        #expect(expired.source == "sso")

        try writeToken(scratch, key: "corp", token: "a-revoked-token", expiresAt: "2099-01-01T00:00:00Z")
        let rejected = try #require(try await failure())
        #expect(rejected.description.contains("no longer valid (HTTP 401)"))
        #expect(!rejected.description.contains("a-revoked-token"))
    }

    @Test func anIncompleteSSOProfileNamesWhatIsMissing() async throws {
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        try scratch.write("config", Self.config)
        do {
            _ = try await DefaultCredentialProvider(
                settings: AWSSettings(environment: scratch.environment(["AWS_PROFILE": "half-sso"])),
                transport: CurlTransport()
            ).credentials()
            Issue.record("expected a configuration error")
        } catch let error as CredentialsError {
            #expect(error.description.contains("sso_account_id, sso_role_name"))
            #expect(error.profile == "half-sso")
        }
    }

    @Test func defaultPortalIsRegional() throws {
        let configuration = SSOCredentialProvider.Configuration(
            sessionName: "corp", startURL: "https://corp.awsapps.com/start", region: "eu-central-1", accountID: "1",
            roleName: "r")
        #expect(configuration.cacheFileName == SHA1.hex(Array("corp".utf8)) + ".json")
        let settings = AWSSettings(environment: [:], config: SharedConfig())
        #expect(try settings.configuredEndpoint(serviceID: "SSO") == nil)
        #expect(
            try AWSSettings(environment: ["AWS_ENDPOINT_URL_SSO": "http://127.0.0.1:1"], config: SharedConfig())
                .configuredEndpoint(serviceID: "SSO")?.absoluteString == "http://127.0.0.1:1")
    }
}
