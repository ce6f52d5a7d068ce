import AWSClient
import AWSSigner
import Foundation
import Testing

@Suite struct BackoffTests {
    let policy = RetryPolicy(maxAttempts: 10, throttlingBase: .milliseconds(500), transientBase: .milliseconds(50), maxDelay: .seconds(20))

    @Test func fullJitterStaysWithinTheExponentialCeiling() {
        for retry in 0..<12 {
            let ceiling = min(Duration.seconds(20), .milliseconds(500) * (1 << retry))
            #expect(policy.delay(retry: retry, reason: .throttled, unitRandom: 0) == .zero)
            #expect(policy.delay(retry: retry, reason: .throttled, unitRandom: 0.999_999) <= ceiling)
            #expect(policy.delay(retry: retry, reason: .throttled, unitRandom: 0.5) == ceiling / 2)
        }
    }

    @Test func theCapHoldsForHugeRetryNumbers() {
        #expect(policy.delay(retry: 1000, reason: .transient, unitRandom: 1) == .seconds(20))
        #expect(policy.delay(retry: -3, reason: .transient, unitRandom: 1) == .milliseconds(50))
    }

    @Test func transientFailuresBackOffFromASmallerBase() {
        #expect(policy.delay(retry: 0, reason: .transient, unitRandom: 1) == .milliseconds(50))
        #expect(policy.delay(retry: 0, reason: .connectionLost, unitRandom: 1) == .milliseconds(50))
        #expect(policy.delay(retry: 0, reason: .throttled, unitRandom: 1) == .milliseconds(500))
        #expect(policy.delay(retry: 3, reason: .transient, unitRandom: 1) == .milliseconds(400))
    }

    @Test func classification() {
        let throttled = AWSError(service: "ec2", code: "RequestLimitExceeded", message: "", httpStatus: 503, requestID: nil)
        let notFound = AWSError(service: "ec2", code: "InvalidVpcID.NotFound", message: "", httpStatus: 400, requestID: nil)
        let unavailable = AWSError(service: "eks", code: "ServiceUnavailableException", message: "", httpStatus: 503, requestID: nil)
        #expect(RetryPolicy.reason(for: throttled) == .throttled)
        #expect(RetryPolicy.reason(for: notFound) == nil)
        #expect(RetryPolicy.reason(for: unavailable) == .transient)
        #expect(RetryPolicy.reason(for: TransportError(kind: .connectionRefused, url: "u", detail: "")) == .notConnected)
        #expect(RetryPolicy.reason(for: TransportError(kind: .timedOut, url: "u", detail: "")) == .connectionLost)
        #expect(RetryPolicy.reason(for: TransportError(kind: .tls, url: "u", detail: "")) == nil)
    }

    @Test func throttlingGetsMorePatienceThanFailures() {
        let policy = RetryPolicy(maxAttempts: 10, maxTransientAttempts: 4)
        #expect(policy.attempts(for: .throttled) == 10)
        #expect(policy.attempts(for: .transient) == 4)
        #expect(policy.attempts(for: .notConnected) == 4)
        #expect(RetryPolicy.none.attempts(for: .transient) == 1)
        #expect(RetryPolicy.none.attempts(for: .throttled) == 1)
    }

    /// Throttled sends were never run, so they do not use up a call's patience for 5xx: three
    /// throttles then a 500 is one failure, retried (it failed the call at 30% throttling).
    @Test func throttlesDoNotCountAgainstTheServerErrorLimit() async throws {
        func ec2Error(_ status: Int, _ code: String) -> HTTPResponse {
            HTTPResponse(
                status: status, headers: [],
                body: Data(
                    "<Response><Errors><Error><Code>\(code)</Code><Message>m</Message></Error></Errors><RequestID>r</RequestID></Response>"
                        .utf8))
        }
        let throttled = ec2Error(503, "RequestLimitExceeded")
        let answers = AnswerQueue([
            throttled, throttled, throttled, ec2Error(500, "InternalError"),
            HTTPResponse(status: 200, headers: [], body: Data("<DescribeVpcsResponse><vpcSet/></DescribeVpcsResponse>".utf8)),
        ])
        let transport = RecordingTransport { _ in await answers.next() }
        let client = AWSClient(
            configuration: AWSClient.Configuration(
                region: "us-east-1", credentials: { AWSCredentials(accessKeyID: "a", secretAccessKey: "s") },
                endpoint: { _, _ in URL(string: "http://127.0.0.1:1")! }, transport: transport,
                retry: RetryPolicy(
                    maxAttempts: 10, maxTransientAttempts: 4, throttlingBase: .milliseconds(1), transientBase: .milliseconds(1)),
                rateLimits: .unlimited))
        let response = try await client.send(.query(.ec2, action: "DescribeVpcs"))
        #expect(response.attempts == 5)
    }

    @Test func nonIdempotentCallsAreRetriedOnlyWhenAWSCannotHaveRunThem() {
        #expect(RetryPolicy.mayRetry(.throttled, idempotent: false))
        #expect(RetryPolicy.mayRetry(.notConnected, idempotent: false))
        #expect(!RetryPolicy.mayRetry(.transient, idempotent: false))
        #expect(!RetryPolicy.mayRetry(.connectionLost, idempotent: false))
        #expect(RetryPolicy.mayRetry(.connectionLost, idempotent: true))
    }

    @Test func everyBotocoreThrottlingCodeIsThrottling() {
        for code in [
            "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded", "TooManyRequestsException",
            "RequestThrottled", "ProvisionedThroughputExceededException", "SlowDown", "PriorRequestNotComplete",
            "BandwidthLimitExceeded", "EC2ThrottledException",
        ] {
            #expect(AWSError(service: "x", code: code, message: "", httpStatus: 400, requestID: nil).isThrottling, "\(code)")
        }
    }
}

@Suite struct RetryBudgetTests {
    @Test func retriesDrainTheBudgetAndSuccessesRefillIt() {
        let budget = RetryBudget(capacity: 20, retryCost: 5, timeoutCost: 10)
        #expect(budget.withdraw(for: .throttled) == 5)
        #expect(budget.withdraw(for: .connectionLost) == 10)
        #expect(budget.tokens == 5)
        #expect(budget.withdraw(for: .connectionLost) == nil)
        #expect(budget.tokens == 5)
        #expect(budget.withdraw(for: .transient) == 5)
        #expect(budget.withdraw(for: .transient) == nil)
        budget.deposit(15)
        budget.deposit(100)
        #expect(budget.tokens == 20)
    }
}

@Suite struct RateLimiterTests {
    @Test func theBurstPassesAndThenCallersAreSpacedByTheRate() {
        var bucket = TokenBucket(ratePerSecond: 20, burst: 100)
        let start = Duration.seconds(1000)
        for _ in 0..<100 { #expect(bucket.reserve(at: start) == .zero) }
        #expect(bucket.reserve(at: start) == .milliseconds(50))
        #expect(bucket.reserve(at: start) == .milliseconds(100))
        // One second later 20 tokens came back, 2 of them owed to the callers above.
        #expect(bucket.reserve(at: start + .seconds(1)) == .zero)
    }

    @Test func refillNeverExceedsTheBurst() {
        var bucket = TokenBucket(ratePerSecond: 5, burst: 10)
        for _ in 0..<10 { _ = bucket.reserve(at: .zero) }
        _ = bucket.reserve(at: .seconds(3600))
        #expect(bucket.tokens == 9)
    }

    @Test func timeGoingBackwardsGrantsNothing() {
        var bucket = TokenBucket(ratePerSecond: 1, burst: 1)
        #expect(bucket.reserve(at: .seconds(10)) == .zero)
        #expect(bucket.reserve(at: .seconds(5)) == .seconds(1))
    }

    @Test func theLimiterSleepsOnItsInjectedClockPerServiceAndKind() async throws {
        let clock = ManualClock()
        let limits = RateLimits(
            perService: ["ec2": (reads: RateLimit(ratePerSecond: 20, burst: 100), writes: RateLimit(ratePerSecond: 5, burst: 2))],
            fallback: (reads: RateLimit(ratePerSecond: 1, burst: 1), writes: RateLimit(ratePerSecond: 1, burst: 1)))
        let limiter = RateLimiter(limits: limits, now: { clock.now }, sleep: { clock.advance(by: $0) })
        let read = AWSOperation.query(.ec2, action: "DescribeVpcs")
        let write = AWSOperation.query(.ec2, action: "CreateVpc")
        for _ in 0..<100 { try await limiter.acquire(for: read) }
        #expect(clock.now == .zero)
        #expect(try await limiter.acquire(for: read) == .milliseconds(50))
        #expect(clock.now == .milliseconds(50))
        // Writes have their own bucket.
        #expect(try await limiter.acquire(for: write) == .zero)
        #expect(try await limiter.acquire(for: write) == .zero)
        #expect(try await limiter.acquire(for: write) == .milliseconds(200))
        // Another service falls back to its own bucket.
        #expect(try await limiter.acquire(for: .json(.ssm, action: "GetParameter")) == .zero)
    }
}

/// A clock that moves only when told: `sleep` advances it.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Duration.zero

    var now: Duration {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    func advance(by duration: Duration) {
        lock.lock()
        current += duration
        lock.unlock()
    }
}
