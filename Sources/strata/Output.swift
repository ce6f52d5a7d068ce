import ArgumentParser
import Foundation
import StrataCompiler
import StrataModel
import StrataPlanner
import StrataProviders

/// `strata output STACK [NAME]`: the stack's outputs, evaluated against what exists in the account.
struct OutputCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "output",
        abstract: "Print the stack's outputs, evaluated from the live resources.",
        discussion: """
            Compiles the stack with the live values of the resources it owns (no state file: the \
            account is the state). An output that depends on something not created yet shows as \
            (known after apply); --json prints null for it. A sensitive output shows as \
            <sensitive> (in --json, {"$sensitive": true}); name it to print its value, as \
            `terraform output NAME` does.
            """)

    @OptionGroup var options: StackOptions

    @Argument(help: "Print only this output, in clear even when it is sensitive.")
    var name: String?

    @Flag(help: "Print the outputs as one JSON object (with NAME, that output's value as JSON).")
    var json = false

    func run() async throws {
        let (graph, program) = try options.compileProgram()
        if let name, graph.outputs[name] == nil {
            let known = graph.outputs.keys.sorted()
            let list = known.isEmpty ? "it declares none" : "its outputs are " + known.joined(separator: ", ")
            FileHandle.standardError.write(Data("error: the stack has no output `\(name)`; \(list)\n".utf8))
            throw ExitCode.failure
        }
        let plan = try await options.livePlan(graph, program: program)
        let renderer = PlanRenderer(colour: false)
        if let name {
            let value = plan.outputs[name] ?? .null
            print(json ? try Self.jsonText(Self.plain(value)) : renderer.format(value))
            return
        }
        // Secrets only when asked for by name: a listing goes to terminals and CI logs.
        var outputs = plan.outputs
        for secret in plan.sensitiveOutputs where outputs[secret] != nil { outputs[secret] = .sensitivePlaceholder }
        if json {
            print(try Self.jsonText(outputs.mapValues(Self.plain)))
            return
        }
        for name in outputs.keys.sorted() {
            let value = outputs[name] ?? .null
            print("\(name) = \(value.isSensitivePlaceholder ? "<sensitive>" : renderer.format(value))")
        }
    }

    static func jsonText(_ object: Any) throws -> String {
        let data = try JSONSerialization.data(
            withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }

    /// JSONSerialization's form of a value; unknowns are null.
    static func plain(_ value: Value) -> Any {
        switch value {
        case .null, .unknown: NSNull()
        case .bool(let flag): flag
        case .int(let number): number
        case .float(let number): number
        case .string(let text): text
        case .list(let items): items.map(plain)
        case .map(let members): members.mapValues(plain)
        }
    }
}
