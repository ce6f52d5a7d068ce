import AWSClient
import Foundation
import StrataModel
import Testing

/// Which of EC2's buckets a call draws from: one per action, sized by the action's category.
@Suite struct EC2RequestBucketTests {
    let ec2 = EC2RequestBuckets.documented

    func bucket(_ action: String, _ parameters: [(name: String, value: String)] = []) -> (key: String, limit: RateLimit) {
        RateLimits.standard.bucket(for: .query(.ec2, action: action, parameters: parameters))
    }

    @Test func eachActionHasABucketOfItsOwnSizedByItsCategory() {
        #expect(bucket("CreateSubnet").key == "ec2/CreateSubnet")
        #expect(bucket("CreateSecurityGroup").key == "ec2/CreateSecurityGroup")
        #expect(bucket("CreateSubnet").limit == RateLimit(ratePerSecond: 5, burst: 50))
        #expect(bucket("DescribeVpcs").key == "ec2/DescribeVpcs")
        #expect(bucket("DescribeVpcs").limit == RateLimit(ratePerSecond: 20, burst: 100))
        #expect(ec2.category(of: "DescribeVpcs", filteredOrPaginated: false) == .nonMutating)
        #expect(ec2.category(of: "CreateVpc", filteredOrPaginated: false) == .mutating)
        #expect(ec2.category(of: "AuthorizeSecurityGroupIngress", filteredOrPaginated: false) == .resourceIntensive)
        #expect(ec2.category(of: "CreateTags", filteredOrPaginated: false) == .uncategorized)
    }

    @Test func uncategorizedActionsHaveTheirOwnSizes() {
        #expect(bucket("CreateTags").limit == RateLimit(ratePerSecond: 10, burst: 100))
        #expect(bucket("CreateNatGateway").limit == RateLimit(ratePerSecond: 1, burst: 10))
        #expect(bucket("DeleteNatGateway").limit == RateLimit(ratePerSecond: 1, burst: 10))
        #expect(bucket("RunInstances").limit == RateLimit(ratePerSecond: 2, burst: 5))
        #expect(bucket("TerminateInstances").limit == RateLimit(ratePerSecond: 5, burst: 100))
        #expect(bucket("CreateVpcEndpoint").limit == RateLimit(ratePerSecond: 0.3, burst: 4))
        // A describe of its own size is not a non-mutating one.
        #expect(bucket("DescribeSpotFleetRequests").limit == RateLimit(ratePerSecond: 3, burst: 50))
    }

    @Test func theSevenDescribesUseTheSmallerBucketOnlyWithoutFilterOrPages() {
        let unfiltered = bucket("DescribeSecurityGroups")
        #expect(unfiltered.key == "ec2/DescribeSecurityGroups (unfiltered)")
        #expect(unfiltered.limit == RateLimit(ratePerSecond: 10, burst: 50))
        let filtered = bucket(
            "DescribeSecurityGroups",
            [(name: "Filter.1.Name", value: "vpc-id"), (name: "Filter.1.Value.1", value: "vpc-1")])
        #expect(filtered.key == "ec2/DescribeSecurityGroups")
        #expect(filtered.limit == RateLimit(ratePerSecond: 20, burst: 100))
        #expect(
            bucket("DescribeInstances", [(name: "MaxResults", value: "1000")]).limit
                == RateLimit(ratePerSecond: 20, burst: 100))
        #expect(
            bucket("DescribeInstances", [(name: "NextToken", value: "t")]).limit
                == RateLimit(ratePerSecond: 20, burst: 100))
        // Ids alone are neither a filter nor pagination.
        #expect(
            bucket("DescribeInstances", [(name: "InstanceId.1", value: "i-1")]).limit
                == RateLimit(ratePerSecond: 10, burst: 50))
        // Other describes never use it.
        #expect(bucket("DescribeSubnets").limit == RateLimit(ratePerSecond: 20, burst: 100))
    }

    @Test func otherServicesKeepOneBucketPerServiceAndKind() {
        #expect(RateLimits.standard.bucket(for: .query(.iam, action: "CreateRole")).key == "iam/write")
        #expect(RateLimits.standard.bucket(for: .query(.iam, action: "ListRoles")).key == "iam/read")
        #expect(
            RateLimits.standard.bucket(for: .rest(.eks, action: "ListClusters", method: "GET", path: "/clusters")).key
                == "eks/read")
        let withoutPerAction = RateLimits(
            perService: [
                "ec2": (reads: RateLimit(ratePerSecond: 1, burst: 1), writes: RateLimit(ratePerSecond: 2, burst: 2))
            ],
            fallback: (reads: RateLimit(ratePerSecond: 9, burst: 9), writes: RateLimit(ratePerSecond: 9, burst: 9)))
        #expect(withoutPerAction.bucket(for: .query(.ec2, action: "CreateSubnet")).key == "ec2/write")
        #expect(RateLimits.unlimited.ec2 == nil)
    }

    /// The defect: every EC2 write shared one 5/s bucket, so 160 subnets held back 160 security
    /// groups. Now each action spends its own burst.
    @Test func oneActionsBurstDoesNotHoldAnotherBack() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(limits: .standard, now: { clock.now }, sleep: { clock.advance(by: $0) })
        let subnet = AWSOperation.query(.ec2, action: "CreateSubnet")
        for _ in 0..<50 { #expect(try await limiter.acquire(for: subnet) == .zero) }
        #expect(try await limiter.acquire(for: subnet) == .milliseconds(200))
        let group = AWSOperation.query(.ec2, action: "CreateSecurityGroup")
        for _ in 0..<50 { #expect(try await limiter.acquire(for: group) == .zero) }
        let tags = AWSOperation.query(.ec2, action: "CreateTags")
        for _ in 0..<100 { #expect(try await limiter.acquire(for: tags) == .zero) }
        #expect(try await limiter.acquire(for: tags) == .milliseconds(100))
        #expect(clock.now == .milliseconds(300))
    }
}

/// The adaptive mode's limiter, on a clock of the test's own.
@Suite struct AdaptiveSendRateTests {
    static func seconds(_ t: Double) -> Duration { .nanoseconds(Int64((t * 1e9).rounded())) }
    static func value(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Answers `perSecond` a second from `start` for `duration` seconds, none throttled; returns
    /// the time after the last.
    static func steady(_ limiter: inout AdaptiveSendRate, perSecond: Int, from start: Double, for duration: Double)
        -> Double
    {
        var t = start
        for _ in 0..<Int(duration * Double(perSecond)) {
            t += 1 / Double(perSecond)
            limiter.record(throttled: false, at: seconds(t))
        }
        return t
    }

    @Test func nothingWaitsUntilAWSFirstThrottles() {
        var limiter = AdaptiveSendRate()
        for ms in 0..<2000 {
            #expect(limiter.reserve(at: .milliseconds(ms)) == .zero)
            limiter.record(throttled: false, at: .milliseconds(ms))
        }
        #expect(!limiter.isLimiting)
    }

    @Test func theMeasuredRateFollowsTheAnswers() {
        var limiter = AdaptiveSendRate()
        _ = Self.steady(&limiter, perSecond: 20, from: 0, for: 10)
        #expect(abs(limiter.measuredRate - 20) < 0.01)
    }

    @Test func aThrottleCutsTheRateToSeventyPercentOfWhatWasSent() {
        var limiter = AdaptiveSendRate()
        let end = Self.steady(&limiter, perSecond: 20, from: 0, for: 10)
        limiter.record(throttled: true, at: Self.seconds(end + 0.01))
        #expect(limiter.isLimiting)
        #expect(abs(limiter.rate - 0.7 * limiter.measuredRate) < 1e-9)
        #expect(abs(limiter.rate - 14) < 0.1)
        // Another throttle starts from the bucket's rate, lower than the measured one.
        let first = limiter.rate
        limiter.record(throttled: true, at: Self.seconds(end + 0.02))
        #expect(abs(limiter.rate - 0.7 * first) < 1e-9)
    }

    @Test func onceLimitingCallsAreSpacedByTheRate() {
        var limiter = AdaptiveSendRate()
        let end = Self.steady(&limiter, perSecond: 20, from: 0, for: 10) + 0.01
        limiter.record(throttled: true, at: Self.seconds(end))
        let waits = (0..<40).map { _ in limiter.reserve(at: Self.seconds(end)) }
        let immediate = waits.filter { $0 == .zero }.count
        // At most the bucket's one second's worth goes at once...
        #expect(immediate >= 1)
        #expect(Double(immediate) <= limiter.capacity)
        // ...then each caller waits one more interval of the cut rate.
        for (earlier, later) in zip(waits[immediate...], waits[(immediate + 1)...]) {
            #expect(abs(Self.value(later - earlier) - 1 / limiter.rate) < 1e-6)
        }
    }

    /// After a throttle at t0 the rate follows W + 0.4 (t − t0 − K)³, where W is the rate sent at
    /// the throttle and K = ∛(W × 0.3 / 0.4): back to W after K seconds, beyond it after.
    @Test func successesBringTheRateBackAlongTheCubicCurve() {
        var limiter = AdaptiveSendRate()
        let t0 = Self.steady(&limiter, perSecond: 20, from: 0, for: 10) + 0.01
        limiter.record(throttled: true, at: Self.seconds(t0))
        let sent = limiter.rate / 0.7
        let k = cbrt(sent * 0.3 / 0.4)
        var t = t0
        var rates: [Double] = []
        // The caller sends as fast as the limiter lets it.
        while t < t0 + k + 2 {
            let wait = limiter.reserve(at: Self.seconds(t))
            t += Self.value(wait) + 0.001
            limiter.record(throttled: false, at: Self.seconds(t))
            let curve = sent + 0.4 * pow(t - t0 - k, 3)
            #expect(abs(limiter.rate - curve) < 1e-6, "at t0 + \(t - t0) s")
            rates.append(limiter.rate)
        }
        #expect(rates.first.map { $0 < sent } == true)
        #expect(zip(rates, rates.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(limiter.rate > sent)
    }

    @Test func anIdleSpellDoesNotLicenseABurst() {
        var limiter = AdaptiveSendRate()
        let t0 = Self.steady(&limiter, perSecond: 20, from: 0, for: 10) + 0.01
        limiter.record(throttled: true, at: Self.seconds(t0))
        limiter.record(throttled: false, at: Self.seconds(t0 + 60))
        // The curve would allow thousands a second by now; twice what was measured is the most.
        #expect(limiter.rate <= 2 * limiter.measuredRate + 1e-9)
        #expect(limiter.rate < 20)
    }

    @Test func theRateIsNeverCutBelowTheMinimum() {
        var limiter = AdaptiveSendRate()
        for ms in 0..<20 { limiter.record(throttled: true, at: .milliseconds(ms)) }
        #expect(limiter.rate == AdaptiveSendRate.minimumRate)
        let first = limiter.reserve(at: .milliseconds(20))
        let second = limiter.reserve(at: .milliseconds(20))
        #expect(abs(Self.value(second - first) - 2) < 1e-6)
    }
}

/// `retry_mode`, `max_attempts` and the client-side limits, read as the SDKs read them.
@Suite struct RetrySettingsTests {
    static let config = SharedConfig(
        configText: """
            [default]
            retry_mode = adaptive
            max_attempts = 5
            [profile plain]
            region = eu-west-1
            [profile wrong]
            retry_mode = fast
            max_attempts = none
            """, credentialsText: "")

    func settings(_ environment: [String: String]) -> AWSSettings {
        AWSSettings(environment: environment, config: Self.config)
    }

    @Test func theEnvironmentWinsOverTheProfile() throws {
        #expect(try settings([:]).retryMode() == .adaptive)
        #expect(try settings([:]).maxAttempts() == 5)
        #expect(try settings(["AWS_RETRY_MODE": "standard"]).retryMode() == .standard)
        #expect(try settings(["AWS_MAX_ATTEMPTS": "2"]).maxAttempts() == 2)
        #expect(try settings(["AWS_PROFILE": "plain"]).retryMode() == .standard)
        #expect(try settings(["AWS_PROFILE": "plain"]).maxAttempts() == nil)
        #expect(try settings(["AWS_PROFILE": "plain", "AWS_RETRY_MODE": "Adaptive"]).retryMode() == .adaptive)
        #expect(try settings(["AWS_PROFILE": "plain", "AWS_RETRY_MODE": "legacy"]).retryMode() == .standard)
    }

    @Test func maxAttemptsBoundsEverySend() throws {
        let policy = try settings([:]).retryPolicy()
        #expect(policy.mode == .adaptive)
        #expect(policy.attempts(for: .throttled) == 5)
        #expect(policy.attempts(for: .transient) == 4)
        let two = try settings(["AWS_MAX_ATTEMPTS": "2"]).retryPolicy()
        #expect(two.attempts(for: .throttled) == 2)
        #expect(two.attempts(for: .transient) == 2)
        let unset = try settings(["AWS_PROFILE": "plain"]).retryPolicy()
        #expect(unset.mode == .standard)
        #expect(unset.maxAttempts == RetryPolicy().maxAttempts)
    }

    @Test func wrongValuesAreRefusedNamingWhereTheyCameFrom() throws {
        let wrong = settings(["AWS_PROFILE": "wrong"])
        let mode = try #require(throws: AWSClientError.self) { try wrong.retryMode() }
        #expect("\(mode)".contains("retry_mode in profile wrong is \"fast\""))
        let attempts = try #require(throws: AWSClientError.self) { try wrong.maxAttempts() }
        #expect("\(attempts)".contains("max_attempts in profile wrong"))
        let zero = try #require(throws: AWSClientError.self) { try settings(["AWS_MAX_ATTEMPTS": "0"]).maxAttempts() }
        #expect("\(zero)".contains("AWS_MAX_ATTEMPTS is \"0\""))
        #expect(throws: AWSClientError.self) { try settings(["STRATA_CLIENT_RATE_LIMITS": "sometimes"]).rateLimits() }
    }

    @Test func clientRateLimitsFollowAWSUnlessTurnedOff() throws {
        #expect(try settings([:]).rateLimits().ec2 == .documented)
        #expect(try settings(["STRATA_CLIENT_RATE_LIMITS": "aws"]).rateLimits().ec2 == .documented)
        let off = try settings(["STRATA_CLIENT_RATE_LIMITS": "off"]).rateLimits()
        #expect(off.ec2 == nil)
        #expect(off.bucket(for: .query(.ec2, action: "CreateSubnet")).limit.ratePerSecond >= 1e9)
    }

    @Test func theCommandLineConfigurationCarriesThem() throws {
        let scratch = try CredentialsScratch()
        defer { scratch.remove() }
        let environment = scratch.environment([
            "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s", "AWS_RETRY_MODE": "adaptive",
            "AWS_MAX_ATTEMPTS": "7",
            "STRATA_CLIENT_RATE_LIMITS": "off",
        ])
        let configuration = try AWSClient.Configuration.standard(region: "us-east-1", environment: environment)
        #expect(configuration.retry.mode == .adaptive)
        #expect(configuration.retry.maxAttempts == 7)
        #expect(configuration.rateLimits.ec2 == nil)
        let plain = try AWSClient.Configuration.standard(
            region: "us-east-1",
            environment: scratch.environment(["AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "s"]))
        #expect(plain.retry.mode == .standard)
        #expect(plain.rateLimits.ec2 == .documented)
    }
}
