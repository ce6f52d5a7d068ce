import AWSClient
import StrataModel

/// One service's two tag calls for one resource (CreateTags/DeleteTags, TagRole/UntagRole,
/// TagResource/UntagResource, ...): all ``TagSync`` needs to know of the service.
struct TagCalls: Sendable {
    /// Sets these tags (new or changed), leaving the others as they are.
    var tag: @Sendable ([String: String]) async throws -> Void
    /// Removes the tags with these keys (sorted).
    var untag: @Sendable ([String]) async throws -> Void
}

/// The tag-sync step every taggable type shares: bring what AWS stores to what the stack wants,
/// in at most two calls, with whatever calls the service has.
enum TagSync {
    /// What to tag and untag to bring `live` to `desired`. Never removed: `aws:` tags (AWS's own,
    /// CloudFormation's: nobody can remove them) and strata's record of a cluster's manifest
    /// kinds (``ManifestKinds``), which no stack declares.
    static func delta(live: [String: String], desired: [String: String]) -> (set: [String: String], remove: [String]) {
        let set = desired.filter { live[$0.key] != $0.value }
        let remove = live.keys.filter { desired[$0] == nil && !$0.hasPrefix("aws:") && !ManifestKinds.isRecordKey($0) }.sorted()
        return (set, remove)
    }

    /// One call for what is new or changed, one for what is gone; none when nothing differs.
    static func sync(_ calls: TagCalls, live: [String: String], desired: [String: String]) async throws {
        let delta = delta(live: live, desired: desired)
        if !delta.set.isEmpty { try await calls.tag(delta.set) }
        if !delta.remove.isEmpty { try await calls.untag(delta.remove) }
    }

    /// An update's tag step: when the diff changed `tags` or `tags_all`, brings the live
    /// resource's tags (its `tags_all`) to the desired ones, ownership tags included. Returns
    /// whether it did, for providers that read the resource again after a tag write.
    @discardableResult
    static func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ calls: TagCalls) async throws -> Bool {
        guard changed.contains("tags") || changed.contains("tags_all") else { return false }
        try await sync(calls, live: live.attributes["tags_all"]?.stringMap ?? [:], desired: desired.tags)
        return true
    }
}
