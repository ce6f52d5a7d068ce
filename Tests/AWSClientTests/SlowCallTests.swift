import AWSClient
import Foundation
import StrataTestSupport
import Testing

/// An endpoint that does not answer: the read deadline ends the attempt, and while it waits the
/// client says what it waits for (issue 11, item 12: four minutes of silence before).
@Suite(.serialized) struct SlowCallTests {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func append(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    @Test func aCallWithoutAnAnswerTimesOutAtTheReadDeadlineAndSaysWhatItWaitsFor() async throws {
        let sandbox = try await Sandbox.shared()
        try #require(sandbox.hasControlEndpoints, "needs the strata sandbox's latency injection, not a bare moto")
        try await sandbox.exclusive { sandbox in
            try await sandbox.setFaults(SandboxFaults(service: "sts", action: "GetCallerIdentity", latencyMs: 4000, count: 1))
            var configuration = sandbox.client(retry: RetryPolicy(maxAttempts: 1)).configuration
            configuration.timeout = .seconds(1)
            configuration.slowCallInterval = .milliseconds(300)
            let lines = Lines()
            configuration.slowCallNotice = { lines.append($0) }
            let client = AWSClient(configuration: configuration)
            let started = ContinuousClock.now
            let error = await #expect(throws: TransportError.self) {
                _ = try await client.query(.sts, action: "GetCallerIdentity")
            }
            let elapsed = ContinuousClock.now - started
            try await sandbox.clearFaults()
            #expect(error?.kind == .timedOut, "\(String(describing: error))")
            #expect(elapsed < .seconds(3), "the 1 s deadline ended the wait, not the 4 s answer: \(elapsed)")
            let notices = lines.all
            #expect(notices.count >= 2, "\(notices)")
            let first = notices.first ?? ""
            #expect(first.hasPrefix("still waiting for sts GetCallerIdentity at \(sandbox.url.absoluteString)"), "\(notices)")
            #expect(first.hasSuffix(" (0.3 s)"), "\(notices)")
        }
    }
}
