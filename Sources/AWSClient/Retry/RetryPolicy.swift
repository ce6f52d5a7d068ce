import Foundation

/// When and how long to wait before sending a failed call again.
///
/// Throttling, 5xx/transient codes, and connection failures (refused, reset, timed out) are
/// retried with capped exponential backoff and full jitter: the n-th retry waits a uniform random
/// time in `[0, min(cap, base × 2ⁿ)]`. Throttling uses a larger base, as botocore's standard mode
/// does. A shared ``RetryBudget`` stops retry storms when AWS is failing for everyone. In the
/// `adaptive` ``mode`` the client also slows its sending down after throttling answers
/// (``AdaptiveSendRate``).
public struct RetryPolicy: Sendable {
    /// The AWS SDKs' retry modes (`retry_mode`, `AWS_RETRY_MODE`).
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        /// Retries with backoff; calls are spaced only by the fixed client-side buckets.
        case standard
        /// As `standard`, plus a client-side rate that adapts to throttling answers.
        case adaptive
    }

    public var mode: Mode
    /// Total sends per call, the first included, when AWS throttles: a throttled call was not
    /// run, and waiting it out is what AWS asks for.
    public var maxAttempts: Int
    /// Total sends when the failure is a 5xx or a connection problem: a dead endpoint should
    /// fail in under a second, not after a throttling-sized patience.
    public var maxTransientAttempts: Int
    /// Base delay after a throttling error.
    public var throttlingBase: Duration
    /// Base delay after a transient error (5xx, reset, timeout).
    public var transientBase: Duration
    /// No single wait is longer than this.
    public var maxDelay: Duration

    public init(
        mode: Mode = .standard, maxAttempts: Int = 10, maxTransientAttempts: Int = 4,
        throttlingBase: Duration = .milliseconds(500), transientBase: Duration = .milliseconds(100),
        maxDelay: Duration = .seconds(20)
    ) {
        self.mode = mode
        self.maxAttempts = maxAttempts
        self.maxTransientAttempts = maxTransientAttempts
        self.throttlingBase = throttlingBase
        self.transientBase = transientBase
        self.maxDelay = maxDelay
    }

    /// No retries at all.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// Why a failure may be retried.
    public enum Reason: Sendable, Equatable {
        /// AWS said slow down. It did not run the call.
        case throttled
        /// A 5xx or transient code: AWS may or may not have run the call.
        case transient
        /// No connection was made: the call certainly did not run.
        case notConnected
        /// The connection broke or timed out mid-call: it may have run.
        case connectionLost
    }

    /// The retry reason for a failure, nil when retrying cannot help (a 4xx, a bad signature, TLS).
    public static func reason(for error: any Error) -> Reason? {
        if let error = error as? AWSError {
            if error.isThrottling { return .throttled }
            if error.isTransient { return .transient }
            return nil
        }
        if let error = error as? TransportError, error.isRetryable {
            switch error.kind {
            case .connectionRefused, .nameResolution: return .notConnected
            default: return .connectionLost
            }
        }
        return nil
    }

    /// How many sends a call gets in all when it fails for this reason.
    public func attempts(for reason: Reason) -> Int {
        reason == .throttled ? maxAttempts : min(maxAttempts, maxTransientAttempts)
    }

    /// May a call be resent after this failure? Idempotent calls may after any retryable
    /// failure; others only when AWS cannot have run them.
    public static func mayRetry(_ reason: Reason, idempotent: Bool) -> Bool {
        idempotent || reason == .throttled || reason == .notConnected
    }

    /// The wait before retry number `retry` (0 for the first retry), given a uniform random
    /// number in [0, 1).
    public func delay(retry: Int, reason: Reason, unitRandom: Double) -> Duration {
        let base = reason == .throttled ? throttlingBase : transientBase
        let exponent = min(max(retry, 0), 30)
        let ceiling = min(maxDelay, base * Double(1 << exponent))
        let fraction = min(max(unitRandom, 0), 1)
        return ceiling * fraction
    }
}

/// A token bucket of retries shared by every call of a client, as in the AWS SDKs' standard mode:
/// a retry costs tokens (more after a timeout), a success pays some back. When the bucket is
/// empty, failures are returned at once instead of retried, so a struggling service is not hit
/// with a multiple of its usual load.
public final class RetryBudget: @unchecked Sendable {
    public let capacity: Int
    public let retryCost: Int
    public let timeoutCost: Int
    private var available: Int
    private let lock = NSLock()

    public init(capacity: Int = 500, retryCost: Int = 5, timeoutCost: Int = 10) {
        self.capacity = capacity
        self.retryCost = retryCost
        self.timeoutCost = timeoutCost
        self.available = capacity
    }

    /// Tokens left.
    public var tokens: Int {
        lock.lock()
        defer { lock.unlock() }
        return available
    }

    /// Takes the cost of one retry; false (and nothing taken) when the budget cannot pay.
    public func withdraw(for reason: RetryPolicy.Reason) -> Int? {
        let cost = reason == .connectionLost ? timeoutCost : retryCost
        lock.lock()
        defer { lock.unlock() }
        guard available >= cost else { return nil }
        available -= cost
        return cost
    }

    /// A call succeeded: repays what its retries cost, or one token when it needed none.
    public func deposit(_ amount: Int) {
        lock.lock()
        available = min(capacity, available + max(amount, 0))
        lock.unlock()
    }
}
