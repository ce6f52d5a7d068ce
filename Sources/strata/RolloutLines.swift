import StrataExecutor
import StrataRollouts

/// One line per rollout event, for people: what the CI log and the terminal show of a rollout.
enum RolloutLines {
    static let kinds: Set<EventKind> = [
        .rolloutStarted, .clusterUpgraded, .addonUpgraded, .nodegroupCreated, .nodeCordoned, .podEvicted, .evictionBlocked,
        .nodeDrained, .nodegroupDeleted, .rolloutRolledBack, .rolloutFinished, .podDeleted,
    ]

    static func line(_ event: Event) -> String? {
        let p = event.payload
        let cluster = p["cluster"] ?? ""
        switch event.kind {
        case .rolloutStarted:
            return "rollout \(cluster): \(p["from"] ?? "?") -> \(p["to"] ?? "?") (\(p["steps"] ?? "?") steps, hops \(p["hops"] ?? ""))"
        case .clusterUpgraded:
            return "rollout \(cluster): control plane at \(p["to"] ?? "?")" + detail(p)
        case .addonUpgraded:
            return "rollout \(cluster): add-on \(p["addon"] ?? "") \(p["from"] ?? "?") -> \(p["to"] ?? "?")" + detail(p)
        case .nodegroupCreated:
            return
                "rollout \(cluster): green node group \(p["nodegroup"] ?? "") at \(p["version"] ?? "?") is ACTIVE with \(p["nodes"] ?? "?") Ready node(s)"
                + (p["adopted"] == "true" ? " (adopted from an earlier run)" : "")
        case .nodeCordoned:
            return "  cordoned \(p["node"] ?? "")"
        case .podEvicted:
            return "  evicted \(p["namespace"] ?? "")/\(p["pod"] ?? "") from \(p["node"] ?? "")"
        case .evictionBlocked:
            return "  eviction of \(p["namespace"].map { "\($0)/" } ?? "")\(p["pod"] ?? "") waits: PodDisruptionBudget \(p["pdb"] ?? "?") "
                + "(\(p["currentHealthy"] ?? "?") healthy, needs \(p["desiredHealthy"] ?? "?"))"
        case .podDeleted:
            return "  deleted \(p["namespace"] ?? "")/\(p["pod"] ?? "") (--force-drain: \(p["cause"] ?? "its budget still blocked it"))"
        case .nodeDrained:
            return "  drained \(p["node"] ?? "")"
        case .nodegroupDeleted:
            return "rollout \(cluster): blue node group \(p["nodegroup"] ?? "") deleted" + detail(p)
        case .rolloutRolledBack:
            return
                "rollout \(cluster): rolled back \(p["blue"] ?? "") (green \(p["green"] ?? "") deleted, blue uncordoned): \(p["cause"] ?? "")"
        case .rolloutFinished:
            return "rollout \(cluster): finished at \(p["to"] ?? "?"), \(p["evicted"] ?? "0") pod(s) moved" + detail(p)
        default:
            return nil
        }
    }

    private static func detail(_ payload: [String: String]) -> String {
        if let skipped = payload["skipped"] { return " (\(skipped))" }
        var parts: [String] = []
        if let resumed = payload["resumed"] { parts.append(resumed) }
        if let seconds = payload["elapsedSeconds"].flatMap(Double.init) { parts.append(String(format: "%.1fs", seconds)) }
        return parts.isEmpty ? "" : " (" + parts.joined(separator: ", ") + ")"
    }
}
