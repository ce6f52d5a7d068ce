import StrataExecutor
import StrataKubernetes
import StrataProviders

/// Cordons and uncordons nodes with a rollout's ``CordonRecord``, and finds the nodes that carry
/// one. Each node is one merge patch (unschedulable and annotation together), so no node is ever
/// cordoned without its record nor keeps a record after it is uncordoned.
public struct NodeCordon: Sendable {
    public var kube: KubernetesClient
    public var events: EventEmitter
    /// Nodes patched at once.
    public var width: Int

    public init(kube: KubernetesClient, events: EventEmitter, width: Int = 8) {
        self.kube = kube
        self.events = events
        self.width = width
    }

    /// Cordons every node with `record`, emitting `node.cordoned` for each. Cordoning a node
    /// that already carries the record patches it again (harmless), so a resumed rollout simply
    /// calls this again.
    @discardableResult
    public func cordon(nodes: [String], record: CordonRecord) async throws -> [KubernetesNode] {
        try await concurrentMap(nodes, width: width) { [kube, events] name in
            let node = try await kube.cordon(node: name, annotations: [CordonRecord.annotation: record.value])
            var payload = ["node": name, "rollout": record.value]
            payload["nodegroup"] = node.labels["eks.amazonaws.com/nodegroup"]
            events.emit(.nodeCordoned, plane: "compute", payload)
            return node
        }
    }

    /// Makes the nodes schedulable again and removes their record (rollback, or an orphaned
    /// cordon). A node already gone is skipped.
    @discardableResult
    public func uncordon(nodes: [String]) async throws -> [KubernetesNode] {
        let patched: [KubernetesNode?] = try await concurrentMap(nodes, width: width) { [kube] name in
            do {
                return try await kube.uncordon(node: name, removingAnnotations: [CordonRecord.annotation])
            } catch let error as KubernetesError where error.isNotFound {
                return nil
            }
        }
        return patched.compactMap { $0 }
    }

    /// Nodes carrying a rollout record: every one, or only `record`'s. Annotations cannot be
    /// selected server-side, so this lists the nodes and filters.
    public func recordedNodes(_ record: CordonRecord? = nil) async throws -> [(node: KubernetesNode, record: CordonRecord?)] {
        try await kube.nodes().compactMap { node in
            guard let value = node.annotations[CordonRecord.annotation] else { return nil }
            let parsed = CordonRecord(annotation: value)
            if let record, parsed != record { return nil }
            return (node, parsed)
        }
    }
}
