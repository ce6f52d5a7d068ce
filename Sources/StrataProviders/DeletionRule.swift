/// Where one type's deletes go when the graph cannot order them (orphans no longer in the stack
/// files, a destroy). Declared by each type's provider; the executor's `DeletionRank` holds the
/// mechanism. Lower ranks are deleted first.
public struct DeletionRule: Sendable {
    /// Which resources of a lower-ranked type a delete waits for: every one, or only those
    /// whose attributes name the resource being deleted (a subnet waits for its own
    /// associations, not for every subnet's).
    public enum Wait: Sendable { case every, naming }

    /// Ranks up to this one are the cluster and what runs in it: everything above waits for all
    /// of them (a cluster being deleted still uses its roles, subnets, groups and keys).
    public static let clusterRank = 3

    public var rank: Int
    /// For types above ``clusterRank``, the lower-ranked types (above it) that must be gone
    /// before one of this type can be deleted; nil waits for every lower rank.
    public var waitsFor: [String: Wait]?

    public init(rank: Int, waitsFor: [String: Wait]? = nil) {
        self.rank = rank
        self.waitsFor = waitsFor
    }
}
