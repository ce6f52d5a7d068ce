import ArgumentParser
import StrataCompiler

/// `strata graph STACK`: the resolved resource graph, as JSON or Graphviz DOT.
struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Print the resolved resource graph.",
        discussion: """
            JSON lists every resource instance (address, type, module, plane, attributes, \
            dependencies) sorted by address, the creation order and the stack's outputs. Values \
            known only after apply print as {"$unknown": true, "type": "<type>"}. DOT clusters \
            resources by module and colours them by plane.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, dot
    }

    @OptionGroup var options: StackOptions

    @Option(help: "Output format: json or dot.")
    var format: Format = .json

    func run() throws {
        let graph = try options.compile()
        switch format {
        case .json: print(graph.json.pretty, terminator: "")
        case .dot: print(graph.dot, terminator: "")
        }
    }
}
