import Foundation

/// How long a call may wait, from the environment: `STRATA_CONNECT_TIMEOUT_SECONDS` (TCP and
/// TLS, default 10 s) and `STRATA_READ_TIMEOUT_SECONDS` (from sending a request to the last
/// byte of its answer, default 60 s). Each attempt has these deadlines; a timed-out read is
/// retried like any connection failure. Checked like every numeric setting: a finite number in
/// range, or the run stops naming the variable.
extension AWSSettings {
    public static let connectTimeoutRange: ClosedRange<Double> = 1...300
    public static let readTimeoutRange: ClosedRange<Double> = 1...3600

    public func connectTimeout() throws -> Duration {
        try seconds("STRATA_CONNECT_TIMEOUT_SECONDS", in: Self.connectTimeoutRange) ?? .seconds(10)
    }

    public func readTimeout() throws -> Duration {
        try seconds("STRATA_READ_TIMEOUT_SECONDS", in: Self.readTimeoutRange) ?? .seconds(60)
    }

    private func seconds(_ variable: String, in range: ClosedRange<Double>) throws -> Duration? {
        guard let text = environment[variable], !text.isEmpty else { return nil }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw AWSClientError.invalidArgument(
                "\(variable) is \"\(text)\": expected a number of seconds between \(Int(range.lowerBound)) and \(Int(range.upperBound))")
        }
        return .milliseconds(Int64(value * 1000))
    }
}
