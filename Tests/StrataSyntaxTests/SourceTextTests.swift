import StrataModel
import Testing

@testable import StrataSyntax

/// What bytes strata reads as a stack file, and where it says a byte is wrong.
@Suite struct SourceTextTests {
    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func aLeadingByteOrderMarkIsSkipped() {
        let (text, problem) = SourceText.decode([0xEF, 0xBB, 0xBF] + Self.bytes("stack: bom\n"), file: "s.yaml")
        #expect(problem == nil)
        #expect(text == "stack: bom\n")
        let (node, diagnostics) = YAMLLoader.load(text ?? "", file: "s.yaml")
        #expect(diagnostics.isEmpty)
        #expect(node?["stack"]?.span.start == SourcePosition(line: 1, column: 8))
    }

    @Test func invalidUTF8IsAnErrorAtItsByte() {
        let (text, problem) = SourceText.decode(Self.bytes("stack: s\ndescription: caf") + [0xE9] + Self.bytes(" ok\n"), file: "s.yaml")
        #expect(text == nil)
        #expect(problem?.summary == "the file is not UTF-8 text: an invalid byte here")
        #expect(problem?.span?.description == "s.yaml:2:17")
    }

    @Test func aNulByteIsReportedWhereItIs() {
        let (node, diagnostics) = YAMLLoader.load("stack: s\nregion: us-east-1\ndescription: a\u{0}b\n", file: "s.yaml")
        #expect(node == nil)
        #expect(diagnostics.map(\.span?.description) == ["s.yaml:3:15"])
        #expect(diagnostics.first?.summary == "not YAML text: control characters are not allowed")
    }

    @Test func filesPastTheBoundAreRefusedBeforeParsing() {
        let (text, problem) = SourceText.decode([UInt8](repeating: 0x20, count: SourceText.maximumBytes + 1), file: "s.yaml")
        #expect(text == nil)
        #expect(problem?.summary == "the file is 10 MiB; strata reads stack and module files up to 10 MiB")
    }
}
