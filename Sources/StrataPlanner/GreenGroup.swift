import StrataModel

/// The rollout's record in the account, as the planner reads it (docs/rollouts.md): a green
/// managed node group is named `<pool>-<target minor with '-'>` and carries, besides the blue
/// group's ownership tags, `strata:rollout-blue` (the blue group's name) and
/// `strata:rollout-target` (the minor) until blue is gone.
public enum GreenGroup {
    public static let blueTag = "strata:rollout-blue"
    public static let targetTag = "strata:rollout-target"
    /// EKS's limit on node group names.
    static let nameLimit = 63

    /// The green group's name for a pool declared `pool` moving to `minor`: `system-1-31`. The
    /// pool part is cut so the whole fits EKS's 63 characters.
    public static func greenName(pool: String, minor: String) -> String {
        let suffix = "-" + minor.replacingOccurrences(of: ".", with: "-")
        return String(pool.prefix(nameLimit - suffix.count)) + suffix
    }

    /// Whether `live` is the name a rollout gave the pool declared `declared`: the declared name
    /// itself, or its green name for some minor (`system-1-31` for `system`).
    public static func isName(_ live: String, of declared: String) -> Bool {
        if live == declared { return true }
        let parts = live.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, let major = Int(parts[parts.count - 2]), let minor = Int(parts[parts.count - 1]) else { return false }
        return greenName(pool: declared, minor: "\(major).\(minor)") == live
    }

    /// The record's tags of a live node group (from its `tags`), when it is a green group.
    static func green(_ resource: LiveResource) -> (blue: String, target: String)? {
        guard case .map(let tags)? = resource.attributes["tags_all"] ?? resource.attributes["tags"],
            let blue = tags[blueTag]?.stringValue, let target = tags[targetTag]?.stringValue
        else { return nil }
        return (blue, target)
    }

    /// `tags` and `tags_all` without the record's keys: the stack never declares them, and a
    /// rollout under way must not read as tag drift.
    static func withoutRecord(_ attributes: [String: Value]) -> [String: Value] {
        var out = attributes
        for name in ["tags", "tags_all"] {
            if case .map(let tags)? = out[name] { out[name] = .map(tags.filter { $0.key != blueTag && $0.key != targetTag }) }
        }
        return out
    }
}

extension RolloutPlanner {
    /// Of the live resources claiming one address, the one the address matches (`index`), the
    /// green groups of a rollout under way (`rollout`: neither matched nor deleted) and that
    /// rollout's record. While blue lives (not DELETING) the address is blue's; once blue is
    /// going, green is the pool. Anything else: the first, as ever (a duplicate is deleted).
    static func claimant(_ resources: [LiveResource]) -> (index: Int, rollout: [Int], inFlight: InFlight?) {
        guard resources.count > 1, resources.allSatisfy({ $0.type == "aws_eks_node_group" }) else { return (0, [], nil) }
        let greens = resources.indices.filter { GreenGroup.green(resources[$0]) != nil }
        let blues = resources.indices.filter { !greens.contains($0) }
        guard let green = greens.first else { return (0, [], nil) }
        if let blue = blues.first(where: { resources[$0].attributes["status"]?.stringValue != "DELETING" }),
            let record = GreenGroup.green(resources[green])
        {
            let name = resources[green].attributes["node_group_name"]?.stringValue ?? resources[green].id
            return (
                blue, greens + blues.filter { $0 != blue && resources[$0].attributes["status"]?.stringValue == "DELETING" },
                InFlight(green: name, target: record.target)
            )
        }
        return (green, blues, nil)
    }

    /// Makes desired and live comparable where a rollout explains the difference: a node
    /// group's record tags are not drift, a group named `<pool>-<minor>` by a rollout is the
    /// pool, and a version above the stack's (EKS cannot downgrade; `strata upgrade` moved it)
    /// is no change: the rollout's findings say which line to update.
    static func compare(_ desired: inout [String: Value], with live: inout [String: Value], type: String) {
        guard type == "aws_eks_node_group" || type == "aws_eks_cluster" else { return }
        if type == "aws_eks_node_group" {
            live = GreenGroup.withoutRecord(live)
            if let declared = desired["node_group_name"]?.stringValue, let name = live["node_group_name"]?.stringValue,
                GreenGroup.isName(name, of: declared)
            {
                desired["node_group_name"] = .string(name)
            }
        }
        if let want = desired["version"]?.textForm.flatMap(MinorVersion.init), let have = live["version"]?.textForm,
            let haveMinor = MinorVersion(have), want < haveMinor
        {
            desired["version"] = .string(have)
        }
    }
}
