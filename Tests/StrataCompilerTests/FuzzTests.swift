import Foundation
import StrataProviders
import StrataSyntax
import StrataTestSupport
import Testing

@testable import StrataCompiler

/// Deterministic mutations of the shipped stacks, modules and broken cases (byte flips,
/// deletions, duplicated lines, truncations) fed through the compiler: whatever the input, it
/// must come back with diagnostics — no crash, no hang.
@Suite struct FuzzTests {
    static let root = GoldenTests.root

    /// `STRATA_FUZZ_SCALE=10 swift test --filter FuzzTests` runs ten times as many mutations
    /// (with other seeds) for a deeper hunt than CI's few seconds.
    static let scale = max(1, Int(ProcessInfo.processInfo.environment["STRATA_FUZZ_SCALE"] ?? "") ?? 1)

    /// Every YAML file the repository ships, relative to the root.
    static func seeds() -> [String] {
        var files: [String] = []
        for folder in ["stacks", "modules", "golden/errors"] {
            let base = root.appendingPathComponent(folder)
            guard let walker = FileManager.default.enumerator(atPath: base.path) else { continue }
            for case let path as String in walker where path.hasSuffix(".yaml") { files.append("\(folder)/\(path)") }
        }
        return files.sorted()
    }

    static func mutate(_ text: String, _ random: inout SplitMix64) -> String {
        var bytes = Array(text.utf8)
        guard !bytes.isEmpty else { return text }
        let interesting: [UInt8] = Array("${}[]{}:-#'\"\\.*,|>&!%@` \n\t0aZ".utf8)
        for _ in 0...random.below(3) {
            guard !bytes.isEmpty else { break }
            switch random.below(6) {
            case 0:  // flip a byte to something YAML or the expression language cares about
                bytes[random.below(bytes.count)] = interesting[random.below(interesting.count)]
            case 1:  // random byte, possibly invalid UTF-8
                bytes[random.below(bytes.count)] = UInt8(truncatingIfNeeded: random.next())
            case 2:  // delete a run
                let start = random.below(bytes.count)
                bytes.removeSubrange(start..<min(bytes.count, start + 1 + random.below(12)))
            case 3:  // duplicate a line (duplicate keys, repeated blocks)
                var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                let index = random.below(lines.count)
                lines.insert(lines[index], at: index)
                bytes = Array(lines.joined(separator: [UInt8(ascii: "\n")]))
            case 4:  // truncate
                bytes = Array(bytes.prefix(random.below(bytes.count)))
            default:  // insert an interesting byte
                bytes.insert(interesting[random.below(interesting.count)], at: random.below(bytes.count + 1))
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parsing alone, in memory: many mutations, quickly.
    @Test func parsingSurvivesThousandsOfMutations() {
        let texts = Self.seeds().compactMap {
            try? String(contentsOf: Self.root.appendingPathComponent($0), encoding: .utf8)
        }
        #expect(texts.count > 30)
        var random = SplitMix64(seed: 0x5747_4154_4131 &+ UInt64(Self.scale - 1))
        var parsed = 0
        for _ in 0..<(4000 * Self.scale) {
            let text = Self.mutate(texts[random.below(texts.count)], &random)
            let (node, diagnostics) = YAMLLoader.load(text, file: "fuzz.yaml")
            if let node {
                _ = Template.expression(from: node)
                parsed += 1
            } else {
                #expect(diagnostics.hasErrors, "a document that did not load must say why")
            }
            // Rendering touches every span: none may point outside what the renderer can show.
            var sources = SourceFiles()
            sources.add(path: "fuzz.yaml", text: text)
            _ = DiagnosticRenderer(sources: sources).render(diagnostics)
        }
        #expect(parsed > 500, "mutations should mostly still be YAML; only \(parsed) were")
    }

    /// The whole compiler, on disk: a scratch copy of the repository's YAML, one file mutated at
    /// a time, the stack (or module) that uses it compiled.
    @Test func compilingSurvivesMutations() throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("strata-fuzz-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        for folder in ["stacks", "modules", "golden"] {
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                at: Self.root.appendingPathComponent(folder), to: scratch.appendingPathComponent(folder))
        }
        let seeds = Self.seeds()
        var random = SplitMix64(seed: 0x4655_5A5A &+ UInt64(Self.scale - 1))
        var slowest: (Double, String) = (0, "")
        for _ in 0..<(900 * Self.scale) {
            let path = seeds[random.below(seeds.count)]
            let url = scratch.appendingPathComponent(path)
            let original = try String(contentsOf: url, encoding: .utf8)
            let mutant = Self.mutate(original, &random)
            try mutant.write(to: url, atomically: true, encoding: .utf8)
            let started = Date()
            let result: CompileResult
            if path.hasPrefix("modules/") {
                result = Compiler(catalog: ResourceCatalog.all).compile(moduleAt: url)
            } else if path.hasPrefix("stacks/") {
                result = Compiler(catalog: ResourceCatalog.all).compile(stackAt: url, vars: ["pr": "7"])
            } else {
                result = GoldenTests.compileCase(url, text: mutant)
            }
            let elapsed = Date().timeIntervalSince(started)
            if elapsed > slowest.0 { slowest = (elapsed, path) }
            _ = DiagnosticRenderer(sources: result.sources).render(result.diagnostics)
            #expect(result.graph != nil || result.hasErrors, "\(path): no graph and no error")
            try original.write(to: url, atomically: true, encoding: .utf8)
        }
        #expect(slowest.0 < 2, "compiling a mutant of \(slowest.1) took \(slowest.0)s")
    }

    @Test func deeplyNestedYAMLIsRefusedNotACrash() {
        let deep = "a: " + String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000) + "\n"
        let (_, diagnostics) = YAMLLoader.load(deep, file: "deep.yaml")
        #expect(diagnostics.hasErrors)
    }
}

/// Random token soup inside `${...}`: the expression lexer, parser and evaluator must answer
/// every input with a value or a diagnostic.
@Suite struct ExpressionFuzzTests {
    static let vocabulary = [
        "each", "count", "vars", "zones", "stack", "q", "qs", "inputs", ".", ".", "[", "]", "[*]", "(", ")", "{", "}",
        ",", ":", "?", "=", "=>", "+", "-", "*", "/", "%", "==", "!=", "<", ">=", "&&", "||", "!", "0", "1", "-1",
        "9223372036854775807", "2.5", "\"s\"", "\"10.0.0.0/16\"", "true", "null", "for", "in", "if", "x", "cidrsubnet",
        "length", "merge", "format", "\"%d\"", "range", "element", "jsonencode", "jsondecode", "\"{\\\"a\\\":1}\"",
        "lookup", "keys", "flatten", "coalesce", "name", "arn", "index", "key", "value",
    ]

    @Test func tokenSoupNeverCrashes() throws {
        let scratch = try Scratch([:])
        defer { scratch.remove() }
        var random = SplitMix64(seed: 0x5345_5850 &+ UInt64(FuzzTests.scale - 1))
        try FileManager.default.createDirectory(at: scratch.root, withIntermediateDirectories: true)
        for _ in 0..<(1000 * FuzzTests.scale) {
            var tokens: [String] = []
            for _ in 0..<(1 + random.below(14)) {
                tokens.append(Self.vocabulary[random.below(Self.vocabulary.count)])
            }
            let expression = tokens.joined(separator: random.below(2) == 0 ? " " : "")
                .replacingOccurrences(of: "'", with: "''")
            let stack = """
                stack: soup
                region: us-east-1
                vars: { x: 1, m: { a: [1, 2] } }
                resources:
                  q:
                    type: aws_sqs_queue
                    name: q
                  qs:
                    type: aws_sqs_queue
                    for_each: [a, b]
                    name: ${each.key}
                    delay_seconds: '${\(expression)}'
                outputs:
                  o: '${\(expression)}'
                """
            try stack.write(to: scratch.root.appendingPathComponent("stack.yaml"), atomically: true, encoding: .utf8)
            let result = scratch.compile()
            #expect(result.graph != nil || result.hasErrors, "\(expression)")
            _ = DiagnosticRenderer(sources: result.sources).render(result.diagnostics)
        }
    }
}
