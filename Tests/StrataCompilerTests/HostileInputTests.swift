import Foundation
import StrataSyntax
import StrataTestSupport
import Testing

@testable import StrataCompiler

/// Stack files written to hurt: each is compiled by the built `strata validate` in a child with
/// its address space capped and a deadline, so a crash, a runaway allocation or a hang fails the
/// case (as a signal's exit status or a ``ChildProcess/Failure``) instead of taking the test run
/// down. A refused file must exit 1 with a diagnostic naming file:line:column. Issue 11.
@Suite(.enabled(if: StrataExecutable.url != nil, "build the strata executable first"))
struct HostileInputTests {
    /// Address space for the child, in KiB: far above what validating any shipped stack takes,
    /// far below what the unbounded cases reach.
    static let memoryLimitKiB = 2_000_000

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `strata validate stack.yaml` on `text`, under `ulimit -v` and a deadline.
    static func validate(_ text: String) throws -> Run {
        let scratch = try Scratch(["stack.yaml": text])
        defer { scratch.remove() }
        let strata = try #require(StrataExecutable.url)
        let run = try ChildProcess.run(
            URL(fileURLWithPath: "/bin/sh"),
            ["-c", "ulimit -v \(memoryLimitKiB) && exec \"$0\" validate stack.yaml", strata.path],
            environment: ["NO_COLOR": "1"], in: scratch.root, timeout: .seconds(60))
        return Run(
            status: run.status, stdout: String(decoding: run.stdout, as: UTF8.self),
            stderr: String(decoding: run.stderr, as: UTF8.self))
    }

    /// A stack with one output whose value is `expression`, on line 4 at column 6.
    static func output(_ expression: String) -> String {
        "stack: hostile\nregion: us-east-1\noutputs:\n  x: \"${\(expression)}\"\n"
    }

    static func expectRefused(_ run: Run, _ error: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(
            run.status == 1, "exit \(run.status) (128 and up is a signal)\n\(run.stderr)",
            sourceLocation: sourceLocation)
        #expect(run.stderr.hasPrefix("stack.yaml:"), "\(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.contains(error), "\(run.stderr)", sourceLocation: sourceLocation)
    }

    // MARK: - YAML

    /// A "billion laughs": nine anchors of nine aliases each, 446 bytes, 9⁹ nodes expanded.
    static let laughs: String = {
        var text = "stack: laughs\nregion: us-east-1\nx-a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for (name, previous) in zip("bcdefghi", "abcdefgh") {
            text += "x-\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 9).joined(separator: ", ") + "]\n"
        }
        return text
    }()

    @Test func aliasExpansionIsBoundedAndReportedAtTheAlias() throws {
        // 9 + 81 + ... + 9⁵ nodes are expanded by the time x-f's first alias is done.
        Self.expectRefused(
            try Self.validate(Self.laughs),
            "stack.yaml:8:10: error: aliases expand to more than \(YAMLLoader.maximumAliasExpansion) nodes")
        let (node, diagnostics) = YAMLLoader.load(Self.laughs, file: "laughs.yaml")
        #expect(node == nil)
        #expect(diagnostics.map(\.span?.description) == ["laughs.yaml:8:10"])
    }

    @Test func anAliasedCollectionAsAKeyIsRefusedBeforeYamsHashesIt() throws {
        Self.expectRefused(
            try Self.validate(Self.laughs + "x-keys: { *i : 1, *h : 2 }\n"),
            "stack.yaml:12:11: error: an alias to a mapping or list cannot be a key")
    }

    @Test func sharedDefaultsStillExpand() throws {
        let text = """
            x-tags: &tags { team: platform, env: prod }
            a: { <<: *tags, name: a }
            b: [*tags, *tags]
            """
        let (node, diagnostics) = YAMLLoader.load(text, file: "ok.yaml")
        #expect(diagnostics.isEmpty)
        #expect(node?["a"]?["team"]?.scalar?.text == "platform")
        #expect(node?["b"]?.items?.count == 2)
        #expect(node?["b"]?.items?[1]["env"]?.scalar?.text == "prod")
    }

    /// 2,000 resources that each repeat a key, about 110 KB. Found by re-parsing the file after
    /// each duplicate, the cost grew with their number and the search stopped after 64; one parse
    /// reports all of them at once.
    @Test func everyDuplicateKeyIsReportedInOnePass() throws {
        let count = 2_000
        var text = "stack: dups\nregion: us-east-1\nresources:\n"
        for index in 0..<count {
            text += "  q\(index):\n    type: aws_sqs_queue\n    name: q\(index)\n    name: again\(index)\n"
        }
        let started = ContinuousClock.now
        let run = try Self.validate(text)
        let elapsed = ContinuousClock.now - started
        Self.expectRefused(run, "stack.yaml:7:5: error: duplicate key `name`")
        #expect(run.stderr.components(separatedBy: "error: duplicate key `name`").count - 1 == count)
        #expect(elapsed < .seconds(10), "took \(elapsed)")
    }

    /// A 21 MB stack of 250,000 resources took 35 s and 2.1 GB; past 10 MiB it is not read.
    @Test func aFilePastTenMiBIsRefusedUnread() throws {
        let resource = "  q: { type: aws_sqs_queue, name: q }\n"
        let padding = String(repeating: "# padding to pass the bound\n", count: SourceText.maximumBytes / 28 + 1)
        let run = try Self.validate("stack: big\nregion: us-east-1\nresources:\n" + resource + padding)
        Self.expectRefused(run, "stack.yaml:1:1: error: the file is 10 MiB; strata reads stack and module files up to 10 MiB")
    }

    @Test func deepYAMLNestingIsRefused() throws {
        let depth = YAMLLoader.maximumDepth + 50
        let text =
            "stack: deep\nregion: us-east-1\nx-deep: " + String(repeating: "[", count: depth)
            + String(repeating: "]", count: depth) + "\n"
        Self.expectRefused(
            try Self.validate(text),
            "error: YAML nested too deeply (more than \(YAMLLoader.maximumDepth) levels)")
    }

    // MARK: - Expressions

    @Test func longOperatorChainsEvaluateWithoutDeepRecursion() throws {
        let sum = Array(repeating: "1", count: 10_000).joined(separator: " + ")
        let plus = try Self.validate(Self.output(sum))
        #expect(plus.status == 0, "exit \(plus.status)\n\(plus.stderr)")
        let and = try Self.validate(Self.output(Array(repeating: "true", count: 50_000).joined(separator: " && ")))
        #expect(and.status == 0, "exit \(and.status)\n\(and.stderr)")
        guard plus.status == 0 else { return }
        let scratch = try Scratch(["stack.yaml": Self.output(sum)])
        defer { scratch.remove() }
        let result = scratch.compile()
        guard case .int(let total)? = result.graph?.outputs["x"] else {
            Issue.record("no integer output: \(result.diagnostics)")
            return
        }
        #expect(total == 10_000)
    }

    @Test func nestedParenthesesAreRefusedAtTheirPosition() throws {
        let deep = String(repeating: "(", count: 10_000) + "1" + String(repeating: ")", count: 10_000)
        // The 65th `(` opens at column 9 + 64.
        Self.expectRefused(
            try Self.validate(Self.output(deep)),
            "stack.yaml:4:73: error: expression nested too deeply (more than 64 levels)")
    }

    @Test(arguments: [
        ("9223372036854775807 + 1", "9223372036854775807 + 1"),
        ("-9223372036854775807 - 2", "-9223372036854775807 - 2"),
        ("4611686018427387904 * 2", "4611686018427387904 * 2"),
    ])
    func integerOverflowIsAnError(_ expression: String, _ shown: String) throws {
        Self.expectRefused(
            try Self.validate(Self.output(expression)),
            "stack.yaml:4:9: error: integer overflow: \(shown) is out of range")
    }

    @Test func negatingTheSmallestIntegerIsAnError() throws {
        Self.expectRefused(
            try Self.validate(Self.output("-(-9223372036854775807 - 1)")),
            "stack.yaml:4:9: error: integer overflow: -(-9223372036854775808) is out of range")
    }

    @Test func nestedForsOverLargeRangesAreBounded() throws {
        let expression = "length([for a in range(100000) : [for b in range(100000) : a + b]])"
        // The inner `for` is the one that crosses the limit: column 9 + 24.
        Self.expectRefused(
            try Self.validate(Self.output(expression)),
            "stack.yaml:4:42: error: `for` expressions run more than \(Evaluator.maximumIterations) times in one evaluation"
        )
    }
}
