import AWSClient
import StrataModel

/// A node as rollouts see it.
public struct KubernetesNode: Sendable {
    public var name: String
    public var labels: [String: String]
    /// `metadata.annotations` (a rollout's cordon record lives there).
    public var annotations: [String: String]
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
        annotations = stringMap(object["metadata"]?["annotations"])
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
    public var annotations: [String: String]
    /// Kind of the controlling owner (`ReplicaSet`, `DaemonSet`, `Node` for mirror pods), if any.
    public var ownerKind: String?
    /// Name of that owner.
    public var ownerName: String?
    /// Being deleted (`metadata.deletionTimestamp` set).
    public var terminating: Bool
    /// `spec.terminationGracePeriodSeconds` (the API server's default is 30).
    public var terminationGracePeriodSeconds: Int
    /// Names of its `emptyDir` volumes: node-local data that goes with the pod.
    public var emptyDirVolumes: [String]
    public var object: JSONValue

    public init(object: JSONValue) {
        self.object = object
        namespace = object["metadata"]?["namespace"]?.stringValue ?? ""
        name = object["metadata"]?["name"]?.stringValue ?? ""
        nodeName = object["spec"]?["nodeName"]?.stringValue
        phase = object["status"]?["phase"]?.stringValue
        ready = condition("Ready", in: object)
        labels = stringMap(object["metadata"]?["labels"])
        annotations = stringMap(object["metadata"]?["annotations"])
        let owners = object["metadata"]?["ownerReferences"]?.arrayValue ?? []
        let controller = owners.first { $0["controller"] == .bool(true) } ?? owners.first
        ownerKind = controller?["kind"]?.stringValue
        ownerName = controller?["name"]?.stringValue
        terminating = object["metadata"]?["deletionTimestamp"].map { $0 != .null } ?? false
        terminationGracePeriodSeconds = object["spec"]?["terminationGracePeriodSeconds"]?.intValue ?? 30
        emptyDirVolumes = (object["spec"]?["volumes"]?.arrayValue ?? []).compactMap { volume in
            volume["emptyDir"] == nil ? nil : volume["name"]?.stringValue ?? ""
        }
    }

    /// A DaemonSet or mirror (static) pod: a drain leaves these, they go with the node.
    public var isDaemonOrMirror: Bool {
        ownerKind == "DaemonSet" || isMirror
    }

    /// A static pod's mirror, which the kubelet owns: the API cannot move it.
    public var isMirror: Bool {
        ownerKind == "Node" || annotations["kubernetes.io/config.mirror"] != nil
    }

    /// Ran to completion or failed: nothing is lost when it goes.
    public var isFinished: Bool { phase == "Succeeded" || phase == "Failed" }

    /// `namespace/name`, as messages name a pod.
    public var reference: String { "\(namespace)/\(name)" }
}

/// A policy/v1 PodDisruptionBudget with the status the API server keeps.
public struct PodDisruptionBudget: Sendable {
    public var namespace: String
    public var name: String
    public var matchLabels: [String: String]
    /// The whole selector; nil (no selector) selects no pod.
    public var selector: LabelSelector?
    /// `spec.minAvailable` / `spec.maxUnavailable`: a count or a percentage.
    public var minAvailable: IntOrPercent?
    public var maxUnavailable: IntOrPercent?
    public var disruptionsAllowed: Int
    public var currentHealthy: Int
    public var desiredHealthy: Int
    /// How many pods the disruption controller expects (the scale of what the budget selects).
    public var expectedPods: Int
    /// The controller's reason it cannot compute the budget (`SyncFailed`: e.g. a selected pod
    /// has no controller and the budget is a percentage), nil when it can.
    public var syncFailure: String?
    public var object: JSONValue

    public init(object: JSONValue) {
        self.object = object
        namespace = object["metadata"]?["namespace"]?.stringValue ?? ""
        name = object["metadata"]?["name"]?.stringValue ?? ""
        matchLabels = stringMap(object["spec"]?["selector"]?["matchLabels"])
        selector = LabelSelector(object: object["spec"]?["selector"])
        minAvailable = IntOrPercent(object["spec"]?["minAvailable"])
        maxUnavailable = IntOrPercent(object["spec"]?["maxUnavailable"])
        let status = object["status"]
        disruptionsAllowed = Int(status?["disruptionsAllowed"]?.intValue ?? 0)
        currentHealthy = Int(status?["currentHealthy"]?.intValue ?? 0)
        desiredHealthy = Int(status?["desiredHealthy"]?.intValue ?? 0)
        expectedPods = Int(status?["expectedPods"]?.intValue ?? 0)
        let allowed = (status?["conditions"]?.arrayValue ?? []).first { $0["type"]?.stringValue == "DisruptionAllowed" }
        syncFailure =
            allowed?["reason"]?.stringValue == "SyncFailed" ? (allowed?["message"]?.stringValue ?? "SyncFailed") : nil
    }

    /// Whether the budget covers `pod`: same namespace, and its selector matches.
    public func selects(_ pod: KubernetesPod) -> Bool {
        pod.namespace == namespace && (selector?.matches(pod.labels) ?? false)
    }
}

/// A Kubernetes `IntOrString` count: `2` or `"50%"`.
public enum IntOrPercent: Sendable, Equatable, CustomStringConvertible {
    case count(Int)
    case percent(Int)

    public init?(_ value: JSONValue?) {
        switch value {
        case .int(let number)?: self = .count(number)
        case .string(let text)? where text.hasSuffix("%"):
            guard let number = Int(text.dropLast()) else { return nil }
            self = .percent(number)
        case .string(let text)?:
            guard let number = Int(text) else { return nil }
            self = .count(number)
        default: return nil
        }
    }

    /// The count out of `total`, percentages rounded up (as the disruption controller does).
    public func resolved(total: Int) -> Int {
        switch self {
        case .count(let number): number
        case .percent(let number): (number * total + 99) / 100
        }
    }

    public var description: String {
        switch self {
        case .count(let number): "\(number)"
        case .percent(let number): "\(number)%"
        }
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
