import AWSClient
import Foundation
import StrataTestSupport
import Testing

/// The retry rules against real injected faults: what is resent, what is not, counted in the
/// sandbox's request log.
@Suite(.serialized) struct SandboxRetryTests {
    static let fast = RetryPolicy(maxAttempts: 5, throttlingBase: .milliseconds(10), transientBase: .milliseconds(5), maxDelay: .milliseconds(200))

    /// Runs `body` with `faults` set and the log cleared; returns the log lines for `action`.
    private func withFaults(
        _ faults: SandboxFaults, action: String, _ body: @Sendable (AWSClient) async throws -> Void
    ) async throws -> [SandboxRequest] {
        let sandbox = try await Sandbox.shared()
        try #require(sandbox.hasControlEndpoints, "needs the strata sandbox's fault injection, not a bare moto")
        return try await sandbox.exclusive {
            try await sandbox.reset()
            try await sandbox.clearRequests()
            try await sandbox.setFaults(faults)
            do {
                try await body(sandbox.client(retry: Self.fast))
                try await sandbox.clearFaults()
            } catch {
                try? await sandbox.clearFaults()
                throw error
            }
            return try await sandbox.requests().filter { $0.action == action }
        }
    }

    @Test func readsAreRetriedThroughServerErrors() async throws {
        let log = try await withFaults(SandboxFaults(service: "ec2", action: "DescribeVpcs", errorRate: 1, errorStatus: 503, count: 2), action: "DescribeVpcs") { client in
            let response = try await client.send(.query(.ec2, action: "DescribeVpcs"))
            #expect(response.attempts == 3)
        }
        #expect(log.map(\.status) == [503, 503, 200])
    }

    @Test func aCreateWithoutAClientTokenIsNotResentAfterAServerError() async throws {
        let log = try await withFaults(SandboxFaults(service: "ec2", action: "CreateVpc", errorRate: 1, errorStatus: 500, count: 1), action: "CreateVpc") { client in
            let error = try await #require(throws: AWSError.self) {
                try await client.send(.query(.ec2, action: "CreateVpc", parameters: [(name: "CidrBlock", value: "10.60.0.0/16")]))
            }
            #expect(error.httpStatus == 500)
            #expect(error.isTransient)
        }
        #expect(log.count == 1)
    }

    @Test func aCreateMarkedIdempotentIsResentWithItsToken() async throws {
        let log = try await withFaults(SandboxFaults(service: "ec2", action: "CreateInternetGateway", errorRate: 1, errorStatus: 503, count: 1), action: "CreateInternetGateway") { client in
            let response = try await client.send(.query(
                .ec2, action: "CreateInternetGateway", parameters: [(name: "ClientToken", value: "strata-test-igw-1")], idempotent: true))
            #expect(response.attempts == 2)
        }
        #expect(log.map(\.status) == [503, 200])
    }

    @Test func throttledCreatesAreResentBecauseAWSDidNotRunThem() async throws {
        let log = try await withFaults(SandboxFaults(service: "ec2", action: "CreateVpc", throttleRate: 1, count: 2), action: "CreateVpc") { client in
            let response = try await client.send(.query(.ec2, action: "CreateVpc", parameters: [(name: "CidrBlock", value: "10.61.0.0/16")]))
            #expect(response.attempts == 3)
        }
        #expect(log.count == 3)
    }

    @Test func droppedConnectionsAreRetriedForReadsOnly() async throws {
        let reads = try await withFaults(SandboxFaults(service: "eks", action: "ListClusters", dropRate: 1, count: 1), action: "ListClusters") { client in
            let response = try await client.send(.rest(.eks, action: "ListClusters", method: "GET", path: "/clusters"))
            #expect(response.attempts == 2)
        }
        #expect(reads.count == 2)
        _ = try await withFaults(SandboxFaults(service: "ec2", action: "CreateVpc", dropRate: 1, count: 1), action: "CreateVpc") { client in
            let error = try await #require(throws: TransportError.self) {
                try await client.send(.query(.ec2, action: "CreateVpc", parameters: [(name: "CidrBlock", value: "10.62.0.0/16")]))
            }
            #expect(error.kind == .connectionReset)
        }
    }

    @Test func giveUpAfterMaxAttempts() async throws {
        let log = try await withFaults(SandboxFaults(service: "sts", action: "GetCallerIdentity", throttleRate: 1), action: "GetCallerIdentity") { client in
            let error = try await #require(throws: AWSError.self) { try await client.send(.query(.sts, action: "GetCallerIdentity")) }
            #expect(error.isThrottling)
        }
        #expect(log.count == Self.fast.maxAttempts)
    }
}
