import AWSClient
import Foundation
import StrataModel

/// The kinds of Kubernetes object (`apps/v1/Deployment`) a stack keeps in one of its clusters,
/// so planning lists only those kinds from the cluster's API, and a stack with no manifests never
/// calls it (a private endpoint, or access not granted yet, does not stop its plans).
///
/// Two sources, since an object removed from the stack files must still be found to be deleted:
/// the kinds the stack's manifests declare (``ProviderContext/manifestKinds``), and the kinds
/// recorded on the cluster itself in `strata:manifest-kinds` tags, which apply writes before it
/// applies an object of a kind not recorded yet. The tags ride on the DescribeCluster answer
/// discovery reads anyway, so reading them costs no call.
public enum ManifestKinds {
    /// Tag keys holding the record: `strata:manifest-kinds`, then `-2`, `-3`, ... as an EKS tag
    /// value holds at most 256 characters.
    static let tagPrefix = "strata:manifest-kinds"
    static let valueLimit = 256

    /// `apiVersion/kind` of every manifest in `manifests` whose two are known.
    public static func of(_ manifests: [Value]) -> Set<String> {
        var out = Set<String>()
        for manifest in manifests {
            var object = manifest
            if case .string(let text) = manifest, let json = try? JSONValue.parse(Data(text.utf8)) {
                object = Value(json: json)
            }
            guard case .map(let members) = object, let apiVersion = members["apiVersion"]?.stringValue,
                let kind = members["kind"]?.stringValue
            else { continue }
            out.insert(apiVersion + "/" + kind)
        }
        return out
    }

    /// `(apiVersion, kind)` of a recorded `apiVersion/kind`.
    static func split(_ reference: String) -> (apiVersion: String, kind: String)? {
        guard let slash = reference.lastIndex(of: "/") else { return nil }
        return (String(reference[..<slash]), String(reference[reference.index(after: slash)...]))
    }

    /// The kinds recorded in a cluster's tags.
    static func recorded(_ tags: [String: String]) -> Set<String> {
        Set(tags.filter { isRecordKey($0.key) }.values.flatMap { $0.split(separator: " ").map(String.init) })
    }

    static func isRecordKey(_ key: String) -> Bool { key.hasPrefix(tagPrefix) }

    /// The tags recording `kinds`, sorted and packed into as few values as fit.
    static func tags(_ kinds: Set<String>) -> [String: String] {
        var values: [String] = []
        for kind in kinds.sorted() {
            if let last = values.last, last.count + 1 + kind.count <= valueLimit {
                values[values.count - 1] = last + " " + kind
            } else {
                values.append(kind)
            }
        }
        var out: [String: String] = [:]
        for (index, value) in values.enumerated() { out[index == 0 ? tagPrefix : "\(tagPrefix)-\(index + 1)"] = value }
        return out
    }

    /// Records `kind` on the stack's cluster `name` (a cluster of another stack is not recorded
    /// on: discovery never reads it). One ledger per cluster and run serialises the writes, so
    /// manifests of two new kinds applied at once both end up recorded.
    static func record(_ kind: String, cluster name: String, _ context: ProviderContext) async throws {
        guard
            let cluster = try await EKSSupport.ownedClusters(context).first(where: { $0["name"]?.stringValue == name }),
            let arn = cluster["arn"]?.stringValue
        else { return }
        let tags = EKSSupport.stringMap(cluster["tags"])
        let ledger = try await context.cache.value("manifest-kinds:\(name)") {
            Ledger(recorded: recorded(tags), keys: Set(tags.keys.filter(isRecordKey)))
        }
        try await ledger.record(kind) { wanted, stale in
            let eks = EKS(context.client)
            try await eks.tagResource(arn: arn, tags: wanted)
            try await eks.untagResource(arn: arn, keys: Array(stale))
        }
    }

    /// One cluster's record during a run.
    actor Ledger {
        private var kinds: Set<String>
        private var keys: Set<String>
        private var writing: Task<Void, any Error>?

        init(recorded: Set<String>, keys: Set<String>) {
            kinds = recorded
            self.keys = keys
        }

        /// Adds `kind`, then writes the whole record after any write already under way: the last
        /// write always carries every kind added before it.
        func record(
            _ kind: String,
            write: @escaping @Sendable (_ tags: [String: String], _ staleKeys: Set<String>) async throws -> Void
        ) async throws {
            guard !kinds.contains(kind) else {
                try await writing?.value
                return
            }
            kinds.insert(kind)
            let previous = writing
            let task = Task {
                _ = try? await previous?.value
                let (wanted, stale) = self.pending()
                try await write(wanted, stale)
            }
            writing = task
            try await task.value
        }

        private func pending() -> ([String: String], Set<String>) {
            let wanted = ManifestKinds.tags(kinds)
            let stale = keys.subtracting(wanted.keys)
            keys = Set(wanted.keys)
            return (wanted, stale)
        }
    }
}
