import StrataKubernetes

/// What a drain does with a pod, decided as `kubectl drain` decides it: DaemonSet and mirror
/// pods stay (they go with the node), finished pods go, and a pod no controller recreates or
/// one holding `emptyDir` data is refused unless the drain is forced (`--force-drain`), since
/// evicting it loses the pod or its data for good.
enum PodDisposition: Equatable {
    case evict
    case leaveBehind
    case unmovable([UnmovablePod.Reason])

    /// Cluster Autoscaler's opt-in for pods whose local data is scratch: honoured here too.
    static let safeToEvictAnnotation = "cluster-autoscaler.kubernetes.io/safe-to-evict"

    init(_ pod: KubernetesPod) {
        if pod.isDaemonOrMirror {
            self = .leaveBehind
            return
        }
        if pod.isFinished || pod.annotations[Self.safeToEvictAnnotation] == "true" {
            self = .evict
            return
        }
        var reasons: [UnmovablePod.Reason] = []
        if pod.ownerKind == nil { reasons.append(.noController) }
        if !pod.emptyDirVolumes.isEmpty { reasons.append(.emptyDirData(pod.emptyDirVolumes)) }
        self = reasons.isEmpty ? .evict : .unmovable(reasons)
    }
}
