import AWSClient
import Foundation
import StrataModel

/// Where a kind lives in the REST API: its plural resource name and whether it is namespaced.
public struct ResourceKind: Sendable, Equatable, Hashable {
    /// `""` for the core group.
    public var group: String
    public var version: String
    public var kind: String
    public var plural: String
    public var namespaced: Bool

    public init(group: String, version: String, kind: String, plural: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.namespaced = namespaced
    }

    /// `v1`, `apps/v1`, `karpenter.sh/v1`.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `/api/v1` or `/apis/{group}/{version}`.
    public var groupVersionPath: String { group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)" }

    /// The collection path (`/api/v1/namespaces/default/configmaps`, `/apis/karpenter.sh/v1/nodepools`);
    /// `namespace` nil on a namespaced kind lists across all namespaces.
    public func collectionPath(namespace: String?) -> String {
        if namespaced, let namespace {
            return "\(groupVersionPath)/namespaces/\(KubernetesClient.segment(namespace))/\(plural)"
        }
        return "\(groupVersionPath)/\(plural)"
    }

    /// The path of one object.
    public func objectPath(namespace: String?, name: String) -> String {
        "\(collectionPath(namespace: namespaced ? (namespace ?? "default") : nil))/\(KubernetesClient.segment(name))"
    }

    /// Splits `apps/v1` into group and version (`v1` is the core group).
    public static func split(apiVersion: String) -> (group: String, version: String) {
        guard let slash = apiVersion.lastIndex(of: "/") else { return ("", apiVersion) }
        return (String(apiVersion[..<slash]), String(apiVersion[apiVersion.index(after: slash)...]))
    }

    /// Kinds strata touches often, so the common case needs no discovery round trip. Karpenter's
    /// NodePool and EC2NodeClass are cluster-scoped.
    public static let builtIn: [ResourceKind] = [
        .init(group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false),
        .init(group: "", version: "v1", kind: "Node", plural: "nodes", namespaced: false),
        .init(group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true),
        .init(group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true),
        .init(group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true),
        .init(group: "", version: "v1", kind: "Service", plural: "services", namespaced: true),
        .init(group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true),
        .init(group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true),
        .init(group: "apps", version: "v1", kind: "DaemonSet", plural: "daemonsets", namespaced: true),
        .init(group: "apps", version: "v1", kind: "ReplicaSet", plural: "replicasets", namespaced: true),
        .init(group: "apps", version: "v1", kind: "StatefulSet", plural: "statefulsets", namespaced: true),
        .init(group: "policy", version: "v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets", namespaced: true),
        .init(group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRole", plural: "clusterroles", namespaced: false),
        .init(
            group: "rbac.authorization.k8s.io", version: "v1", kind: "ClusterRoleBinding", plural: "clusterrolebindings", namespaced: false),
        .init(group: "rbac.authorization.k8s.io", version: "v1", kind: "Role", plural: "roles", namespaced: true),
        .init(group: "rbac.authorization.k8s.io", version: "v1", kind: "RoleBinding", plural: "rolebindings", namespaced: true),
        .init(group: "storage.k8s.io", version: "v1", kind: "StorageClass", plural: "storageclasses", namespaced: false),
        .init(group: "karpenter.sh", version: "v1", kind: "NodePool", plural: "nodepools", namespaced: false),
        .init(group: "karpenter.sh", version: "v1", kind: "NodeClaim", plural: "nodeclaims", namespaced: false),
        .init(group: "karpenter.k8s.aws", version: "v1", kind: "EC2NodeClass", plural: "ec2nodeclasses", namespaced: false),
    ]
}

/// Maps apiVersion + kind to a ``ResourceKind``: the built-in table first, then the API server's
/// discovery document for that group/version (`GET /apis/{group}/{version}`), read once per
/// group/version for the client's life.
actor ResourceResolver {
    private var known: [String: ResourceKind]
    private var discovered: [String: Task<[ResourceKind], any Error>] = [:]

    init() {
        known = Dictionary(uniqueKeysWithValues: ResourceKind.builtIn.map { (Self.key($0.apiVersion, $0.kind), $0) })
    }

    static func key(_ apiVersion: String, _ kind: String) -> String { "\(apiVersion)|\(kind)" }

    func resolve(apiVersion: String, kind: String, discover: @escaping @Sendable (String) async throws -> JSONValue) async throws
        -> ResourceKind
    {
        if let hit = known[Self.key(apiVersion, kind)] { return hit }
        let (group, version) = ResourceKind.split(apiVersion: apiVersion)
        let probe = ResourceKind(group: group, version: version, kind: kind, plural: "", namespaced: false)
        let task: Task<[ResourceKind], any Error>
        if let running = discovered[apiVersion] {
            task = running
        } else {
            task = Task {
                let list = try await discover(probe.groupVersionPath)
                return (list["resources"]?.arrayValue ?? []).compactMap { entry -> ResourceKind? in
                    // Subresources (`pods/eviction`) are not kinds of their own.
                    guard let name = entry["name"]?.stringValue, !name.contains("/"),
                        let entryKind = entry["kind"]?.stringValue
                    else { return nil }
                    let namespaced: Bool
                    if case .bool(let flag)? = entry["namespaced"] { namespaced = flag } else { namespaced = false }
                    return ResourceKind(group: group, version: version, kind: entryKind, plural: name, namespaced: namespaced)
                }
            }
            discovered[apiVersion] = task
        }
        let kinds: [ResourceKind]
        do {
            kinds = try await task.value
        } catch {
            // A group that appears later (a CRD installed meanwhile) must be discoverable then.
            discovered[apiVersion] = nil
            if let failure = error as? KubernetesError, failure.isNotFound {
                throw KubernetesClientError(
                    "the API server does not serve \(apiVersion) (discovery of \(probe.groupVersionPath) answered 404): is the CRD for \(kind) installed?"
                )
            }
            throw error
        }
        for found in kinds { known[Self.key(apiVersion, found.kind)] = found }
        guard let hit = known[Self.key(apiVersion, kind)] else {
            throw KubernetesClientError("the API server serves \(apiVersion) but no kind \(kind) in it")
        }
        return hit
    }
}
