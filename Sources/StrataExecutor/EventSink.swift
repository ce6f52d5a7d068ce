import Foundation
import StrataCompiler
import StrataModel

/// Where the engine's events go. The engine emits and never prints; the command line decides
/// how to show them (live view, plain lines, JSON lines file).
public protocol EventSink: Sendable {
    func emit(_ event: Event)
}

/// Writes each event as one JSON line to a file (`--events FILE`), flushed per event so a
/// killed run leaves every event it emitted.
public final class JSONLinesEventSink: EventSink, @unchecked Sendable {
    private let handle: FileHandle
    private let lock = NSLock()

    /// Creates (or truncates) `url`.
    public init(url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw ExecutorError.eventsFile("cannot create the events file \(url.path)")
        }
        handle = try FileHandle(forWritingTo: url)
    }

    public func emit(_ event: Event) {
        let line = Data((event.jsonLine() + "\n").utf8)
        lock.lock()
        defer { lock.unlock() }
        try? handle.write(contentsOf: line)
    }

    deinit { try? handle.close() }
}

/// Hands each event to a closure (the command line's renderer, a test's collector).
public struct ClosureEventSink: EventSink {
    private let body: @Sendable (Event) -> Void
    public init(_ body: @escaping @Sendable (Event) -> Void) { self.body = body }
    public func emit(_ event: Event) { body(event) }
}

/// Sends every event to each of several sinks.
public struct FanoutEventSink: EventSink {
    public var sinks: [any EventSink]
    public init(_ sinks: [any EventSink]) { self.sinks = sinks }
    public func emit(_ event: Event) { for sink in sinks { sink.emit(event) } }
}

/// Keeps every event in memory (tests, and the critical-path computation).
public final class CollectingEventSink: EventSink, @unchecked Sendable {
    private var stored: [Event] = []
    private let lock = NSLock()
    public init() {}
    public func emit(_ event: Event) {
        lock.lock()
        stored.append(event)
        lock.unlock()
    }
    public var events: [Event] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}

/// Stamps events with the run id and sends them to a sink: what the engine's parts hold.
public struct EventEmitter: Sendable {
    public var runID: String
    public var sink: any EventSink

    public init(runID: String, sink: any EventSink) {
        self.runID = runID
        self.sink = sink
    }

    /// An emitter that drops everything.
    public static func discarding(runID: String = UUID().uuidString.lowercased()) -> EventEmitter {
        EventEmitter(runID: runID, sink: ClosureEventSink { _ in })
    }

    public func emit(_ kind: EventKind, plane: String = Plane.control.rawValue, _ payload: [String: String] = [:]) {
        sink.emit(Event(plane: plane, kind: kind, payload: payload, correlationId: runID))
    }
}
