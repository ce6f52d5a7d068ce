import Foundation
import Testing

/// Every numeric flag and environment variable of apply and destroy, given values that are not
/// numbers a run can use: each is refused with the flag or variable and the accepted range named,
/// and nothing crashes (`--lock-timeout inf` used to trap converting infinity to an integer).
/// Runs point at a closed loopback port, so a value that slipped through fails fast and locally.
@Suite struct NumericSettingTests {
    static let stack = EndpointSettingTests.demoStack
    static let environment = EndpointSettingTests.environment(["AWS_ENDPOINT_URL": "http://127.0.0.1:9"])

    /// ArgumentParser's exit status for a usage error (EX_USAGE), which `validate()` failures use.
    static let usageStatus: Int32 = 64

    static let commands = [["apply", "--auto-approve"], ["destroy", "--auto-approve"]]

    static func run(_ arguments: [String], _ extra: [String: String] = [:]) async throws -> StrataBinary.Result {
        try await StrataBinary.run(arguments, environment: environment.merging(extra) { _, given in given })
    }

    static let badFlags = [
        (flag: "--lock-timeout", values: ["inf", "-inf", "nan", "1e300", "-1", "86401"], range: "between 0 and 86400"),
        (
            flag: "--lock-lease", values: ["inf", "nan", "1e300", "-1", "0", "0.5", "86401"],
            range: "between 1 and 86400"
        ),
        (flag: "--parallelism", values: ["0", "-1", "1001", "99999999999"], range: "between 1 and 1000"),
    ]

    @Test func aBadNumericFlagIsAUsageErrorNamingFlagAndRange() async throws {
        for command in Self.commands {
            for (flag, values, range) in Self.badFlags {
                for value in values {
                    let result = try await Self.run(command + ["\(flag)=\(value)", Self.stack])
                    #expect(result.status == Self.usageStatus, "\(command) \(flag)=\(value): \(result.stderr)")
                    #expect(
                        result.stderr.contains(flag) && result.stderr.contains(range),
                        "\(command) \(flag)=\(value): \(result.stderr)")
                    #expect(!result.stdout.contains("Endpoint:"), "nothing ran: \(result.stdout)")
                }
            }
        }
    }

    /// Values that are not numbers at all are refused by the argument parser, also with exit 64.
    @Test func aNonNumberFlagValueIsAUsageError() async throws {
        for (flag, value) in [
            ("--parallelism", "inf"), ("--parallelism", "nan"), ("--parallelism", "1e3"), ("--lock-timeout", "soon"),
        ] {
            let result = try await Self.run(["apply", "--auto-approve", "\(flag)=\(value)", Self.stack])
            #expect(result.status == Self.usageStatus, "\(flag)=\(value): \(result.stderr)")
            #expect(result.stderr.contains(flag), "\(flag)=\(value): \(result.stderr)")
        }
    }

    static let badVariables = [
        (
            variable: "STRATA_LOCK_LEASE_SECONDS", values: ["inf", "nan", "1e300", "-1", "0", "86401", "a minute"],
            range: "between 1 and 86400"
        ),
        (
            variable: "STRATA_POLL_INTERVAL_MS", values: ["inf", "nan", "1e300", "-5", "0", "600001", "fast"],
            range: "between 1 and 600000"
        ),
        (
            variable: "STRATA_DELETE_DEADLINE_SECONDS", values: ["inf", "nan", "1e300", "-1", "86401", "never"],
            range: "between 0 and 86400"
        ),
        (
            variable: "STRATA_INTERRUPT_GRACE_SECONDS", values: ["inf", "nan", "1e300", "-1", "3601", "forever"],
            range: "between 0 and 3600"
        ),
        (
            variable: "STRATA_CONNECT_TIMEOUT_SECONDS", values: ["inf", "nan", "1e300", "0", "301", "soon"],
            range: "between 1 and 300"
        ),
        (variable: "STRATA_READ_TIMEOUT_SECONDS", values: ["inf", "nan", "-1", "0", "3601"], range: "between 1 and 3600"),
    ]

    @Test func aBadNumericVariableFailsNamingVariableAndRange() async throws {
        for command in Self.commands {
            for (variable, values, range) in Self.badVariables {
                for value in values {
                    let result = try await Self.run(command + [Self.stack], [variable: value])
                    #expect(result.status == 1, "\(command) \(variable)=\(value): \(result.stderr)")
                    #expect(
                        result.stderr.contains("\(variable) is \"\(value)\"") && result.stderr.contains(range),
                        "\(command) \(variable)=\(value): \(result.stderr)")
                    #expect(!result.stdout.contains("Endpoint:"), "nothing ran: \(result.stdout)")
                }
            }
        }
    }

    /// `AWS_MAX_ATTEMPTS`, read by the AWS client, was already checked; it stays so.
    @Test func aBadMaxAttemptsFailsNamingTheVariable() async throws {
        for value in ["inf", "nan", "-1", "0", "1e300"] {
            let result = try await Self.run(["plan", Self.stack], ["AWS_MAX_ATTEMPTS": value])
            #expect(result.status == 1, "AWS_MAX_ATTEMPTS=\(value): \(result.stderr)")
            #expect(result.stderr.contains("AWS_MAX_ATTEMPTS"), "AWS_MAX_ATTEMPTS=\(value): \(result.stderr)")
        }
    }

    /// In range, the values pass validation and the run goes on to its first call (which fails
    /// here: the port is closed), so the limits are not stricter than they say.
    @Test func valuesInRangeAreAccepted() async throws {
        let result = try await Self.run(
            ["apply", "--auto-approve", "--lock-timeout=0", "--lock-lease=1", "--parallelism=1000", Self.stack],
            [
                "STRATA_LOCK_LEASE_SECONDS": "86400", "STRATA_POLL_INTERVAL_MS": "1",
                "STRATA_DELETE_DEADLINE_SECONDS": "0", "STRATA_INTERRUPT_GRACE_SECONDS": "3600",
                "STRATA_CONNECT_TIMEOUT_SECONDS": "300", "STRATA_READ_TIMEOUT_SECONDS": "1",
            ])
        #expect(result.status == 1)
        #expect(result.stdout.hasPrefix("Endpoint: http://127.0.0.1:9 (AWS_ENDPOINT_URL)\n"), "\(result.stdout)")
        #expect(!result.stderr.contains("between"), "\(result.stderr)")
    }
}
