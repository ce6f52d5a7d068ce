import Foundation
import StrataTestSupport
import Testing

/// `strata validate` and `strata graph` end to end, through the built binary: what a user sees at
/// the terminal and what CI reads from the exit code. Skipped when the binary has not been built
/// (`swift build` builds it; `make test` always does).
@Suite(.enabled(if: StrataExecutable.url != nil, "build the strata executable first"))
struct ValidateCommandTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func strata(_ arguments: [String], environment: [String: String] = ["NO_COLOR": "1"]) throws -> Run {
        let run = try ChildProcess.run(try #require(StrataExecutable.url), arguments, environment: environment, in: GoldenTests.root)
        return Run(
            status: run.status, stdout: String(decoding: run.stdout, as: UTF8.self), stderr: String(decoding: run.stderr, as: UTF8.self))
    }

    @Test func aGoodStackSucceedsWithACount() throws {
        let run = try Self.strata(["validate", "stacks/demo"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("Success! "))
        #expect(run.stdout.contains(" resources in 2 modules."))
        #expect(run.stderr.isEmpty)
    }

    @Test func aBrokenStackPrintsTheGoldenDiagnosticsAndExitsOne() throws {
        let run = try Self.strata(["validate", "golden/errors/unknown-attribute.yaml"])
        #expect(run.status == 1)
        let expected = try String(
            contentsOf: GoldenTests.root.appendingPathComponent("golden/errors/unknown-attribute.expected"),
            encoding: .utf8)
        #expect(run.stderr == expected + "error: 1 error in golden/errors/unknown-attribute.yaml\n")
        #expect(run.stdout.isEmpty)
    }

    @Test func noColourWithoutATerminal() throws {
        let run = try Self.strata(["validate", "golden/errors/unknown-attribute.yaml"], environment: [:])
        #expect(!run.stderr.contains("\u{1B}["))
    }

    @Test func varsOverrideAndMalformedOnesAreUsageErrors() throws {
        #expect(try Self.strata(["validate", "stacks/preview", "--var", "pr=42"]).status == 0)
        let unknown = try Self.strata(["validate", "stacks/preview", "--var", "nope=1"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("the stack declares no variable `nope`"))
        #expect(try Self.strata(["validate", "stacks/preview", "--var", "pr"]).status != 0)
    }

    @Test func graphPrintsJSONWithUnknownsMarkedAndDOT() throws {
        let run = try Self.strata(["graph", "stacks/demo", "--format", "json"])
        #expect(run.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let resources = try #require(json["resources"] as? [[String: Any]])
        #expect(!resources.isEmpty)
        for resource in resources {
            for key in ["address", "type", "plane", "attributes", "dependencies"] {
                #expect(resource[key] != nil, "\(resource["address"] ?? "?") has no \(key)")
            }
        }
        #expect(run.stdout.contains(#""$unknown": true"#))
        let dot = try Self.strata(["graph", "stacks/demo", "--format", "dot"])
        #expect(dot.status == 0)
        #expect(dot.stdout.hasPrefix("digraph \"demo\" {"))
        #expect(dot.stdout.contains("subgraph \"cluster_module.network\""))
    }

    @Test func aMissingStackIsAnError() throws {
        let run = try Self.strata(["validate", "stacks/no-such-stack"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("cannot read"))
    }
}

/// The `strata` binary `swift build` put in the products folder, if any.
enum StrataExecutable {
    static let url: URL? = {
        var directory = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("strata")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        let fallback = GoldenTests.root.appendingPathComponent(".build/debug/strata")
        return FileManager.default.isExecutableFile(atPath: fallback.path) ? fallback : nil
    }()
}

extension ValidateCommandTests {
    @Test func validateJSONIsForMachines() throws {
        let broken = try Self.strata(["validate", "golden/errors/missing-input.yaml", "--json"])
        #expect(broken.status == 1)
        #expect(broken.stderr.isEmpty)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(broken.stdout.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == false)
        let diagnostic = try #require((object["diagnostics"] as? [[String: Any]])?.first)
        #expect(diagnostic["file"] as? String == "golden/errors/missing-input.yaml")
        #expect(diagnostic["line"] as? Int == 6)
        #expect(diagnostic["column"] as? Int == 5)
        let good = try Self.strata(["validate", "stacks/demo", "--json"])
        #expect(good.status == 0)
        #expect(good.stdout.contains(#""valid": true"#))
    }
}
