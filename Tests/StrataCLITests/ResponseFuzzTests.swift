import Foundation
import StrataTestSupport
import Testing

/// `strata plan` of the production stack (every service strata talks to, every wire protocol)
/// while the sandbox breaks its answers: each case a seed, each answer chosen by it cut short,
/// bit-flipped, nested 20,000 deep, grown by megabytes, made an XML entity bomb, given numbers
/// no integer holds or values of the wrong type, stripped of elements, emptied or replaced by a
/// proxy's HTML page (`sandbox/strata_sandbox/mangle.py`). Whatever comes back, strata must
/// answer as a tool a user can trust: exit 0, 1 or 2 (never a signal), within its deadline and
/// under a memory cap, and a failure must be one short error line that names the call, without
/// Swift's internals or the raw body. Issue 11.
///
/// `make test` runs 24 cases (about 40 s); `make fuzz` runs `STRATA_FUZZ_SCALE` times as many,
/// from other seeds. A failure prints its seed and the broken answers the sandbox logged;
/// `STRATA_FUZZ_SEED=<seed>` starts there again. The seed fixes which mutations are drawn, not
/// which calls meet them: discovery sends its calls in parallel, in no fixed order.
@Suite(.serialized) struct ResponseFuzzTests {
    static let environment = ProcessInfo.processInfo.environment
    static let scale = max(1, Int(environment["STRATA_FUZZ_SCALE"] ?? "") ?? 1)
    static let firstSeed = Int(environment["STRATA_FUZZ_SEED"] ?? "") ?? 1_000 * scale
    static let cases = 24 * scale

    /// Address space for the child, in KiB: a plan of prod takes a fraction of it; an answer
    /// parsed without bounds (the entity bomb expands to gigabytes) does not fit.
    static let memoryLimitKiB = 4_000_000

    /// What a failing run may print at most: an error line with a short excerpt, not a body.
    static let stderrLimit = 16 * 1024

    /// What Swift prints of a value it has no words for: none of it belongs in an error a user reads.
    static let internals = [
        "Swift.", "DecodingError", "CodingKeys", "keyNotFound(", "typeMismatch(", "valueNotFound(", "dataCorrupted(",
        "Fatal error", "Error Domain=", "NSCocoaErrorDomain", "_GenericObjCError", "Foundation.",
    ]

    @Test(.timeLimit(.minutes(30))) func planAnswersBrokenResponsesWithAnErrorNamingTheCall() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.001) { sandbox in
            let copy = try StackCopy(of: "prod")
            defer { copy.remove() }
            let env = copy.environment(sandbox.environment)
            let apply = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
            try #require(apply.status == 0, "\(apply.stdout.suffix(2000))\n\(apply.stderr)")

            var outcomes: [Int32: Int] = [:]
            var mutations: [String: Int] = [:]
            for seed in Self.firstSeed..<(Self.firstSeed + Self.cases) {
                try await sandbox.clearFaults()
                try await sandbox.clearRequests()
                // A few answers broken per run, so some runs get far before the first one.
                try await sandbox.setFaults(SandboxFaults(mangleRate: 0.25, count: 1 + seed % 3, seed: seed))
                let run = try await Self.plan(copy.path, env)
                let mangled = try await sandbox.requests().compactMap { request in
                    request.mangled.map { "\($0) of \(request.service ?? "?") \(request.action ?? "?")" }
                }
                for name in mangled { mutations[String(name.prefix { $0 != " " }), default: 0] += 1 }
                outcomes[run.status, default: 0] += 1
                Self.check(run, seed: seed, mangled: mangled)
            }
            try await sandbox.clearFaults()
            print(
                "ResponseFuzzTests: \(Self.cases) plans from seed \(Self.firstSeed); exit statuses \(outcomes.sorted { $0.key < $1.key }); mutations \(mutations.sorted { $0.key < $1.key })"
            )
            // The cases must have met broken answers, of most kinds, or they proved nothing.
            #expect(mutations.values.reduce(0, +) >= Self.cases / 2, "\(mutations)")
            #expect(mutations.count >= 6, "only \(mutations.keys.sorted()) were served")

            let destroy = try await StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: env)
            #expect(destroy.status == 0, "\(destroy.stdout.suffix(2000))\n\(destroy.stderr)")
        }
    }

    /// `strata plan STACK --detailed-exitcode` under the memory cap and a deadline.
    static func plan(_ path: String, _ environment: [String: String]) async throws -> StrataBinary.Result {
        let run = try await StrataBinary.runToEnd(
            URL(fileURLWithPath: "/bin/sh"),
            ["-c", "ulimit -v \(memoryLimitKiB) && exec \"$0\" plan \"$1\" --detailed-exitcode", StrataBinary.url.path, path],
            environment: environment.merging(["NO_COLOR": "1"]) { _, new in new }, timeout: .seconds(180))
        return StrataBinary.Result(
            status: run.status, stdout: String(decoding: run.stdout, as: UTF8.self),
            stderr: String(decoding: run.stderr, as: UTF8.self))
    }

    static func check(_ run: StrataBinary.Result, seed: Int, mangled: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let replay = "seed \(seed), answers broken: \(mangled.joined(separator: "; "))"
        #expect(
            [0, 1, 2].contains(run.status), "exit \(run.status) (128 and up is a signal); \(replay)\n\(run.stderr.suffix(3000))",
            sourceLocation: sourceLocation)
        guard run.status == 1 else { return }
        #expect(
            run.stderr.utf8.count <= stderrLimit, "\(run.stderr.utf8.count) bytes on stderr; \(replay)\n\(run.stderr.prefix(2000))",
            sourceLocation: sourceLocation)
        let errors = run.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
        #expect(!errors.isEmpty, "a failed plan must say why; \(replay)\n\(run.stderr.suffix(2000))", sourceLocation: sourceLocation)
        for leak in internals where run.stderr.contains(leak) {
            Issue.record("stderr shows Swift's internals (\(leak)); \(replay)\n\(run.stderr.prefix(3000))", sourceLocation: sourceLocation)
        }
    }
}
