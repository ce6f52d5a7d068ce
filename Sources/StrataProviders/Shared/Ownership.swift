import StrataModel

/// Ownership as the tags say it.
enum Ownership {
    /// The address a resource's tags give it, when `strata:stack` names this stack.
    static func address(_ tags: [String: String], stack: String) -> ResourceAddress? {
        guard tags[ProviderContext.stackTag] == stack, let text = tags[ProviderContext.addressTag] else { return nil }
        return ResourceAddress(parsing: text)
    }

    /// `tags` (the user's, ownership tags removed) and `tags_all` (everything AWS stores but
    /// the record of a cluster's manifest kinds, strata's bookkeeping no stack declares).
    static func tagAttributes(_ stored: [String: String]) -> [String: Value] {
        let all = stored.filter { !ManifestKinds.isRecordKey($0.key) }
        return ["tags": .map(userTags(all).mapValues(Value.string)), "tags_all": .map(all.mapValues(Value.string))]
    }

    /// Tags without strata's own (`strata:stack`, `strata:address`), as the stack's `tags` reads.
    static func userTags(_ tags: [String: String]) -> [String: String] {
        tags.filter { $0.key != ProviderContext.stackTag && $0.key != ProviderContext.addressTag }
    }

    /// A name AWS already holds, found by a create: a crashed run's creation when its tags name
    /// this stack and the desired address (to adopt); anything else is someone else's, and the
    /// create stops with the name-taken error naming its owner.
    static func claim(_ tags: [String: String], name: String, for desired: DesiredResource, stack: String, path: String? = nil) throws {
        guard address(tags, stack: stack) != desired.address else { return }
        throw ProviderError.nameTaken(type: desired.type, name: name, owner: owner(tags, path: path))
    }

    /// Who a resource belongs to, for the name-taken error.
    static func owner(_ tags: [String: String], path: String?) -> String {
        if let stack = tags[ProviderContext.stackTag] {
            return "stack '\(stack)', address '\(tags[ProviderContext.addressTag] ?? "?")'"
        }
        return path.map { "not created by strata, path \($0)" } ?? "not created by strata"
    }
}
