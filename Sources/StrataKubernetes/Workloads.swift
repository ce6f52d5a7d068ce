import AWSClient
import StrataModel

/// A node as rollouts see it.
public struct KubernetesNode: Sendable {
    public var name: String
    public var labels: [String: String]
    public var unschedulable: Bool
    /// The `Ready` condition is `True`.
    public var ready: Bool
    /// `status.nodeInfo.kubeletVersion`.
    public var kubeletVersion: String?
    public var object: JSONValue

    public init(object: JSONValue) {
        self.object = object
        name = object["metadata"]?["name"]?.stringValue ?? ""
        labels = stringMap(object["metadata"]?["labels"])
        if case .bool(let flag)? = object["spec"]?["unschedulable"] { unschedulable = flag } else { unschedulable = false }
        ready = condition("Ready", in: object)
        kubeletVersion = object["status"]?["nodeInfo"]?["kubeletVersion"]?.stringValue
    }
}

/// A pod as drains see it.
public struct KubernetesPod: Sendable {
    public var namespace: String
    public var name: String
    public var nodeName: String?
    public var phase: String?
    public var ready: Bool
    public var labels: [String: String]
    /// Kind of the controlling owner (`ReplicaSet`, `DaemonSet`, `Node` for mirror pods), if any.
    public var ownerKind: String?
    /// Being deleted (`metadata.deletionTimestamp` set).
    public var terminating: Bool
    public var object: JSONValue

    public init(object: JSONValue) {
        self.object = object
        namespace = object["metadata"]?["namespace"]?.stringValue ?? ""
        name = object["metadata"]?["name"]?.stringValue ?? ""
        nodeName = object["spec"]?["nodeName"]?.stringValue
        phase = object["status"]?["phase"]?.stringValue
        ready = condition("Ready", in: object)
        labels = stringMap(object["metadata"]?["labels"])
        let owners = object["metadata"]?["ownerReferences"]?.arrayValue ?? []
        let controller = owners.first { $0["controller"] == .bool(true) } ?? owners.first
        ownerKind = controller?["kind"]?.stringValue
        terminating = object["metadata"]?["deletionTimestamp"].map { $0 != .null } ?? false
    }

    /// A DaemonSet or mirror (static) pod: a drain leaves these, they go with the node.
    public var isDaemonOrMirror: Bool {
        ownerKind == "DaemonSet" || ownerKind == "Node"
            || object["metadata"]?["annotations"]?["kubernetes.io/config.mirror"] != nil
    }
}

/// A policy/v1 PodDisruptionBudget with the status the API server keeps.
public struct PodDisruptionBudget: Sendable {
    public var namespace: String
    public var name: String
    public var matchLabels: [String: String]
    public var disruptionsAllowed: Int
    public var currentHealthy: Int
    public var desiredHealthy: Int
    public var object: JSONValue

    public init(object: JSONValue) {
        self.object = object
        namespace = object["metadata"]?["namespace"]?.stringValue ?? ""
        name = object["metadata"]?["name"]?.stringValue ?? ""
        matchLabels = stringMap(object["spec"]?["selector"]?["matchLabels"])
        let status = object["status"]
        disruptionsAllowed = Int(status?["disruptionsAllowed"]?.intValue ?? 0)
        currentHealthy = Int(status?["currentHealthy"]?.intValue ?? 0)
        desiredHealthy = Int(status?["desiredHealthy"]?.intValue ?? 0)
    }
}

/// What the Eviction API answered.
public enum EvictionOutcome: Sendable, Equatable {
    /// 201: the pod is being deleted.
    case evicted(namespace: String, pod: String)
    /// 429: a disruption budget allows no disruption now; `message` names the budget.
    case blockedByBudget(namespace: String, pod: String, message: String)
    /// 500: more than one budget selects the pod, which the Eviction API refuses outright.
    case multipleBudgets(namespace: String, pod: String, message: String)
    /// 404: the pod is already gone.
    case gone(namespace: String, pod: String)

    /// The pod is or will be gone without further asking.
    public var isDone: Bool {
        switch self {
        case .evicted, .gone: true
        case .blockedByBudget, .multipleBudgets: false
        }
    }
}

private func stringMap(_ value: JSONValue?) -> [String: String] {
    guard case .object(let members)? = value else { return [:] }
    return members.compactMapValues(\.stringValue)
}

private func condition(_ type: String, in object: JSONValue) -> Bool {
    let conditions = object["status"]?["conditions"]?.arrayValue ?? []
    return conditions.contains { $0["type"]?.stringValue == type && $0["status"]?.stringValue == "True" }
}
