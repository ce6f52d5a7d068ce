import AWSSigner
import Foundation
import Testing

@testable import AWSClient

/// IMDSv2 and the container credentials endpoint, against local stand-ins on 127.0.0.1.
@Suite struct CredentialsMetadataTests {
    @Test func imdsV2UsesASessionTokenForEveryRead() async throws {
        let server = try MetadataServer(mode: "imds")
        defer { server.stop() }
        let transport = CurlTransport()

        // The stand-in refuses reads without the session token, as IMDSv2 does.
        let bare = try await transport.send(
            HTTPRequest(method: "GET", url: server.url.appendingPathComponent("latest/meta-data/iam/security-credentials/")))
        #expect(bare.status == 401)

        let provider = InstanceMetadataCredentialProvider(endpoint: server.url, transport: transport)
        let credentials = try await provider.credentials()
        #expect(credentials.accessKeyID == "ASIAIMDS")
        #expect(credentials.sessionToken == "token-from-imds")
        #expect(try #require(credentials.expiration) > Date())

        let served = try await server.served(over: transport).filter { $0.headers["x-aws-ec2-metadata-token"] != nil || $0.method == "PUT" }
        #expect(served.map(\.method) == ["PUT", "GET", "GET"])
        #expect(served[0].path == "/latest/api/token")
        #expect(served[0].headers["x-aws-ec2-metadata-token-ttl-seconds"] == "21600")
        #expect(served[1].path == "/latest/meta-data/iam/security-credentials/")
        #expect(served[2].path == "/latest/meta-data/iam/security-credentials/strata-node-role")
        #expect(served.dropFirst().allSatisfy { $0.headers["x-aws-ec2-metadata-token"] == "imds-session-token-1" })
    }

    @Test func imdsIsTheLastLinkAndCanBeDisabled() async throws {
        let server = try MetadataServer(mode: "imds")
        defer { server.stop() }
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        let transport = CurlTransport()
        let enabled = try DefaultCredentialProvider(
            settings: AWSSettings(
                environment: scratch.environment([
                    "AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.url.absoluteString,
                ])),
            transport: transport)
        #expect(try await enabled.credentials().accessKeyID == "ASIAIMDS")
        #expect(await enabled.source == "instance-metadata")

        let disabled = try DefaultCredentialProvider(
            settings: AWSSettings(
                environment: scratch.environment([
                    "AWS_EC2_METADATA_DISABLED": "true", "AWS_EC2_METADATA_SERVICE_ENDPOINT": server.url.absoluteString,
                ])),
            transport: transport)
        await #expect(throws: CredentialsError.self) { try await disabled.credentials() }
    }

    @Test func imdsWithoutARoleSaysSo() async throws {
        let server = try MetadataServer(mode: "imds-no-role")
        defer { server.stop() }
        let provider = InstanceMetadataCredentialProvider(endpoint: server.url, transport: CurlTransport())
        do {
            _ = try await provider.credentials()
            Issue.record("expected no instance profile")
        } catch let error as CredentialsError {
            #expect(error.source == "instance-metadata")
            #expect(error.description.contains("no instance profile"))
        }
    }

    @Test func containerCredentialsSendTheAuthorizationToken() async throws {
        let server = try MetadataServer(mode: "container", authorization: "Bearer pod-identity-token")
        defer { server.stop() }
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        let transport = CurlTransport()
        let full = server.url.appendingPathComponent("v2/credentials/pod").absoluteString

        let fromVariable = ContainerCredentialProvider(
            environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": full, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer pod-identity-token"],
            transport: transport)
        #expect(try await fromVariable.credentials().accessKeyID == "ASIACONTAINER")

        let tokenFile = try scratch.write("eks-pod-identity-token", "Bearer pod-identity-token\n")
        let fromFile = ContainerCredentialProvider(
            environment: [
                "AWS_CONTAINER_CREDENTIALS_FULL_URI": full, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer wrong",  // the file wins
            ],
            transport: transport)
        #expect(try await fromFile.credentials().sessionToken == "token-from-container")

        let wrong = ContainerCredentialProvider(
            environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": full, "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer wrong"],
            transport: transport)
        do {
            _ = try await wrong.credentials()
            Issue.record("expected a 401")
        } catch let error as CredentialsError {
            #expect(error.source == "container")
            #expect(error.description.contains("HTTP 401"))
            #expect(!error.description.contains("Bearer wrong"))
        }

        let served = try await server.served(over: transport)
        #expect(
            served.map { $0.headers["authorization"] ?? "" } == [
                "Bearer pod-identity-token", "Bearer pod-identity-token", "Bearer wrong",
            ])
    }

    @Test func containerComesBeforeInstanceMetadata() async throws {
        let container = try MetadataServer(mode: "container", authorization: "t")
        defer { container.stop() }
        let imds = try MetadataServer(mode: "imds")
        defer { imds.stop() }
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        let provider = try DefaultCredentialProvider(
            settings: AWSSettings(
                environment: scratch.environment([
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI": container.url.appendingPathComponent("v2/credentials/pod").absoluteString,
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN": "t", "AWS_EC2_METADATA_DISABLED": "false",
                    "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url.absoluteString,
                ])),
            transport: CurlTransport())
        #expect(try await provider.credentials().accessKeyID == "ASIACONTAINER")
        #expect(await provider.source == "container")
    }

    @Test func plainHTTPContainerEndpointsMustBeLocal() async throws {
        #expect(ContainerCredentialProvider.allowedPlainHTTPHost("127.0.0.1"))
        #expect(ContainerCredentialProvider.allowedPlainHTTPHost("127.10.0.1"))
        #expect(ContainerCredentialProvider.allowedPlainHTTPHost("localhost"))
        #expect(ContainerCredentialProvider.allowedPlainHTTPHost("169.254.170.23"))
        #expect(ContainerCredentialProvider.allowedPlainHTTPHost("[fd00:ec2::23]"))
        #expect(!ContainerCredentialProvider.allowedPlainHTTPHost("example.com"))
        #expect(!ContainerCredentialProvider.allowedPlainHTTPHost("10.0.0.1"))
        let remote = ContainerCredentialProvider(
            environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://example.com/creds"], transport: CurlTransport())
        do {
            _ = try await remote.credentials()
            Issue.record("expected a refusal")
        } catch let error as CredentialsError {
            #expect(error.description.contains("loopback"))
        }
    }
}
