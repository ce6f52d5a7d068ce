import ArgumentParser
import Foundation
import StrataCompiler
import StrataPlanner
import StrataProviders

/// `strata output STACK`: the stack's outputs, evaluated against what exists in the account.
struct OutputCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "output",
        abstract: "Print the stack's outputs, evaluated from the live resources.",
        discussion: """
            Compiles the stack with the live values of the resources it owns (no state file: the \
            account is the state). An output that depends on something not created yet shows as \
            (known after apply); --json prints null for it.
            """)

    @OptionGroup var options: StackOptions

    @Flag(help: "Print the outputs as one JSON object.")
    var json = false

    func run() async throws {
        let graph = try options.compile()
        let plan = try await options.livePlan(graph)
        if json {
            let object = plan.outputs.mapValues(Self.plain)
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        let renderer = PlanRenderer(colour: false)
        for name in plan.outputs.keys.sorted() {
            print("\(name) = \(renderer.format(plan.outputs[name] ?? .null))")
        }
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
