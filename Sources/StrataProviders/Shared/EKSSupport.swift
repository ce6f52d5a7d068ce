import AWSClient
import Foundation
import StrataModel

// What the EKS providers share: the stack's clusters (named by the tag index, one DescribeCluster
// each, memoised for the plan), ownership from tags, attribute plumbing.

enum EKSSupport {
    /// Cache key of the stack's clusters (their DescribeCluster answers).
    static let clustersKey = "eks:clusters"

    /// The clusters of this stack (`strata:stack` tag), as DescribeCluster answers them. EKS has no
    /// tag filter on ListClusters: the tag index names the stack's clusters and one DescribeCluster
    /// each reads them, once per plan (memoised in `context.cache`, shared by node groups,
    /// add-ons, access entries, pod identity associations and manifests).
    static func ownedClusters(_ context: ProviderContext) async throws -> [JSONValue] {
        let eks = EKS(context.client)
        let stack = context.stack
        let tagging = ResourceTagging(context)
        return try await context.cache.value(clustersKey) { () async throws -> [JSONValue] in
            let names = try await tagging.owned("eks").compactMap { cluster -> String? in
                let path = cluster.resource.split(separator: "/")
                return path.count == 2 && path[0] == "cluster" ? String(path[1]) : nil
            }.sorted()
            // A cluster deleted since the index was read is simply not there.
            let described: [JSONValue?] = try await concurrentMap(names) { try await eks.describeCluster($0) }
            return described.compactMap { $0 }.filter { stringMap($0["tags"])[ProviderContext.stackTag] == stack }
        }
    }

    /// The stack's resources of one kind inside its clusters (node groups, add-ons, pod identity
    /// associations): `list` names them in a cluster, `read` reads one (nil when gone since), and
    /// those whose tags name this stack are kept.
    static func ownedChildren(
        _ context: ProviderContext, list: (_ cluster: String) async throws -> [String],
        read: (_ cluster: String, _ name: String) async throws -> LiveResource?
    ) async throws -> [LiveResource] {
        var out: [LiveResource] = []
        for cluster in try await ownedClusterNames(context) {
            for name in try await list(cluster) {
                if let live = try await read(cluster, name), live.address != nil { out.append(live) }
            }
        }
        return out
    }

    /// Forget the stack's clusters after a write that creates, retags or deletes one.
    static func forgetClusters(_ context: ProviderContext) async {
        await context.cache.invalidate(prefix: clustersKey)
        await ResourceTagging.invalidate(context.cache)
    }

    /// The names of the stack's clusters that are not being deleted (children can be listed).
    static func ownedClusterNames(_ context: ProviderContext) async throws -> [String] {
        try await ownedClusters(context).filter { $0["status"]?.stringValue != "DELETING" }.compactMap { $0["name"]?.stringValue }
    }

    static func stringMap(_ json: JSONValue?) -> [String: String] {
        guard case .object(let members)? = json else { return [:] }
        return members.compactMapValues(\.stringValue)
    }

    static func tagsJSON(_ tags: [String: String]) -> JSONValue { .object(tags.mapValues { .string($0) }) }

    /// EKS timestamps are epoch seconds; the catalog reports RFC 3339 text.
    static func time(_ json: JSONValue?) -> Value {
        let seconds: Double
        switch json {
        case .double(let value)?: seconds = value
        case .int(let value)?: seconds = Double(value)
        case .string(let text)?: return .string(text)
        default: return .null
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return .string(formatter.string(from: Date(timeIntervalSince1970: seconds)))
    }

    /// A client token for one update call: the desired content's token, the call, and the live
    /// state it starts from, so a retried call is deduplicated but the same change wanted again
    /// later (after an out-of-band revert) is a new request rather than a replay of the old one.
    static func updateToken(_ desired: DesiredResource, call: String, from live: LiveResource) -> String {
        let state = Value.map(live.attributes.filter { !["status", "modified_at"].contains($0.key) }).wireJSON?.description ?? ""
        return "\(desired.idempotencyToken.prefix(32))-\(call.prefix(8))-\(GeneratedName.fnv1a(state))"
    }

    // MARK: - Reading desired attributes

    /// A desired value as request JSON; throws when any part is still unknown.
    static func wire(_ desired: DesiredResource, _ name: String, _ value: Value) throws -> JSONValue {
        guard let json = value.wireJSON else {
            throw ProviderError.invalidAttribute(type: desired.type, attribute: name, problem: "holds a value not known yet")
        }
        return json
    }

    /// A nested block's members (`vpc_config`), empty when absent.
    static func block(_ value: Value?) -> [String: Value] {
        if case .map(let members)? = value { return members }
        // Single-element lists (Terraform style) are accepted too.
        if case .list(let items)? = value, items.count == 1, case .map(let members) = items[0] { return members }
        return [:]
    }

    static func list(_ value: Value?) -> [Value] {
        if case .list(let items)? = value { return items }
        return []
    }

    /// A JSON attribute (configuration values) as the text EKS takes: a string as given, a map encoded.
    static func jsonText(_ desired: DesiredResource, _ name: String) throws -> String? {
        switch desired.attributes[name] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: return try wire(desired, name, other).description
        }
    }

    /// Canonical form of JSON text, so equal documents compare equal.
    static func canonicalJSON(_ text: String) -> Value {
        guard let json = try? JSONValue.parse(Data(text.utf8)) else { return .string(text) }
        return .string(json.description)
    }

    static func strings(_ json: JSONValue?) -> Value {
        .list((json?.arrayValue ?? []).compactMap(\.stringValue).map(Value.string))
    }

    static func bool(_ json: JSONValue?) -> Value {
        if case .bool(let flag)? = json { return .bool(flag) }
        return .null
    }

    static func string(_ json: JSONValue?) -> Value {
        json?.stringValue.map(Value.string) ?? .null
    }

    static func int(_ json: JSONValue?) -> Value {
        json?.intValue.map { .int(Int($0)) } ?? .null
    }

    /// Drops null members, so absent stays absent.
    static func compact(_ members: [String: Value]) -> Value {
        .map(members.filter { $0.value != .null })
    }

    /// Stops a discovery or wait at a failed EKS state.
    static func throwIfFailed(_ type: String, _ name: String, _ object: JSONValue, failed: Set<String>) throws {
        guard let status = object["status"]?.stringValue, failed.contains(status) else { return }
        let issues = (object["health"]?["issues"]?.arrayValue ?? []).compactMap { $0["message"]?.stringValue }
        throw ProviderError.failed(type: type, name: name, status: status, detail: issues.joined(separator: "; "))
    }
}
