import Foundation

/// Asks a run to start nothing more while what already runs goes on (an interrupted apply).
/// Unlike cancelling its task, this leaves running operations alone: a create AWS is answering
/// is seen through, so the run can say it was created instead of guessing.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false

    public init() {}

    public func stop() { lock.withLock { stopped = true } }

    public var isStopped: Bool { lock.withLock { stopped } }
}
