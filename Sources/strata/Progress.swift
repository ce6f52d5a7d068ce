import Foundation
import StrataExecutor
import StrataRollouts

/// Renders the executor's events for a person: on a terminal, a live view of the running
/// operations with their elapsed time (redrawn in place with ANSI, colour unless `NO_COLOR`),
/// above which each finished operation leaves one line; elsewhere (CI), one plain line per state
/// change. The engine never prints; this is the only place apply and destroy output is shaped.
final class ProgressView: EventSink, @unchecked Sendable {
    private struct Running {
        var action: String
        var started: Date
        var note: String
    }

    private let live: Bool
    private let colour: Bool
    private let lock = NSLock()
    private var running: [String: Running] = [:]
    private var waiting: [String: String] = [:]
    private var drawnLines = 0
    private var ticker: Task<Void, Never>?

    /// `live` redraws in place (a terminal); otherwise plain lines.
    init(live: Bool, colour: Bool) {
        self.live = live
        self.colour = colour
        if live {
            ticker = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    self?.redraw()
                }
            }
        }
    }

    /// The view standard output calls for: live on a terminal unless TERM=dumb.
    static func forStandardOutput() -> ProgressView {
        let environment = ProcessInfo.processInfo.environment
        let terminal = isatty(STDOUT_FILENO) == 1 && environment["TERM"] != "dumb"
        let noColour = !(environment["NO_COLOR"] ?? "").isEmpty
        return ProgressView(live: terminal, colour: terminal && !noColour)
    }

    func stop() {
        ticker?.cancel()
        lock.lock()
        clearBlock()
        lock.unlock()
    }

    func emit(_ event: Event) {
        lock.lock()
        defer { lock.unlock() }
        let address = event.payload["address"] ?? event.payload["what"] ?? ""
        let action = event.payload["action"] ?? ""
        var line: String?
        switch event.kind {
        case .resourceWaiting:
            waiting[address] = event.payload["waitingFor"]
        case .resourceCreating, .resourceUpdating, .resourceDeleting:
            waiting[address] = nil
            let verb = event.kind == .resourceCreating ? "creating" : event.kind == .resourceUpdating ? "updating" : "deleting"
            running[address] = Running(action: verb, started: event.timestamp, note: event.payload["id"] ?? "")
            if !live { line = "\(address): \(verb)…" + (event.payload["id"].map { " (\($0))" } ?? "") }
        case .resourceCreated, .resourceUpdated, .resourceDeleted:
            running[address] = nil
            let verb = event.kind == .resourceCreated ? "created" : event.kind == .resourceUpdated ? "updated" : "deleted"
            let id = event.payload["id"].map { " [\($0)]" } ?? ""
            line = paint("\(address): \(verb)\(id) after \(seconds(event.payload["elapsedSeconds"]))", "32")
        case .resourceFailed:
            running[address] = nil
            var text = "\(address): \(action) failed: \(event.payload["error"] ?? "")"
            if let code = event.payload["errorCode"] {
                text += " [code \(code)" + (event.payload["requestId"].map { ", request id \($0)" } ?? "") + "]"
            }
            line = paint(text, "31")
        case .resourceSkipped:
            waiting[address] = nil
            line = paint("\(address): skipped (depends on \(event.payload["cause"] ?? "?"), which failed)", "33")
        case .resourceRetrying:
            if var entry = running[address] {
                entry.note = "in use (\(event.payload["errorCode"] ?? "")), retry \(event.payload["attempt"] ?? "")"
                running[address] = entry
            }
            if !live {
                line = "\(address): \(action) refused (\(event.payload["errorCode"] ?? "")): \(event.payload["reason"] ?? ""); retrying"
            }
        case .sweepDeleted:
            line =
                "swept \(event.payload["what"] ?? "") \(event.payload["id"] ?? "")"
                + (event.payload["cluster"].map { " (left by controllers of cluster \($0))" } ?? "")
        case let kind where RolloutLines.kinds.contains(kind):
            line = rolloutLine(event)
        case .lockAcquired:
            line =
                "Acquired the lock on stack \(event.payload["stack"] ?? "") (run \(event.correlationId), lease \(event.payload["leaseSeconds"] ?? "?")s)"
        case .lockLost:
            line = paint("Lost the lock: \(event.payload["error"] ?? "")", "31")
        default:
            break
        }
        if live {
            clearBlock()
            if let line { print(line) }
            drawBlock()
        } else if let line {
            print(line)
        }
        fflush(nil)
    }

    /// A rollout's state change as one line; on a terminal its drain is also shown live in the
    /// running block (pods evicted, what blocks) until the blue group is deleted.
    /// The drain's own events name no cluster: one running line stands for the drain under way.
    private static let drainLine = "node pool drain"

    /// A drain's state (the drainer calls this as it changes): pods left and what blocks, live.
    func drainProgress(_ progress: DrainProgress) {
        lock.lock()
        defer { lock.unlock() }
        guard var entry = running[Self.drainLine] else { return }
        let left = progress.nodes.compactMap(\.podsLeft).reduce(0, +)
        let drained = progress.nodes.filter(\.drained).count
        let blocked = progress.nodes.flatMap(\.blocked)
        entry.note =
            "\(drained)/\(progress.nodes.count) nodes drained, \(progress.evicted) evicted, \(left) pods left"
            + (blocked.isEmpty ? "" : "; waiting: " + blocked.prefix(2).joined(separator: "; ") + (blocked.count > 2 ? " …" : ""))
        running[Self.drainLine] = entry
    }

    private func rolloutLine(_ event: Event) -> String? {
        let drain = Self.drainLine
        switch event.kind {
        case .nodeCordoned where running[drain] == nil:
            running[drain] = Running(action: "draining", started: event.timestamp, note: "")
        case .nodegroupDeleted, .rolloutRolledBack, .rolloutFinished:
            running[drain] = nil
        default:
            break
        }
        // Every eviction on a terminal would scroll the live view away; CI gets each one.
        if live && (event.kind == .podEvicted || event.kind == .nodeCordoned) { return nil }
        guard let text = RolloutLines.line(event) else { return nil }
        return event.kind == .rolloutRolledBack || event.kind == .evictionBlocked ? paint(text, "33") : text
    }

    private func redraw() {
        lock.lock()
        defer { lock.unlock() }
        clearBlock()
        drawBlock()
        fflush(nil)
    }

    /// The running operations, longest-running first, then a count of what waits.
    private func drawBlock() {
        guard live else { return }
        var lines: [String] = []
        let now = Date()
        for (address, entry) in running.sorted(by: { $0.value.started < $1.value.started }).prefix(15) {
            let elapsed = Int(now.timeIntervalSince(entry.started))
            let note = entry.note.isEmpty ? "" : " (\(entry.note))"
            lines.append(paint("  ⟳ \(address): \(entry.action)… \(elapsed)s\(note)", "36"))
        }
        if running.count > 15 { lines.append("  … and \(running.count - 15) more running") }
        if let (address, what) = waiting.sorted(by: { $0.key < $1.key }).first {
            lines.append("  \(waiting.count) waiting, e.g. \(address) for \(what)")
        }
        for line in lines { print(line) }
        drawnLines = lines.count
    }

    private func clearBlock() {
        guard live, drawnLines > 0 else { return }
        print("\u{1B}[\(drawnLines)A\u{1B}[J", terminator: "")
        drawnLines = 0
    }

    private func paint(_ text: String, _ code: String) -> String {
        colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    private func seconds(_ text: String?) -> String {
        guard let text, let value = Double(text) else { return "?" }
        return String(format: "%.1fs", value)
    }
}
