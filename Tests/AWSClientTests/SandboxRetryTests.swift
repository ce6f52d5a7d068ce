import AWSClient
import AWSSigner
import Foundation
import StrataTestSupport
import Testing

/// The retry rules against real injected faults: what is resent, what is not, counted in the
/// sandbox's request log.
@Suite(.serialized) struct SandboxRetryTests {
    static let fast = RetryPolicy(
        maxAttempts: 5, throttlingBase: .milliseconds(10), transientBase: .milliseconds(5), maxDelay: .milliseconds(200))

    /// Runs `body` with `faults` set and the log cleared; returns the log lines for `action`.
    private func withFaults(
        _ faults: SandboxFaults, action: String, _ body: @Sendable (AWSClient) async throws -> Void
    ) async throws -> [SandboxRequest] {
        let sandbox = try await Sandbox.shared()
        try #require(sandbox.hasControlEndpoints, "needs the strata sandbox's fault injection, not a bare moto")
        return try await sandbox.exclusive { sandbox in
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
        let log = try await withFaults(
            SandboxFaults(service: "ec2", action: "DescribeVpcs", errorRate: 1, errorStatus: 503, count: 2), action: "DescribeVpcs"
        ) { client in
            let response = try await client.send(.query(.ec2, action: "DescribeVpcs"))
            #expect(response.attempts == 3)
        }
        #expect(log.map(\.status) == [503, 503, 200])
    }

    @Test func aCreateWithoutAClientTokenIsNotResentAfterAServerError() async throws {
        let log = try await withFaults(
            SandboxFaults(service: "ec2", action: "CreateVpc", errorRate: 1, errorStatus: 500, count: 1), action: "CreateVpc"
        ) { client in
            let error = try await #require(throws: AWSError.self) {
                try await client.send(.query(.ec2, action: "CreateVpc", parameters: [(name: "CidrBlock", value: "10.60.0.0/16")]))
            }
            #expect(error.httpStatus == 500)
            #expect(error.isTransient)
        }
        #expect(log.count == 1)
    }

    @Test func aCreateMarkedIdempotentIsResentWithItsToken() async throws {
        let log = try await withFaults(
            SandboxFaults(service: "ec2", action: "CreateInternetGateway", errorRate: 1, errorStatus: 503, count: 1),
            action: "CreateInternetGateway"
        ) { client in
            let response = try await client.send(
                .query(
                    .ec2, action: "CreateInternetGateway", parameters: [(name: "ClientToken", value: "strata-test-igw-1")], idempotent: true
                ))
            #expect(response.attempts == 2)
        }
        #expect(log.map(\.status) == [503, 200])
    }

    @Test func throttledCreatesAreResentBecauseAWSDidNotRunThem() async throws {
        let log = try await withFaults(SandboxFaults(service: "ec2", action: "CreateVpc", throttleRate: 1, count: 2), action: "CreateVpc") {
            client in
            let response = try await client.send(
                .query(.ec2, action: "CreateVpc", parameters: [(name: "CidrBlock", value: "10.61.0.0/16")]))
            #expect(response.attempts == 3)
        }
        #expect(log.count == 3)
    }

    @Test func droppedConnectionsAreRetriedForReadsOnly() async throws {
        let reads = try await withFaults(
            SandboxFaults(service: "eks", action: "ListClusters", dropRate: 1, count: 1), action: "ListClusters"
        ) { client in
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
        let log = try await withFaults(
            SandboxFaults(service: "sts", action: "GetCallerIdentity", throttleRate: 1), action: "GetCallerIdentity"
        ) { client in
            let error = try await #require(throws: AWSError.self) { try await client.send(.query(.sts, action: "GetCallerIdentity")) }
            #expect(error.isThrottling)
        }
        #expect(log.count == Self.fast.maxAttempts)
    }
    /// The adaptive mode against real throttling answers: sending DescribeVpcs at 20 a second
    /// (on the client's own clock, which only sleeps move), three throttles in a row cut the
    /// client's rate below half of that and the next calls wait their turn; successes then bring
    /// the rate back above what it was. Counted in calls and on the client's clock, not in time.
    @Test func theAdaptiveModeSlowsDownWhenThrottledAndRecovers() async throws {
        let sandbox = try await Sandbox.shared()
        try #require(sandbox.hasControlEndpoints, "needs the strata sandbox's fault injection, not a bare moto")
        try await sandbox.exclusive { sandbox in
            try await sandbox.reset()
            try await sandbox.clearRequests()
            let clock = ManualClock()
            let waits = WaitLog()
            let url = sandbox.url
            let client = AWSClient(
                configuration: AWSClient.Configuration(
                    region: Sandbox.region,
                    credentials: {
                        AWSCredentials(accessKeyID: Sandbox.accessKeyID, secretAccessKey: Sandbox.secretAccessKey)
                    },
                    endpoint: { _, _ in url },
                    retry: RetryPolicy(mode: .adaptive, maxAttempts: 10, throttlingBase: .milliseconds(100)),
                    rateLimits: .unlimited, random: { 0.5 },
                    sleep: { wait in
                        waits.add(wait)
                        clock.advance(by: wait)
                    },
                    monotonicNow: { clock.now }))
            let describe = AWSOperation.query(.ec2, action: "DescribeVpcs")

            // 20 a second for 5 s: nothing throttled, nothing waits.
            for _ in 0..<100 {
                clock.advance(by: .milliseconds(50))
                _ = try await client.send(describe)
            }
            let before = try #require(await client.rateLimiter.sendRate(for: describe))
            #expect(!before.isLimiting)
            #expect(waits.count == 0)
            #expect(before.measuredRate > 15)

            // AWS throttles the next three sends.
            try await sandbox.setFaults(
                SandboxFaults(service: "ec2", action: "DescribeVpcs", throttleRate: 1, count: 3))
            let throttled: AWSResponse
            do {
                throttled = try await client.send(describe)
                try await sandbox.clearFaults()
            } catch {
                try? await sandbox.clearFaults()
                throw error
            }
            #expect(throttled.attempts == 4)
            let cut = try #require(await client.rateLimiter.sendRate(for: describe))
            #expect(cut.isLimiting)
            #expect(cut.rate < before.measuredRate / 2)

            // Slower: of 20 calls sent at once, all but the bucket's one second's worth wait.
            let waitsBefore = waits.count
            for _ in 0..<20 { _ = try await client.send(describe) }
            #expect(waits.count - waitsBefore >= 20 - Int(cut.capacity.rounded(.up)))

            // And back: sending as fast as it is let, the rate climbs past the one before the
            // throttles, within a bounded number of calls and no throttle more.
            var calls = 0
            while try #require(await client.rateLimiter.sendRate(for: describe)).rate <= before.measuredRate,
                calls < 1000
            {
                _ = try await client.send(describe)
                calls += 1
            }
            let recovered = await client.rateLimiter.sendRate(for: describe)
            #expect(calls < 1000, "the rate did not recover: \(String(describing: recovered))")
            let log = try await sandbox.requests().filter { $0.action == "DescribeVpcs" }
            #expect(log.filter { $0.status == 503 }.count == 3)
            #expect(log.count == 100 + 4 + 20 + calls)
        }
    }
}

/// The waits a client asked for, counted.
final class WaitLog: @unchecked Sendable {
    private let lock = NSLock()
    private var waits: [Duration] = []

    func add(_ wait: Duration) {
        lock.lock()
        waits.append(wait)
        lock.unlock()
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return waits.count
    }
}
