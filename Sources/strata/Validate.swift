import ArgumentParser
import Foundation
import StrataCompiler

/// `strata validate STACK`: parse and type-check a stack, print every diagnostic.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parse and type-check a stack; print diagnostics.",
        discussion: """
            Exits 0 when the stack compiles, 1 when it has errors. Makes no AWS call. With --json, \
            prints {"valid", "resources", "modules", "diagnostics": [{"severity", "summary", \
            "file", "line", "column", "end_line", "end_column", "notes"}]} on standard output instead.
            """)

    @OptionGroup var options: StackOptions

    @Flag(help: "Print the outcome and every diagnostic as JSON on standard output.")
    var json = false

    func run() throws {
        if json {
            let result = try options.result()
            print(result.json(relativeTo: FileManager.default.currentDirectoryPath).pretty, terminator: "")
            if result.hasErrors { throw ExitCode.failure }
            return
        }
        let graph = try options.compile()
        let count = graph.resources.count, modules = graph.modules.count
        print("Success! \(count) resource\(count == 1 ? "" : "s") in \(modules) module\(modules == 1 ? "" : "s").")
    }
}
