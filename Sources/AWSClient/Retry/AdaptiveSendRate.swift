import Foundation

/// The client-side rate limiter of the AWS SDKs' `adaptive` retry mode, for one bucket.
///
/// It lets calls through freely until AWS first throttles one. From then on calls draw from a
/// token bucket whose refill rate follows CUBIC, the congestion control TCP uses: a throttling
/// answer cuts the rate to `beta` (70%) of the rate being sent, and every other answer lets it
/// grow again along a cubic curve that is steep at first, flattens as it comes back to the rate
/// of the last throttle (after `K` seconds), and then probes beyond it. The rate never grows past
/// twice the rate actually measured, so an idle spell does not license a burst.
///
/// The same algorithm as the SDKs (botocore's `retries/adaptive.py`, `throttling.py`,
/// `bucket.py`; the AWS SDKs reference guide's "Retry behavior"), with their constants, written
/// as a pure value: time is passed in, so it is tested without a clock.
public struct AdaptiveSendRate: Sendable, Equatable {
    /// The share of the send rate kept after a throttling answer.
    public static let beta = 0.7
    /// The cubic curve's scale: how fast the rate grows back.
    public static let scale = 0.4
    /// The rate is never cut below this (calls per second).
    public static let minimumRate = 0.5
    /// The rate never exceeds this multiple of the measured send rate.
    public static let maximumGrowth = 2.0
    /// The measured rate is taken over windows this long (seconds)...
    static let window = 0.5
    /// ...and smoothed with this weight for the newest window.
    static let smoothing = 0.8

    /// False until the first throttling answer: until then no call waits.
    public private(set) var isLimiting = false
    /// Calls per second the bucket refills at: what the limiter lets through once limiting.
    public private(set) var rate: Double = minimumRate
    /// The smoothed rate of answers received, per second.
    public private(set) var measuredRate: Double = 0

    private var tokens: Double = 0
    private var lastRefill: Double?
    /// Start of the measuring window (seconds) and the answers counted in it.
    private var windowStart: Double
    private var answersInWindow: Double = 0
    /// CUBIC's memory: the rate at the last throttle, the time it took to come back to it, when.
    private var rateAtThrottle: Double = 0
    private var recoveryTime: Double = 0
    private var lastThrottle: Double

    /// A limiter created at `now` (any monotonic origin, the same the other calls use).
    public init(at now: Duration = .zero) {
        let t = Self.seconds(now)
        windowStart = (t / Self.window).rounded(.down) * Self.window
        lastThrottle = t
    }

    /// The bucket's size: one second's worth of calls, at least one.
    public var capacity: Double { max(rate, 1) }

    /// Reserves a call at time `now` and returns how long it must wait first: zero until AWS
    /// has throttled, then what the bucket says (callers reserve ahead, in order).
    public mutating func reserve(at now: Duration) -> Duration {
        guard isLimiting else { return .zero }
        refill(at: Self.seconds(now))
        tokens -= 1
        return tokens >= 0 ? .zero : .seconds(-tokens / rate)
    }

    /// Records an answer received at `now`: a throttling answer cuts the rate, any other lets it
    /// grow back.
    public mutating func record(throttled: Bool, at now: Duration) {
        let t = Self.seconds(now)
        measure(at: t)
        let newRate: Double
        if throttled {
            // What was being sent when AWS said no: measured, or the bucket's own rate if that
            // was lower (the bucket, not demand, was the limit).
            let sent = isLimiting ? min(measuredRate, rate) : measuredRate
            rateAtThrottle = sent
            recoveryTime = Foundation.cbrt(sent * (1 - Self.beta) / Self.scale)
            lastThrottle = t
            newRate = sent * Self.beta
            isLimiting = true
        } else {
            newRate = Self.scale * pow(t - lastThrottle - recoveryTime, 3) + rateAtThrottle
        }
        setRate(min(newRate, Self.maximumGrowth * measuredRate), at: t)
    }

    private mutating func measure(at t: Double) {
        answersInWindow += 1
        let window = (t / Self.window).rounded(.down) * Self.window
        guard window > windowStart else { return }
        let current = answersInWindow / (window - windowStart)
        measuredRate = current * Self.smoothing + measuredRate * (1 - Self.smoothing)
        answersInWindow = 0
        windowStart = window
    }

    private mutating func setRate(_ newRate: Double, at t: Double) {
        // Tokens earned so far were earned at the old rate.
        refill(at: t)
        rate = max(newRate, Self.minimumRate)
        tokens = min(tokens, capacity)
    }

    private mutating func refill(at t: Double) {
        if let last = lastRefill, t > last {
            tokens = min(capacity, tokens + (t - last) * rate)
        }
        if lastRefill.map({ t > $0 }) ?? true { lastRefill = t }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
