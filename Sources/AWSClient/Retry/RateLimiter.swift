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

/// Client-side request rate limits per service, split into reads and writes as EC2's own
/// buckets are, so a large apply stays under what AWS allows the account instead of learning
/// the limit from throttling errors.
public struct RateLimits: Sendable {
    /// Keyed by service name; `reads` for Describe/List/Get, `writes` for the rest.
    public var perService: [String: (reads: RateLimit, writes: RateLimit)]
    /// For services not in the table.
    public var fallback: (reads: RateLimit, writes: RateLimit)

    public init(perService: [String: (reads: RateLimit, writes: RateLimit)], fallback: (reads: RateLimit, writes: RateLimit)) {
        self.perService = perService
        self.fallback = fallback
    }

    /// Defaults at or below AWS's published per-account buckets: EC2 describes refill 20/s with a
    /// burst of 100 and mutations 5/s burst 50; IAM is global and slow; EKS modest.
    public static let standard = RateLimits(
        perService: [
            "ec2": (reads: RateLimit(ratePerSecond: 20, burst: 100), writes: RateLimit(ratePerSecond: 5, burst: 50)),
            "iam": (reads: RateLimit(ratePerSecond: 15, burst: 30), writes: RateLimit(ratePerSecond: 5, burst: 15)),
            "eks": (reads: RateLimit(ratePerSecond: 10, burst: 50), writes: RateLimit(ratePerSecond: 5, burst: 20)),
            "sts": (reads: RateLimit(ratePerSecond: 50, burst: 100), writes: RateLimit(ratePerSecond: 50, burst: 100)),
        ],
        fallback: (reads: RateLimit(ratePerSecond: 50, burst: 100), writes: RateLimit(ratePerSecond: 20, burst: 50)))

    /// No client-side limit.
    public static let unlimited = RateLimits(
        perService: [:], fallback: (reads: RateLimit(ratePerSecond: 1e9, burst: 1e9), writes: RateLimit(ratePerSecond: 1e9, burst: 1e9)))

    func limit(service: String, read: Bool) -> RateLimit {
        let pair = perService[service] ?? fallback
        return read ? pair.reads : pair.writes
    }
}

/// Spaces out calls per service and kind so they stay under ``RateLimits``. Waiting suspends the
/// task (never a thread). The clock is injectable for tests.
public actor RateLimiter {
    private let limits: RateLimits
    private var buckets: [String: TokenBucket] = [:]
    private let now: @Sendable () -> Duration
    private let sleep: @Sendable (Duration) async throws -> Void

    /// `now` is any monotonic time; `sleep` waits that long.
    public init(
        limits: RateLimits = .standard,
        now: @escaping @Sendable () -> Duration = RateLimiter.monotonicNow,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.limits = limits
        self.now = now
        self.sleep = sleep
    }

    /// Waits until a call of this kind may go, and returns how long it waited.
    @discardableResult
    public func acquire(service: String, read: Bool) async throws -> Duration {
        let key = "\(service)/\(read ? "read" : "write")"
        var bucket = buckets[key] ?? {
            let limit = limits.limit(service: service, read: read)
            return TokenBucket(ratePerSecond: limit.ratePerSecond, burst: limit.burst)
        }()
        let wait = bucket.reserve(at: now())
        buckets[key] = bucket
        if wait > .zero { try await sleep(wait) }
        return wait
    }

    private static let origin = ContinuousClock.now
    /// Time since the first use of the limiter, on the continuous clock.
    @Sendable public static func monotonicNow() -> Duration { ContinuousClock.now - origin }
}
