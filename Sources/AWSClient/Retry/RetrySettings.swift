import Foundation

/// The retry and rate-limit settings, read as the AWS SDKs read theirs: the environment first,
/// then the selected profile of the shared config file (the same ``AWSSettings`` the
/// credential chain and the endpoints use).
extension AWSSettings {
    /// `AWS_RETRY_MODE`, else the profile's `retry_mode`: `standard` (the default) or
    /// `adaptive`. `legacy`, which the SDKs also accept, means `standard` here: strata has no
    /// older behaviour to keep.
    public func retryMode() throws -> RetryPolicy.Mode {
        guard let (value, source) = setting("AWS_RETRY_MODE", profileKey: "retry_mode") else { return .standard }
        switch value.lowercased() {
        case "standard", "legacy": return .standard
        case "adaptive": return .adaptive
        default:
            throw AWSClientError.invalidArgument("\(source) is \"\(value)\": expected standard or adaptive")
        }
    }

    /// `AWS_MAX_ATTEMPTS`, else the profile's `max_attempts`: sends per call, the first included
    /// (a whole number from 1); nil when neither is set.
    public func maxAttempts() throws -> Int? {
        guard let (value, source) = setting("AWS_MAX_ATTEMPTS", profileKey: "max_attempts") else { return nil }
        guard let attempts = Int(value), attempts >= 1 else {
            throw AWSClientError.invalidArgument(
                "\(source) is \"\(value)\": expected a whole number of attempts, 1 or more")
        }
        return attempts
    }

    /// The retry policy these settings ask for. `max_attempts` bounds every call's sends;
    /// 5xx and connection failures keep their own lower bound (``RetryPolicy/maxTransientAttempts``).
    public func retryPolicy() throws -> RetryPolicy {
        var policy = RetryPolicy(mode: try retryMode())
        if let attempts = try maxAttempts() { policy.maxAttempts = attempts }
        return policy
    }

    /// `STRATA_CLIENT_RATE_LIMITS`: `aws` (the default) spaces calls by AWS's documented default
    /// request rates (``RateLimits/standard``); `off` sends as fast as the work allows, for
    /// accounts whose limits were raised (then `adaptive` is the mode that finds them).
    public func rateLimits() throws -> RateLimits {
        guard let value = environment["STRATA_CLIENT_RATE_LIMITS"], !value.isEmpty else { return .standard }
        switch value.lowercased() {
        case "aws": return .standard
        case "off": return .unlimited
        default:
            throw AWSClientError.invalidArgument("STRATA_CLIENT_RATE_LIMITS is \"\(value)\": expected aws or off")
        }
    }

    /// A setting from the environment variable, else the selected profile's key; with where it
    /// came from, for messages.
    private func setting(_ variable: String, profileKey: String) -> (value: String, source: String)? {
        if let value = environment[variable], !value.isEmpty { return (value, variable) }
        if let value = profile?[profileKey] { return (value, "\(profileKey) in profile \(profileName)") }
        return nil
    }
}
