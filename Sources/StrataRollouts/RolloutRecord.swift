import StrataModel
import StrataPlanner

/// What a rollout writes into the account so a killed run can be continued: the green group's
/// name and tags (the cordoned blue nodes carry the other half, ``CordonRecord``). Nothing else
/// records a rollout (strata keeps no state file).
public enum RolloutRecord {
    /// On a green group: the blue group it replaces (the planner reads the same record).
    public static let blueTag = GreenGroup.blueTag
    /// On a green group: the minor it rolls to.
    public static let targetTag = GreenGroup.targetTag
    /// The label EKS puts on a managed node group's nodes.
    public static let nodegroupLabel = "eks.amazonaws.com/nodegroup"
    /// `<blue>-<minor with '-'>` (`system-1-31`), the blue part cut so the whole fits 63
    /// characters. A blue group that is itself a green of an earlier rollout (`system-1-30`)
    /// loses that suffix first, so names do not grow hop by hop: `system-1-30` -> `system-1-31`.
    public static func greenName(blue: String, target: String) -> String {
        GreenGroup.greenName(pool: poolName(of: blue), minor: target)
    }

    /// The pool a group name belongs to: the name without a trailing `-<major>-<minor>`.
    public static func poolName(of group: String) -> String {
        let parts = group.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts.suffix(2).allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) }) else { return group }
        return parts.dropLast(2).joined(separator: "-")
    }

    /// The tags a green group is created with on top of blue's (`strata:stack`, `strata:address`).
    public static func greenTags(blue: String, target: String) -> [String: String] {
        [blueTag: blue, targetTag: target]
    }
}
