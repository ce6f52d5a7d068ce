import StrataModel

/// Why a rollout stopped. Each case says what the account and the cluster hold afterwards, so the
/// report can tell the user what a re-run will do.
public enum RolloutError: Error, Sendable, CustomStringConvertible {
    /// The green group never became usable (CREATE_FAILED, nodes not Ready in time) or the run was
    /// stopped before any pod moved: blue was uncordoned and green deleted.
    case rolledBack(cluster: String, blue: String, green: String, cause: String)
    /// The drain reached `drain_timeout`: the pods are still on blue (cordoned, serving), green is
    /// up, and the rollout stays recorded for a re-run to continue.
    /// Also a drain refused before evicting anything (pods no drain moves without `--force-drain`).
    case drainBlocked(cluster: String, blue: String, green: String, any Error & CustomStringConvertible)
    /// The run was stopped while pods were moving: the rollout stays recorded (blue cordoned, green
    /// up) and a re-run continues it; nothing is lost.
    case stoppedMidDrain(cluster: String, blue: String, green: String)
    /// What the account holds contradicts the step (neither blue nor green exists, ...).
    case inconsistent(String)

    public var description: String {
        switch self {
        case .rolledBack(let cluster, let blue, let green, let cause):
            return "rolled back node pool \(cluster)/\(blue): \(cause). Blue \(blue) was uncordoned and serves as before; green \(green) "
                + "was deleted. Fix the cause and apply again."
        case .drainBlocked(let cluster, let blue, let green, let blocked):
            return "node pool \(cluster)/\(blue): \(blocked)\n"
                + "Blue \(blue) stays cordoned and keeps serving these pods; green \(green) is up. The rollout stays recorded: "
                + "after the fix, apply again and it continues this drain (with --force-drain, the pods still blocked at "
                + "drain_timeout are deleted, counted and reported)."
        case .stoppedMidDrain(let cluster, let blue, let green):
            return "stopped while draining \(cluster)/\(blue): the pods already moved run on green \(green), the rest on blue "
                + "(cordoned). Apply again to continue the rollout."
        case .inconsistent(let message):
            return message
        }
    }
}
