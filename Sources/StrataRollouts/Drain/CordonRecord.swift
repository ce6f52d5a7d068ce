/// The record a rollout writes on every blue node it cordons, in the annotation
/// `strata.dev/rollout` = `<cluster>/<blue group>-><green group>`, set in the same patch as the
/// cordon: a cordoned node always says which rollout did it, so a run that finds the green group
/// gone (a rollout rolled back or killed) knows the cordon is an orphan and lifts it.
/// Node group names hold only letters, digits, `-` and `_`, so `->` cannot be part of one.
public struct CordonRecord: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The annotation key.
    public static let annotation = "strata.dev/rollout"

    public var cluster: String
    public var blueGroup: String
    public var greenGroup: String

    public init(cluster: String, blueGroup: String, greenGroup: String) {
        self.cluster = cluster
        self.blueGroup = blueGroup
        self.greenGroup = greenGroup
    }

    /// Reads an annotation value; nil when it is not one strata wrote.
    public init?(annotation value: String) {
        guard let slash = value.firstIndex(of: "/"), let arrow = value.range(of: "->", range: slash..<value.endIndex) else { return nil }
        let cluster = String(value[..<slash])
        let blue = String(value[value.index(after: slash)..<arrow.lowerBound])
        let green = String(value[arrow.upperBound...])
        guard !cluster.isEmpty, !blue.isEmpty, !green.isEmpty else { return nil }
        self.init(cluster: cluster, blueGroup: blue, greenGroup: green)
    }

    /// The annotation value.
    public var value: String { "\(cluster)/\(blueGroup)->\(greenGroup)" }
    public var description: String { value }
}
