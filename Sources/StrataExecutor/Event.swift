import Foundation

/// One thing that happened during a run, as DESIGN.md "Events" lays out: written as one JSON
/// line to `--events FILE` and rendered by the command line. Payloads carry addresses, types,
/// ids, actions, durations and AWS error codes and request ids, never attribute values (so never
/// a secret).
public struct Event: Sendable, Equatable, Codable {
    public var id: UUID
    /// The resource's plane (`network`, `security`, ...), `control` for run-level events.
    public var plane: String
    public var kind: EventKind
    public var payload: [String: String]
    public var timestamp: Date
    /// The run id: every event of one apply or destroy shares it.
    public var correlationId: String

    public init(
        id: UUID = UUID(), plane: String, kind: EventKind, payload: [String: String], timestamp: Date = Date(),
        correlationId: String
    ) {
        self.id = id
        self.plane = plane
        self.kind = kind
        self.payload = payload
        self.timestamp = timestamp
        self.correlationId = correlationId
    }

    enum CodingKeys: String, CodingKey { case id, plane, kind, payload, timestamp, correlationId }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.uuidString.lowercased(), forKey: .id)
        try container.encode(plane, forKey: .plane)
        try container.encode(kind.rawValue, forKey: .kind)
        try container.encode(payload, forKey: .payload)
        try container.encode(Self.timestampText(timestamp), forKey: .timestamp)
        try container.encode(correlationId, forKey: .correlationId)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let idText = try container.decode(String.self, forKey: .id)
        guard let id = UUID(uuidString: idText) else {
            throw DecodingError.dataCorruptedError(forKey: .id, in: container, debugDescription: "not a UUID: \(idText)")
        }
        let stamp = try container.decode(String.self, forKey: .timestamp)
        guard let date = Self.parseTimestamp(stamp) else {
            throw DecodingError.dataCorruptedError(forKey: .timestamp, in: container, debugDescription: "not ISO 8601: \(stamp)")
        }
        self.init(
            id: id, plane: try container.decode(String.self, forKey: .plane),
            kind: EventKind(rawValue: try container.decode(String.self, forKey: .kind)),
            payload: try container.decode([String: String].self, forKey: .payload), timestamp: date,
            correlationId: try container.decode(String.self, forKey: .correlationId))
    }

    /// The event as one JSON line (keys sorted, no trailing newline).
    public func jsonLine() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// ISO 8601 in UTC with milliseconds: `2026-11-28T17:02:03.123Z`.
    public static func timestampText(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    public static func parseTimestamp(_ text: String) -> Date? {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt).parse(text))
            ?? (try? Date.ISO8601FormatStyle(timeZone: .gmt).parse(text))
    }
}

/// What an event says happened. Open (a string underneath) so later emitters (rollouts, drift)
/// add kinds without touching this file; the ones the executor emits are listed.
public struct EventKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public static let applyStarted = EventKind(rawValue: "apply.started")
    public static let applyFinished = EventKind(rawValue: "apply.finished")
    public static let destroyStarted = EventKind(rawValue: "destroy.started")
    public static let destroyFinished = EventKind(rawValue: "destroy.finished")
    public static let lockAcquired = EventKind(rawValue: "lock.acquired")
    public static let lockRenewed = EventKind(rawValue: "lock.renewed")
    public static let lockReleased = EventKind(rawValue: "lock.released")
    public static let lockLost = EventKind(rawValue: "lock.lost")
    /// A resource waits for others to finish first (payload `waitingFor`).
    public static let resourceWaiting = EventKind(rawValue: "resource.waiting")
    public static let resourceCreating = EventKind(rawValue: "resource.creating")
    public static let resourceCreated = EventKind(rawValue: "resource.created")
    public static let resourceUpdating = EventKind(rawValue: "resource.updating")
    public static let resourceUpdated = EventKind(rawValue: "resource.updated")
    public static let resourceDeleting = EventKind(rawValue: "resource.deleting")
    public static let resourceDeleted = EventKind(rawValue: "resource.deleted")
    public static let resourceFailed = EventKind(rawValue: "resource.failed")
    /// Not run because something it depends on failed (payload `cause`).
    public static let resourceSkipped = EventKind(rawValue: "resource.skipped")
    /// The run was interrupted while this operation ran, and stopped waiting for it: its
    /// outcome is unknown (payload `action`, `state: unknown`).
    public static let resourceInterrupted = EventKind(rawValue: "resource.interrupted")
    /// An operation AWS refused for now (DependencyViolation) is tried again after a pause.
    public static let resourceRetrying = EventKind(rawValue: "resource.retrying")
    /// Destroy removed something a controller created (Karpenter instance, ENI, ...).
    public static let sweepDeleted = EventKind(rawValue: "sweep.deleted")
}
