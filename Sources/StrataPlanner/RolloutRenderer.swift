import StrataModel

/// The human form of a rollout, part of the plan's: per hop its steps in the order apply runs
/// them, each with its estimate, the total, and the findings with what to do about each.
extension PlanRenderer {
    public func rollout(_ rollout: RolloutPlan) -> String {
        var out = ""
        if rollout.steps.isEmpty, rollout.fromVersion == rollout.toVersion {
            out += paint("Cluster \(rollout.clusterName) (\(rollout.cluster)) runs \(rollout.fromVersion):", .bold) + "\n"
        } else if rollout.steps.isEmpty {
            out +=
                paint(
                    "Rollout of cluster \(rollout.clusterName) \(rollout.fromVersion) -> \(rollout.toVersion) (\(rollout.cluster)): "
                        + "no step can be planned", .bold) + "\n"
        } else {
            let hops = rollout.hops.count
            out +=
                paint(
                    "Rollout of cluster \(rollout.clusterName) \(rollout.fromVersion) -> \(rollout.toVersion) (\(rollout.cluster)): "
                        + "\(hops) hop\(hops == 1 ? "" : "s"), \(rollout.steps.count) steps, about \(Self.duration(rollout.estimateSeconds))",
                    .bold) + "\n"
            var number = 0
            for hop in rollout.hops {
                out += "  at \(hop):\n"
                for step in rollout.steps where step.hop == hop {
                    number += 1
                    out += "    \(number). \(step.summary)  ~\(Self.duration(step.estimateSeconds))\n"
                }
            }
        }
        for finding in rollout.findings {
            let mark = finding.severity == .blocking ? paint("blocking", .red) : paint("warning", .yellow)
            let place = finding.span.map { " (\($0))" } ?? ""
            out += "  \(mark) [\(finding.code)] \(finding.message)\(place)\n    fix: \(finding.fix)\n"
        }
        if rollout.isBlocked {
            out += "  " + paint("apply will not start this rollout until the blocking findings are fixed.", .red) + "\n"
        }
        return out
    }

    /// `1h 5m`, `6m 30s`, `45s`.
    public static func duration(_ seconds: Int) -> String {
        let hours = seconds / 3600
        let minutes = seconds % 3600 / 60
        let rest = seconds % 60
        if hours > 0 { return minutes > 0 ? "\(hours)h \(minutes)m" : "\(hours)h" }
        if minutes > 0 { return rest > 0 ? "\(minutes)m \(rest)s" : "\(minutes)m" }
        return "\(rest)s"
    }
}
