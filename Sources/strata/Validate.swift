import ArgumentParser
import StrataCompiler

/// `strata validate STACK`: parse and type-check a stack, print every diagnostic.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parse and type-check a stack; print diagnostics.",
        discussion: "Exits 0 when the stack compiles, 1 when it has errors. Makes no AWS call.")

    @OptionGroup var options: StackOptions

    func run() throws {
        let graph = try options.compile()
        let count = graph.resources.count, modules = graph.modules.count
        print("Success! \(count) resource\(count == 1 ? "" : "s") in \(modules) module\(modules == 1 ? "" : "s").")
    }
}
