import StrataKubernetes
import StrataModel

/// The controllers behind pods: a ReplicaSet's Deployment, and the replicas of each Deployment,
/// lone ReplicaSet and StatefulSet.
struct WorkloadOwners {
    struct Owner: Hashable {
        var kind: String
        var namespace: String
        var name: String
    }

    private var replicaSetOwner: [String: String] = [:]  // namespace/replicaset -> deployment
    private var replicas: [Owner: Int] = [:]

    init(replicaSets: [JSONValue], deployments: [JSONValue], statefulSets: [JSONValue] = []) {
        for (kind, objects) in [("Deployment", deployments), ("StatefulSet", statefulSets)] {
            for object in objects {
                let owner = Owner(kind: kind, namespace: Self.namespace(object), name: Self.name(object))
                replicas[owner] = object["spec"]?["replicas"]?.intValue ?? 1
            }
        }
        for replicaSet in replicaSets {
            let key = "\(Self.namespace(replicaSet))/\(Self.name(replicaSet))"
            let owners = replicaSet["metadata"]?["ownerReferences"]?.arrayValue ?? []
            if let deployment = owners.first(where: { $0["kind"]?.stringValue == "Deployment" })?["name"]?.stringValue {
                replicaSetOwner[key] = deployment
            } else {
                let owner = Owner(kind: "ReplicaSet", namespace: Self.namespace(replicaSet), name: Self.name(replicaSet))
                replicas[owner] = replicaSet["spec"]?["replicas"]?.intValue ?? 1
            }
        }
    }

    /// The workload a pod belongs to: its ReplicaSet's Deployment, else its controller.
    func owner(of pod: KubernetesPod) -> Owner? {
        guard let kind = pod.ownerKind, let name = pod.ownerName, !pod.isDaemonOrMirror else { return nil }
        if kind == "ReplicaSet", let deployment = replicaSetOwner["\(pod.namespace)/\(name)"] {
            return Owner(kind: "Deployment", namespace: pod.namespace, name: deployment)
        }
        return Owner(kind: kind, namespace: pod.namespace, name: name)
    }

    /// How many pods the selected pods' controllers want, as the disruption controller counts
    /// them; controllers whose scale is not known here count their live pods.
    func scale(of selected: [KubernetesPod], budget: PodDisruptionBudget) -> Int {
        var counted: [Owner: Int] = [:]
        var loose = 0
        for pod in selected {
            guard let owner = owner(of: pod) else {
                loose += 1
                continue
            }
            counted[owner] = replicas[owner] ?? ((counted[owner] ?? 0) + 1)
        }
        return max(counted.values.reduce(loose, +), budget.expectedPods)
    }

    private static func namespace(_ object: JSONValue) -> String { object["metadata"]?["namespace"]?.stringValue ?? "" }
    private static func name(_ object: JSONValue) -> String { object["metadata"]?["name"]?.stringValue ?? "" }
}
