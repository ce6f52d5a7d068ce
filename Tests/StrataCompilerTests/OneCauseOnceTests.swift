import Foundation
import StrataModel
import StrataSyntax
import Testing

@testable import StrataCompiler

/// One bad value gives one error per place it breaks, not one per instance, and an error inside
/// a module names the stack line that passed the value (issue 11, item 12).
@Suite struct OneCauseOnceTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func oneHundredZonesInTheShippedVPCModuleIsReportedPerExpressionNotPerSubnet() throws {
        let module = Self.repository.appendingPathComponent("modules/vpc").path
        let scratch = try Scratch([
            "stack.yaml":
                "stack: z\nregion: us-east-1\nmodules:\n  network:\n    source: \(module)\n    with: { cidr: 10.0.0.0/16, zones: 100 }\n"
        ])
        defer { scratch.remove() }
        let errors = scratch.compile().diagnostics.filter { $0.severity == .error }
        // Was 560: each of 94 public and 94 private subnets failed three ways, plus the overlaps.
        // Now the overlap rule's, and one for what the passed values break, listing the rest.
        #expect(errors.count == 2, "\(errors.map(\.summary))")
        let passed = errors.filter { error in
            error.notes.contains {
                $0.message == "`inputs.zones` is passed from here" && $0.span?.start == SourcePosition(line: 6, column: 39)
            }
        }
        #expect(passed.count == 1, "every error but the overlap rule's names the stack's `zones: 100`")
        let rest = passed.first?.notes.last?.message ?? ""
        #expect(rest.hasPrefix("the values passed to this module make 5 more errors in it, at "), "\(rest)")
    }

    @Test func aFailingCallIsOneError() throws {
        let scratch = try Scratch([
            "stack.yaml":
                "stack: r\nregion: us-east-1\nresources:\n  q:\n    type: aws_sqs_queue\n    for_each: ${range(200000)}\n    name: q\n"
        ])
        defer { scratch.remove() }
        #expect(scratch.compile().diagnostics.map(\.summary) == ["`range`: would produce 200000 elements (at most 100000)"])
    }
}
