import StrataModel
import Testing

@testable import StrataSyntax

@Suite struct YAMLLoaderTests {
    @Test func keysAndValuesCarryExactSpans() throws {
        let text = "stack: prod\nmodules:\n  network:\n    source: \"../vpc\"\n"
        let (node, diagnostics) = YAMLLoader.load(text, file: "s.yaml")
        #expect(diagnostics.isEmpty)
        let root = try #require(node)
        let stack = try #require(root.pair("stack"))
        #expect(stack.key.span.start == SourcePosition(line: 1, column: 1))
        #expect(stack.key.span.end == SourcePosition(line: 1, column: 6))
        #expect(stack.value.span.start == SourcePosition(line: 1, column: 8))
        #expect(stack.value.span.end == SourcePosition(line: 1, column: 12))
        let source = try #require(root["modules"]?["network"]?.pair("source"))
        #expect(source.value.span.start == SourcePosition(line: 4, column: 13))
        #expect(source.value.span.end == SourcePosition(line: 4, column: 21))
        #expect(source.value.scalar?.positions.position(at: 0) == SourcePosition(line: 4, column: 14))
    }

    @Test func duplicateKeysAreReportedAtEachRepeatAndLoadingContinues() throws {
        let text = "a: 1\nb:\n  x: 1\n  x: 2\na: 3\nc: 4\n"
        let (node, diagnostics) = YAMLLoader.load(text, file: "d.yaml")
        let root = try #require(node)
        #expect(root["c"] != nil)
        let sorted = diagnostics.normalized()
        #expect(sorted.count == 2)
        #expect(sorted.map { $0.span?.start.line } == [4, 5])
        #expect(sorted.allSatisfy { $0.summary.hasPrefix("duplicate key") })
        #expect(sorted[0].notes.first?.span?.start == SourcePosition(line: 3, column: 3))
    }

    @Test func duplicateKeysInFlowMappings() throws {
        let (node, diagnostics) = YAMLLoader.load("m: { a: 1, b: 2, a: 3 }\n", file: "f.yaml")
        #expect(node != nil)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.span?.start == SourcePosition(line: 1, column: 18))
    }

    @Test func malformedYAMLIsADiagnosticAtLibyamlsPosition() {
        let (node, diagnostics) = YAMLLoader.load("a: [1, 2\nb: 3\n", file: "m.yaml")
        #expect(node == nil)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.summary.hasPrefix("malformed YAML") == true)
        #expect(diagnostics.first?.span?.start.line == 2)
    }
}

@Suite struct YAMLMergeKeyTests {
    @Test func mergeKeysAddWhatTheMappingDoesNotSet() throws {
        let text = """
            defaults: &defaults
              type: aws_sqs_queue
              delay_seconds: 5
            queue:
              <<: *defaults
              delay_seconds: 10
            """
        let (node, diagnostics) = YAMLLoader.load(text, file: "m.yaml")
        #expect(diagnostics.isEmpty)
        let queue = try #require(node?["queue"])
        #expect(queue.pairs?.map(\.name) == ["delay_seconds", "type"])
        #expect(queue["delay_seconds"]?.scalar?.text == "10")
        // The inherited value keeps the span where the default is written.
        #expect(queue["type"]?.span.start == SourcePosition(line: 2, column: 9))
    }
}
