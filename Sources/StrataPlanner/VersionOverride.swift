import StrataCompiler
import StrataModel
import StrataSyntax

/// `strata upgrade --cluster NAME --to X.Y` without editing files: the program with that
/// cluster's `version` set to X.Y, and the `version` of each of its node groups that follows the
/// cluster (equals the cluster's declared version) set to X.Y too; a pool pinned elsewhere keeps
/// its pin. The plan carries this program, so applying the plan (now or from its file) performs
/// the upgrade; the stack files keep the old version, which the next plan reports
/// (docs/rollouts.md, "After `strata upgrade`").
public enum VersionOverride {
    public static func upgrading(_ program: Program, graph: CompiledGraph, cluster name: String, to version: String) throws -> Program {
        let clusters = graph.instances.filter { $0.type == "aws_eks_cluster" }
        guard let cluster = clusters.first(where: { $0.attributes["name"]?.stringValue == name }) else {
            let known = clusters.compactMap { $0.attributes["name"]?.stringValue }
            throw PlanError.rollout(
                "--cluster \(name): the stack has no aws_eks_cluster named \(name)"
                    + (known.isEmpty ? " (it has no cluster)" : "; its clusters: \(known.joined(separator: ", "))"))
        }
        guard MinorVersion(version) != nil else {
            throw PlanError.rollout("--to \(version): not a Kubernetes minor like 1.32")
        }
        let declared = cluster.attributes["version"]?.stringValue
        var program = program
        rewrite(&program, block: cluster.address, attribute: "version") { original in Expression(.string(version), original.span) }
        let pools = graph.instances.filter { $0.type == "aws_eks_node_group" && $0.attributes["cluster_name"]?.stringValue == name }
        var done = Set<String>()
        for pool in pools where done.insert("\(pool.address.module ?? "")/\(pool.address.name)").inserted {
            guard let declared else { continue }
            // `version == <the cluster's declared> ? X.Y : version`, per instance of the block.
            rewrite(&program, block: pool.address, attribute: "version") { original in
                let span = original.span
                return Expression(
                    .conditional(
                        Expression(.binary(.equal, original, Expression(.string(declared), span)), span),
                        Expression(.string(version), span),
                        original), span)
            }
        }
        return program
    }

    /// Replaces the expression of `attribute` in the block `address` was expanded from.
    private static func rewrite(
        _ program: inout Program, block address: ResourceAddress, attribute: String, _ change: (Expression) -> Expression
    ) {
        func edit(_ blocks: inout [ResourceBlock]) {
            guard let index = blocks.firstIndex(where: { $0.name.name == address.name }),
                let entry = blocks[index].attributes.firstIndex(where: { $0.name.name == attribute })
            else { return }
            blocks[index].attributes[entry].value = change(blocks[index].attributes[entry].value)
        }
        if let module = address.module {
            guard let call = program.stack.modules.firstIndex(where: { $0.name.name == module }) else { return }
            if var file = program.stack.modules[call].module {
                edit(&file.resources)
                program.stack.modules[call].module = file
            }
        } else {
            edit(&program.stack.resources)
        }
    }
}
