import StrataKubernetes

/// A pod by namespace and name, as drains report it (`shop/web-7d4b9-x2k4q`).
public struct PodName: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    public init(_ pod: KubernetesPod) { self.init(namespace: pod.namespace, name: pod.name) }

    public var description: String { "\(namespace)/\(name)" }
    public static func < (lhs: PodName, rhs: PodName) -> Bool { lhs.description < rhs.description }
}
