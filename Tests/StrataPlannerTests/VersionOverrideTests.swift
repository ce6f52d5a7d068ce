import StrataCompiler
import StrataModel
import StrataProviders
import Testing

@testable import StrataPlanner

/// `strata upgrade`'s program: the cluster's version and its following pools' set to --to, a
/// pinned pool kept, nothing else touched, the stack file unread and unchanged.
@Suite struct VersionOverrideTests {
    static let stack = """
        stack: $NAME
        region: us-east-1
        modules:
          cluster:
            source: $MODULES/eks
            with:
              name: blue
              version: "1.30"
              vpc_id: vpc-1
              subnets: [subnet-1, subnet-2]
              node_pools:
                system: { instance_types: [m6i.large], min: 1, max: 2 }
                batch: { instance_types: [m6i.large], min: 1, max: 2, version: "1.29" }
        """

    @Test func theClusterAndTheFollowingPoolsMoveAndAPinStays() throws {
        let scratch = try ScratchStack(text: Self.stack)
        defer { scratch.remove() }
        let before = try String(contentsOf: scratch.file, encoding: .utf8)
        let (graph, program) = try scratch.compileProgram()
        let upgraded = try VersionOverride.upgrading(program, graph: graph, cluster: "blue", to: "1.32")
        let result = upgraded.evaluate(vars: [:], catalog: ResourceCatalog.all)
        let evaluated = try #require(result.graph, "\(result.renderedErrors)")
        func version(_ address: String) -> String? {
            ResourceAddress(parsing: address).flatMap { evaluated.resources[$0] }?.attributes["version"]?.stringValue
        }
        #expect(version("module.cluster.aws_eks_cluster.cluster") == "1.32")
        #expect(version(#"module.cluster.aws_eks_node_group.nodes["system"]"#) == "1.32")
        #expect(version(#"module.cluster.aws_eks_node_group.nodes["batch"]"#) == "1.29")
        #expect(try String(contentsOf: scratch.file, encoding: .utf8) == before)
        // The override survives the plan file's round trip of the program.
        let carried = try Program(jsonText: try upgraded.jsonText()).evaluate(vars: [:], catalog: ResourceCatalog.all).graph
        #expect(carried?.resources.values.first { $0.type == "aws_eks_cluster" }?.attributes["version"] == .string("1.32"))

        #expect(throws: PlanError.rollout("--cluster green: the stack has no aws_eks_cluster named green; its clusters: blue")) {
            try VersionOverride.upgrading(program, graph: graph, cluster: "green", to: "1.32")
        }
    }
}
