import StrataKubernetes
import StrataModel

/// Karpenter's nodes after the control plane moved: Karpenter replaces them itself when their
/// EC2NodeClass's AMI drifts (the EC2NodeClass is a `kubernetes_manifest` of the stack, applied
/// by the same apply as any resource). strata does not rotate them: it reports the nodes still
/// on an older kubelet and the NodePool disruption budgets that pace their replacement.
struct KarpenterDriftStep {
    let kubernetes: KubernetesClient

    static let nodePoolLabel = "karpenter.sh/nodepool"

    func survey(_ step: RolloutStep) async throws -> KarpenterDrift {
        let target = step.toVersion ?? step.hop
        let nodes = try await kubernetes.nodes(labelSelector: Self.nodePoolLabel)
        let behind = nodes.filter { node in
            guard let kubelet = node.kubeletVersion else { return false }
            return !kubelet.hasPrefix("v\(target).")
        }
        var budgets: [String: [String]] = [:]
        for pool in try await nodePools() {
            let name = pool["metadata"]?["name"]?.stringValue ?? ""
            let listed = pool["spec"]?["disruption"]?["budgets"]?.arrayValue ?? []
            // Karpenter's default budget when none is given: 10% of the pool's nodes at a time.
            budgets[name] = listed.isEmpty ? ["nodes: 10% (Karpenter's default)"] : listed.map(Self.describe)
        }
        return KarpenterDrift(
            target: target,
            nodesBehind: behind.map { ($0.name, $0.labels[Self.nodePoolLabel] ?? "", $0.kubeletVersion ?? "") }
                .sorted { $0.0 < $1.0 }.map { KarpenterDrift.Node(name: $0.0, nodePool: $0.1, kubelet: $0.2) },
            budgets: budgets)
    }

    /// The cluster's NodePools; none when Karpenter's kinds are not installed.
    private func nodePools() async throws -> [JSONValue] {
        do {
            return try await kubernetes.list(apiVersion: "karpenter.sh/v1", kind: "NodePool")
        } catch let error as KubernetesError where error.isNotFound {
            return []
        }
    }

    /// `nodes: 20%, schedule 0 9 * * mon-fri for 8h, reasons Drifted`.
    static func describe(_ budget: JSONValue) -> String {
        var parts = ["nodes: \(budget["nodes"]?.stringValue ?? "10%")"]
        if let schedule = budget["schedule"]?.stringValue {
            parts.append("schedule \(schedule) for \(budget["duration"]?.stringValue ?? "?")")
        }
        if let reasons = budget["reasons"]?.arrayValue {
            parts.append("reasons " + reasons.compactMap(\.stringValue).joined(separator: ","))
        }
        return parts.joined(separator: ", ")
    }
}

/// Karpenter nodes not yet on the target minor, and what paces them.
public struct KarpenterDrift: Sendable, Equatable {
    public struct Node: Sendable, Equatable {
        public var name: String
        public var nodePool: String
        public var kubelet: String
    }

    public var target: String
    public var nodesBehind: [Node]
    /// NodePool name -> its disruption budgets, described.
    public var budgets: [String: [String]]

    /// One line per NodePool with nodes behind: what the report prints.
    public var lines: [String] {
        Dictionary(grouping: nodesBehind, by: \.nodePool).keys.sorted().map { pool in
            let count = nodesBehind.filter { $0.nodePool == pool }.count
            return
                "Karpenter NodePool \(pool): \(count) node(s) still on a kubelet before \(target); Karpenter replaces them as they drift, "
                + "paced by its disruption budgets (\((budgets[pool] ?? ["none found"]).joined(separator: "; ")))"
        }
    }
}
