import AWSClient
import Foundation
import StrataKubernetes
import StrataModel

/// `kubernetes_manifest`: one object applied by server-side apply to a cluster of the stack.
///
/// Ownership lives on the object: the label `strata.dev/stack` (label values cannot hold an
/// address's `.`/`[`/`"` characters) selects the stack's objects, the annotation
/// `strata.dev/address` names the address. Live `manifest` is the object projected onto the
/// fields strata's field manager owns (its `managedFields` entry), so server-filled fields and
/// status never read as drift; `metadata.namespace` reads back only when it is not `default`,
/// so write the default namespace by leaving it out.
struct KubernetesManifestProvider: ResourceProvider {
    let schema = ResourceSchema.kubernetesManifest
    let deletion = DeletionRule(rank: 0)
    let normalisation = NormalisationRules(writeOnly: ["force_conflicts"])

    static let stackLabel = "strata.dev/stack"
    static let addressAnnotation = "strata.dev/address"
    static let deadline: Duration = .seconds(10 * 60)

    /// Per cluster of the stack whose API serves (ACTIVE, or UPDATING: upgrades keep the API up):
    /// one labelled list per kind the stack declares or the cluster's record names
    /// (``ManifestKinds``); kinds the cluster does not serve are skipped. A cluster with neither
    /// is not asked at all.
    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        var out: [LiveResource] = []
        for cluster in try await EKSSupport.ownedClusters(context)
        where ["ACTIVE", "UPDATING"].contains(cluster["status"]?.stringValue ?? "") {
            guard let name = cluster["name"]?.stringValue else { continue }
            let kinds = context.manifestKinds.union(ManifestKinds.recorded(EKSSupport.stringMap(cluster["tags"])))
            // No manifest declared and none recorded: the cluster's API is not asked anything.
            guard !kinds.isEmpty else { continue }
            let kube = try await Self.kube(name, context)
            let selector = "\(Self.stackLabel)=\(context.stack)"
            let found: [JSONValue]
            do {
                found = try await Self.list(kinds, labelled: selector, from: kube)
            } catch let error as KubernetesError where UnreadableManifests.isRefusal(error) && context.unreadableManifests != nil {
                await context.unreadableManifests?.record(cluster: name, kinds: kinds.sorted(), error: error)
                continue
            }
            for object in found {
                let live = liveResource(object, cluster: name, stack: context.stack)
                if live.address != nil { out.append(live) }
            }
        }
        return out.sorted { $0.id < $1.id }
    }

    /// The objects of `kinds` carrying `selector`, one list per kind in parallel; a kind the
    /// cluster does not serve has none.
    private static func list(_ kinds: Set<String>, labelled selector: String, from kube: KubernetesClient) async throws -> [JSONValue] {
        try await withThrowingTaskGroup(of: [JSONValue].self) { group in
            for kind in kinds.sorted().compactMap(ManifestKinds.split) {
                group.addTask {
                    do {
                        return try await kube.list(apiVersion: kind.apiVersion, kind: kind.kind, labelSelector: selector)
                    } catch let error as KubernetesError where error.isNotFound {
                        return []
                    }
                }
            }
            var all: [JSONValue] = []
            for try await items in group { all += items }
            return all
        }
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        try await apply(desired, context)
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        try await apply(desired, context)
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        guard let cluster = live.attributes.string("cluster") else { return }
        let manifest = Self.json(live.attributes["manifest"])
        guard let apiVersion = manifest?["apiVersion"]?.stringValue, let kind = manifest?["kind"]?.stringValue,
            let name = manifest?["metadata"]?["name"]?.stringValue
        else { return }
        let namespace = manifest?["metadata"]?["namespace"]?.stringValue
        let kube: KubernetesClient
        do {
            kube = try await Self.kube(cluster, context)
        } catch let error as ProviderError {
            // The cluster itself is gone: so is everything in it.
            if case .failed("gone", _) = error.reason { return }
            throw error
        }
        let resource = try await kube.resource(apiVersion: apiVersion, kind: kind)
        let ns = resource.namespaced ? (namespace ?? "default") : nil
        guard try await kube.delete(apiVersion: apiVersion, kind: kind, namespace: ns, name: name) else { return }
        _ = try await Waiter(policy: context.waits).wait(
            for: "\(kind) \(name) in cluster \(cluster) to be deleted", deadline: Self.deadline
        ) {
            try await kube.get(apiVersion: apiVersion, kind: kind, namespace: ns, name: name) == nil ? true : nil
        }
    }

    // MARK: - Apply

    private func apply(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let cluster = try desired.required("cluster")
        guard case .object(var object)? = try Self.desiredManifest(desired) else {
            throw ProviderError.invalidAttribute(type: type, attribute: "manifest", problem: "must be a Kubernetes object (a map)")
        }
        var metadata: [String: JSONValue] = [:]
        if case .object(let members)? = object["metadata"] { metadata = members }
        var labels: [String: JSONValue] = [:]
        if case .object(let members)? = metadata["labels"] { labels = members }
        labels[Self.stackLabel] = .string(context.stack)
        metadata["labels"] = .object(labels)
        var annotations: [String: JSONValue] = [:]
        if case .object(let members)? = metadata["annotations"] { annotations = members }
        annotations[Self.addressAnnotation] = .string(desired.address.canonical)
        let manager = EKSSupport.block(desired.attributes["field_manager"])
        let managerName = manager["name"]?.stringValue ?? KubernetesClient.fieldManager
        if managerName != KubernetesClient.fieldManager { annotations[Self.managerAnnotation] = .string(managerName) }
        metadata["annotations"] = .object(annotations)
        object["metadata"] = .object(metadata)
        let force = manager["force_conflicts"].flatMap { if case .bool(let flag) = $0 { flag } else { nil } } ?? false

        let kube = try await Self.kube(cluster, context)
        // Recorded before the object exists, so a later plan finds it even once the stack no
        // longer declares its kind.
        if let apiVersion = object["apiVersion"]?.stringValue, let kind = object["kind"]?.stringValue {
            try await ManifestKinds.record(apiVersion + "/" + kind, cluster: cluster, context)
        }
        var stored = try await kube.apply(.object(object), fieldManager: managerName, force: force)
        stored = try await waitFor(desired, stored, kube: kube, cluster: cluster, context)
        return liveResource(stored, cluster: cluster, stack: context.stack)
    }

    static let managerAnnotation = "strata.dev/field-manager"

    /// `wait { rollout, fields }`: rollout waits for a Deployment/StatefulSet/DaemonSet to have
    /// every replica updated and available; fields waits for dotted paths to hold given values.
    private func waitFor(
        _ desired: DesiredResource, _ stored: JSONValue, kube: KubernetesClient, cluster: String, _ context: ProviderContext
    ) async throws
        -> JSONValue
    {
        let wait = EKSSupport.block(desired.attributes["wait"])
        let rollout = wait["rollout"] == .bool(true)
        let fields = wait["fields"]?.stringMap ?? [:]
        guard rollout || !fields.isEmpty else { return stored }
        let apiVersion = stored["apiVersion"]?.stringValue ?? ""
        let kind = stored["kind"]?.stringValue ?? ""
        let name = stored["metadata"]?["name"]?.stringValue ?? ""
        let namespace = stored["metadata"]?["namespace"]?.stringValue
        let what =
            "\(kind) \(name) in cluster \(cluster) to " + (rollout ? "roll out" : "reach \(fields.keys.sorted().joined(separator: ", "))")
        return try await Waiter(policy: context.waits).wait(for: what, deadline: Self.deadline) {
            guard let now = try await kube.get(apiVersion: apiVersion, kind: kind, namespace: namespace, name: name) else { return nil }
            if rollout, !Self.rolledOut(now) { return nil }
            for (path, value) in fields where Self.lookup(now, path: path) != value { return nil }
            return now
        }
    }

    static func rolledOut(_ object: JSONValue) -> Bool {
        let status = object["status"]
        let generation = object["metadata"]?["generation"]?.intValue ?? 0
        if let observed = status?["observedGeneration"]?.intValue, observed < generation { return false }
        if object["kind"]?.stringValue == "DaemonSet" {
            let wanted = status?["desiredNumberScheduled"]?.intValue ?? 0
            return status?["numberAvailable"]?.intValue ?? 0 >= wanted && status?["updatedNumberScheduled"]?.intValue ?? 0 >= wanted
        }
        let replicas = object["spec"]?["replicas"]?.intValue ?? 1
        return status?["updatedReplicas"]?.intValue ?? 0 >= replicas && status?["availableReplicas"]?.intValue ?? 0 >= replicas
    }

    /// The text form of the value at a dotted path (`status.phase`), for `wait.fields`.
    static func lookup(_ object: JSONValue, path: String) -> String? {
        var current: JSONValue? = object
        for part in path.split(separator: ".") {
            if let index = Int(part), let items = current?.arrayValue {
                current = index < items.count ? items[index] : nil
            } else {
                current = current?[String(part)]
            }
        }
        switch current {
        case .string(let text)?: return text
        case .int(let value)?: return String(value)
        case .bool(let flag)?: return flag ? "true" : "false"
        case .double(let value)?: return String(value)
        default: return nil
        }
    }

    // MARK: - Clients and values

    /// A Kubernetes client for the stack's cluster `name`, one per plan or apply.
    static func kube(_ name: String, _ context: ProviderContext) async throws -> KubernetesClient {
        do {
            return try await makeKube(name, context)
        } catch {
            // Not cached as a failure: the cluster may be usable on the next call (ACTIVE by then).
            await context.cache.invalidate(prefix: "kube:\(name)")
            throw error
        }
    }

    private static func makeKube(_ name: String, _ context: ProviderContext) async throws -> KubernetesClient {
        let client = context.client
        return try await context.cache.value("kube:\(name)") { () async throws -> KubernetesClient in
            // The stack's own clusters were described by discovery already; another stack's
            // cluster, or one that had no endpoint yet when discovery saw it, is described now.
            let known = try await EKSSupport.ownedClusters(context).first {
                $0["name"]?.stringValue == name && $0["endpoint"]?.stringValue != nil
            }
            let described: JSONValue?
            if let known { described = known } else { described = try await EKS(client).describeCluster(name) }
            guard let cluster = described else {
                throw ProviderError.failed(type: "kubernetes_manifest", name: name, status: "gone", detail: "no EKS cluster \(name)")
            }
            guard let endpoint = cluster["endpoint"]?.stringValue, let ca = cluster["certificateAuthority"]?["data"]?.stringValue else {
                throw ProviderError.failed(
                    type: "kubernetes_manifest", name: name, status: cluster["status"]?.stringValue ?? "unknown",
                    detail: "the cluster has no API endpoint yet")
            }
            return try KubernetesClient.eks(cluster: name, endpoint: endpoint, caData: ca, aws: client)
        }
    }

    static func desiredManifest(_ desired: DesiredResource) throws -> JSONValue? {
        switch desired.attributes["manifest"] {
        case .string(let text)?:
            guard let json = try? JSONValue.parse(Data(text.utf8)) else {
                throw ProviderError.invalidAttribute(type: desired.type, attribute: "manifest", problem: "a string manifest must be JSON")
            }
            return json
        case let value?: return try EKSSupport.wire(desired, "manifest", value)
        case nil: return nil
        }
    }

    static func json(_ value: Value?) -> JSONValue? { value?.wireJSON }

    func liveResource(_ object: JSONValue, cluster: String, stack: String) -> LiveResource {
        let metadata = object["metadata"]
        let labels = EKSSupport.stringMap(metadata?["labels"])
        let annotations = EKSSupport.stringMap(metadata?["annotations"])
        let address = labels[Self.stackLabel] == stack ? annotations[Self.addressAnnotation].flatMap(ResourceAddress.init(parsing:)) : nil
        let manager = annotations[Self.managerAnnotation] ?? KubernetesClient.fieldManager
        let apiVersion = object["apiVersion"]?.stringValue ?? ""
        let kind = object["kind"]?.stringValue ?? ""
        let name = metadata?["name"]?.stringValue ?? ""
        let namespace = metadata?["namespace"]?.stringValue
        var stored = object
        if case .object(var members) = stored, case .object(var meta)? = members["metadata"] {
            meta["managedFields"] = nil
            members["metadata"] = .object(meta)
            // `object` is only for reading back; a Secret's values stay out of plans and events.
            if kind == "Secret", apiVersion == "v1" {
                for key in ["data", "stringData"] {
                    if case .object(let values)? = members[key] { members[key] = .object(values.mapValues { _ in "(sensitive)" }) }
                }
            }
            stored = .object(members)
        }
        let id = [cluster, apiVersion, kind, namespace ?? "", name].joined(separator: "|")
        let attributes: [String: Value] = [
            "id": .string(id),
            "cluster": .string(cluster),
            "manifest": Value(json: ManifestProjection.owned(object, manager: manager)),
            "object": Value(json: stored),
        ]
        return LiveResource(type: type, address: address, id: id, attributes: attributes)
    }
}

/// The part of a stored object that one field manager applied: the object walked along that
/// manager's `managedFields[].fieldsV1` (`f:` fields, `k:` keyed list items, `v:` set values),
/// with strata's own ownership label and annotations taken out again.
enum ManifestProjection {
    static func owned(_ object: JSONValue, manager: String) -> JSONValue {
        let entries = object["metadata"]?["managedFields"]?.arrayValue ?? []
        let mine = entries.first { $0["manager"]?.stringValue == manager && $0["operation"]?.stringValue == "Apply" }
        var projected: [String: JSONValue]
        if let fields = mine?["fieldsV1"], case .object(let members) = project(object, fields) {
            projected = members
        } else {
            // No record of our fields: the object without what the server adds.
            guard case .object(let members) = object else { return object }
            projected = members
            projected["status"] = nil
            if case .object(var meta)? = projected["metadata"] {
                for key in ["uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink"] { meta[key] = nil }
                projected["metadata"] = .object(meta)
            }
        }
        projected["apiVersion"] = object["apiVersion"]
        projected["kind"] = object["kind"]
        var meta: [String: JSONValue] = [:]
        if case .object(let members)? = projected["metadata"] { meta = members }
        meta["name"] = object["metadata"]?["name"]
        if let namespace = object["metadata"]?["namespace"]?.stringValue, namespace != "default" {
            meta["namespace"] = .string(namespace)
        } else {
            meta["namespace"] = nil
        }
        for (key, strip) in [
            ("labels", KubernetesManifestProvider.stackLabel), ("annotations", KubernetesManifestProvider.addressAnnotation),
        ] {
            guard case .object(var members)? = meta[key] else { continue }
            members[strip] = nil
            if key == "annotations" { members[KubernetesManifestProvider.managerAnnotation] = nil }
            meta[key] = members.isEmpty ? nil : .object(members)
        }
        projected["metadata"] = .object(meta)
        return .object(projected.filter { $0.value != .null })
    }

    static func project(_ value: JSONValue, _ fields: JSONValue) -> JSONValue {
        guard case .object(let set) = fields else { return value }
        let children = set.keys.filter { $0 != "." }
        if children.isEmpty { return value }
        switch value {
        case .object(let members):
            var out: [String: JSONValue] = [:]
            for key in children where key.hasPrefix("f:") {
                let name = String(key.dropFirst(2))
                guard let member = members[name], let sub = set[key] else { continue }
                out[name] = project(member, sub)
            }
            return .object(out)
        case .array(let items):
            var out: [JSONValue] = []
            for item in items {
                for key in children {
                    guard let sub = set[key] else { continue }
                    if key.hasPrefix("k:"), let json = try? JSONValue.parse(Data(key.dropFirst(2).utf8)), case .object(let wanted) = json,
                        wanted.allSatisfy({ item[$0.key] == $0.value })
                    {
                        out.append(project(item, sub))
                        break
                    }
                    if key.hasPrefix("v:"), let json = try? JSONValue.parse(Data(key.dropFirst(2).utf8)), json == item {
                        out.append(item)
                        break
                    }
                }
            }
            return .array(out.isEmpty ? items : out)
        default:
            return value
        }
    }
}
