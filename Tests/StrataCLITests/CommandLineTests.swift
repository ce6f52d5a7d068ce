import Foundation
import Testing

/// End-to-end checks of the built `strata` binary: what a user sees at the terminal.
@Suite struct CommandLineTests {
    @Test func helpListsTheToolAndExitsZero() async throws {
        let result = try await StrataBinary.run(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("USAGE: strata"))
        #expect(result.stdout.contains("infrastructure provisioning compiler"))
    }

    @Test func versionPrintsSemver() async throws {
        let result = try await StrataBinary.run(["--version"])
        #expect(result.status == 0)
        let version = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(version.split(separator: ".").count == 3)
    }

    @Test func unknownCommandFailsWithUsage() async throws {
        let result = try await StrataBinary.run(["no-such-command"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("Usage") || result.stderr.contains("USAGE") || result.stderr.contains("Error"))
    }
}
