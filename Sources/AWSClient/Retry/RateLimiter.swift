import Foundation

/// A token bucket: `burst` tokens at most, refilled at `ratePerSecond`. A pure value; time is
/// passed in, so it is tested without a clock.
public struct TokenBucket: Sendable, Equatable {
    public let burst: Double
    public let ratePerSecond: Double
    /// May go negative: callers reserve tokens ahead and wait for them to exist.
    public private(set) var tokens: Double
    private var last: Duration?

    public init(ratePerSecond: Double, burst: Double) {
        self.ratePerSecond = max(ratePerSecond, 0.001)
        self.burst = max(burst, 1)
        self.tokens = max(burst, 1)
    }

    /// Reserves one token at time `now` (any monotonic origin) and returns how long the caller
    /// must wait before using it: zero while the burst lasts, then 1/rate per caller, in order.
    public mutating func reserve(at now: Duration) -> Duration {
        if let previous = last {
            if now > previous {
                let elapsed = now - previous
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                tokens = min(burst, tokens + seconds * ratePerSecond)
                last = now
            }
        } else {
            last = now
        }
        tokens -= 1
        if tokens >= 0 { return .zero }
        return .seconds(-tokens / ratePerSecond)
    }
}

/// One bucket's settings.
public struct RateLimit: Sendable, Equatable {
    public var ratePerSecond: Double
    public var burst: Double

    public init(ratePerSecond: Double, burst: Double) {
        self.ratePerSecond = ratePerSecond
        self.burst = burst
    }
}

/// Client-side request rate limits: which bucket a call draws from, and its size. EC2 calls
/// draw from one bucket per action, sized as EC2 sizes its own (``EC2RequestBuckets``); other
/// services from one bucket per service and kind (reads, writes). A large apply so stays under
/// what AWS allows the account by default instead of learning the limit from throttling errors.
public struct RateLimits: Sendable {
    /// Keyed by service name; `reads` for Describe/List/Get, `writes` for the rest.
    public var perService: [String: (reads: RateLimit, writes: RateLimit)]
    /// For services not in the table.
    public var fallback: (reads: RateLimit, writes: RateLimit)
    /// EC2's buckets per action; when nil, EC2 uses `perService["ec2"]` (or the fallback).
    public var ec2: EC2RequestBuckets?

    public init(
        perService: [String: (reads: RateLimit, writes: RateLimit)], fallback: (reads: RateLimit, writes: RateLimit),
        ec2: EC2RequestBuckets? = nil
    ) {
        self.perService = perService
        self.fallback = fallback
        self.ec2 = ec2
    }

    /// EC2 at its documented per-action defaults; IAM (global, slow) and EKS modestly, under
    /// their published request rates; STS and the rest generously.
    public static let standard = RateLimits(
        perService: [
            "iam": (reads: RateLimit(ratePerSecond: 15, burst: 30), writes: RateLimit(ratePerSecond: 5, burst: 15)),
            "eks": (reads: RateLimit(ratePerSecond: 10, burst: 50), writes: RateLimit(ratePerSecond: 5, burst: 20)),
            "sts": (reads: RateLimit(ratePerSecond: 50, burst: 100), writes: RateLimit(ratePerSecond: 50, burst: 100)),
        ],
        fallback: (reads: RateLimit(ratePerSecond: 50, burst: 100), writes: RateLimit(ratePerSecond: 20, burst: 50)),
        ec2: .documented)

    /// No client-side limit.
    public static let unlimited = RateLimits(
        perService: [:], fallback: (reads: RateLimit(ratePerSecond: 1e9, burst: 1e9), writes: RateLimit(ratePerSecond: 1e9, burst: 1e9)))

    func limit(service: String, read: Bool) -> RateLimit {
        let pair = perService[service] ?? fallback
        return read ? pair.reads : pair.writes
    }

    /// The bucket an operation draws from: a key naming it (`ec2/CreateSubnet`, `iam/write`)
    /// and its size.
    public func bucket(for operation: AWSOperation) -> (key: String, limit: RateLimit) {
        if operation.service.name == "ec2", let ec2 {
            let bucket = ec2.bucket(for: operation.action, filteredOrPaginated: operation.isFilteredOrPaginated)
            return ("ec2/\(bucket.name)", bucket.limit)
        }
        let read = operation.isReadOnly
        return (
            "\(operation.service.name)/\(read ? "read" : "write")", limit(service: operation.service.name, read: read)
        )
    }
}

/// Spaces out calls so they stay under ``RateLimits``, and in the `adaptive` retry mode also
/// under what AWS's throttling answers say (``AdaptiveSendRate``, one per bucket: EC2 throttles
/// each action on its own, so a throttled `CreateSubnet` must not slow `CreateSecurityGroup`).
/// Waiting suspends the task (never a thread). The clock is injectable for tests.
public actor RateLimiter {
    private let limits: RateLimits
    private let adaptive: Bool
    private var buckets: [String: TokenBucket] = [:]
    private var sendRates: [String: AdaptiveSendRate] = [:]
    private let now: @Sendable () -> Duration
    private let sleep: @Sendable (Duration) async throws -> Void

    /// `now` is any monotonic time; `sleep` waits that long. `adaptive` adds the SDKs' adaptive
    /// limiter on top of the fixed buckets.
    public init(
        limits: RateLimits = .standard, adaptive: Bool = false,
        now: @escaping @Sendable () -> Duration = RateLimiter.monotonicNow,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.limits = limits
        self.adaptive = adaptive
        self.now = now
        self.sleep = sleep
    }

    /// Waits until this operation may be sent, and returns how long it waited.
    @discardableResult
    public func acquire(for operation: AWSOperation) async throws -> Duration {
        let (key, limit) = limits.bucket(for: operation)
        let time = now()
        var bucket = buckets[key] ?? TokenBucket(ratePerSecond: limit.ratePerSecond, burst: limit.burst)
        var wait = bucket.reserve(at: time)
        buckets[key] = bucket
        if adaptive {
            var sendRate = sendRates[key] ?? AdaptiveSendRate(at: time)
            wait = max(wait, sendRate.reserve(at: time))
            sendRates[key] = sendRate
        }
        if wait > .zero { try await sleep(wait) }
        return wait
    }

    /// Tells the adaptive limiter of an operation's bucket how AWS answered; nothing in the
    /// `standard` mode.
    public func record(_ operation: AWSOperation, throttled: Bool) {
        guard adaptive else { return }
        let key = limits.bucket(for: operation).key
        let time = now()
        var sendRate = sendRates[key] ?? AdaptiveSendRate(at: time)
        sendRate.record(throttled: throttled, at: time)
        sendRates[key] = sendRate
    }

    /// The adaptive limiter of an operation's bucket, nil before its first answer or in the
    /// `standard` mode: what the tests and diagnostics look at.
    public func sendRate(for operation: AWSOperation) -> AdaptiveSendRate? {
        sendRates[limits.bucket(for: operation).key]
    }

    private static let origin = ContinuousClock.now
    /// Time since the first use of the limiter, on the continuous clock.
    @Sendable public static func monotonicNow() -> Duration { ContinuousClock.now - origin }
}
