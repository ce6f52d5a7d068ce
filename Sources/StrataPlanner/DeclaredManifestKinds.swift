import StrataCompiler
import StrataProviders

extension ManifestKinds {
    /// The kinds the stack's manifests in `graph` declare. Here rather than with the manifest
    /// provider because the providers do not know the compiler's graph.
    public static func declared(in graph: CompiledGraph) -> Set<String> {
        of(graph.instances.filter { $0.type == "kubernetes_manifest" }.compactMap { $0.attributes["manifest"] })
    }
}
