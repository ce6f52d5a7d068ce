import AWSClient
import Foundation
import StrataCompiler
import StrataModel
import StrataProviders

/// One operation that failed, with what the user needs to act: the address, the action, the
/// AWS error code and request id when AWS refused.
public struct OperationFailure: Sendable, CustomStringConvertible {
    public var address: ResourceAddress
    public var action: String
    public var message: String
    public var code: String?
    public var requestID: String?

    public init(address: ResourceAddress, action: String, error: any Error) {
        self.address = address
        self.action = action
        let facts = ErrorFacts(error)
        message = facts.message
        code = facts.code
        requestID = facts.requestID
    }

    public var description: String { "\(action) \(address) failed: \(message)" }
}

/// The error code, request id and message of any error the providers throw.
struct ErrorFacts {
    var code: String?
    var requestID: String?
    var message: String

    init(_ error: any Error) {
        if let aws = error as? AWSError {
            code = aws.code
            requestID = aws.requestID
        } else if let blocked = error as? ExecutorError, case .deleteBlocked(_, _, let underlying, _) = blocked {
            code = underlying.code
            requestID = underlying.requestID
        }
        message = "\(error)"
    }

    /// Payload fields for a `resource.failed` event.
    var payload: [String: String] {
        var out = ["error": message]
        if let code { out["errorCode"] = code }
        if let requestID { out["requestId"] = requestID }
        return out
    }
}

/// What an apply or destroy did: counts and every failure, skip and interruption.
public struct ExecutionReport: Sendable {
    public var runID: String
    public var created: [ResourceAddress] = []
    public var updated: [ResourceAddress] = []
    public var deleted: [ResourceAddress] = []
    public var failures: [OperationFailure] = []
    /// Not run because something they depend on failed: address → the failed address.
    public var skipped: [(address: ResourceAddress, cause: ResourceAddress)] = []
    /// Not started: the run was interrupted (or, in a destroy, what the first deletions left in use).
    public var cancelled: [ResourceAddress] = []
    /// Started and cut off before strata saw the outcome (the run stopped waiting for them):
    /// AWS may have done them. The next plan finds what exists by its tags.
    public var interrupted: [(address: ResourceAddress, action: String)] = []
    public var blocked: [ResourceAddress] = []
    public var duration: Duration = .zero

    public init(runID: String) { self.runID = runID }

    public var succeeded: Bool { failures.isEmpty && skipped.isEmpty && cancelled.isEmpty && interrupted.isEmpty && blocked.isEmpty }

    /// A few lines for the end of a run: the counts, then each failure with code and request id.
    public var summary: String {
        var lines: [String] = []
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        lines.append(
            "\(created.count) created, \(updated.count) updated, \(deleted.count) deleted in \(String(format: "%.1f", seconds))s"
                + (failures.isEmpty ? "" : ", \(failures.count) failed")
                + (skipped.isEmpty ? "" : ", \(skipped.count) skipped")
                + (interrupted.isEmpty ? "" : ", \(interrupted.count) in an unknown state")
                + (cancelled.isEmpty ? "" : ", \(cancelled.count) not started"))
        for failure in failures { lines.append("  error: \(failure)") }
        for item in skipped.sorted(by: { $0.address < $1.address }) {
            lines.append("  skipped: \(item.address) (depends on \(item.cause), which failed)")
        }
        for item in interrupted {
            lines.append("  state unknown: \(item.action) \(item.address) was started and not seen to finish: \(Self.mayHave(item.action))")
        }
        for address in blocked { lines.append("  not run: \(address) (its dependencies form a cycle)") }
        return lines.joined(separator: "\n")
    }

    /// What an operation cut off may have done, for its `state unknown` line.
    static func mayHave(_ action: String) -> String {
        if action.hasPrefix("create") || action == "replace (create)" {
            return "it may exist; the next plan finds it by its tags and adopts it"
        }
        if action.hasSuffix("delete") || action == "replace (delete)" { return "it may be gone or going; the next plan says which" }
        if action == "settle" { return "it exists and was still coming up" }
        return "it may have changed; the next plan shows what is left to do"
    }
}

/// Why an apply, destroy or lock operation could not go on.
public enum ExecutorError: Error, CustomStringConvertible, Sendable {
    case eventsFile(String)
    case missingProvider(type: String, address: ResourceAddress)
    /// An update or delete without the live resource it acts on.
    case missingLive(ResourceAddress)
    /// Attributes still unknown when the resource's turn came.
    case unresolved(ResourceAddress, [String])
    /// AWS kept refusing a delete because something still uses the resource: `blockers` is what
    /// was found using it (AWS's message names none of it).
    case deleteBlocked(ResourceAddress, id: String, AWSError, blockers: [String])
    case lockHeld(stack: String, holder: LockHolder)
    case lockNotHeld(stack: String, runID: String, holder: LockHolder?)
    case lockTable(String)

    public var description: String {
        switch self {
        case .eventsFile(let message): return message
        case .missingProvider(let type, let address): return "no provider for \(type) (\(address))"
        case .missingLive(let address): return "\(address): the plan has no live resource to act on"
        case .unresolved(let address, let names):
            return "\(address): \(names.joined(separator: ", ")) still unknown when its turn came (depends on something not created)"
        case .deleteBlocked(let address, let id, let error, let blockers):
            let users = blockers.isEmpty ? "" : "; still in use by \(blockers.joined(separator: ", "))"
            return "\(address) (\(id)) cannot be deleted: still in use after retrying until the deadline. AWS says: \(error)\(users)"
        case .lockHeld(let stack, let holder):
            return "stack \(stack) is locked by \(holder.owner) (run \(holder.runID), since \(Event.timestampText(holder.since)), lease expires \(Event.timestampText(holder.expires))). "
                + "Wait for that run, or if it is dead: strata force-unlock \(stack) \(holder.runID)"
        case .lockNotHeld(let stack, let runID, let holder):
            if let holder {
                return "stack \(stack) is not locked by run \(runID): it is held by \(holder.owner) (run \(holder.runID))"
            }
            return "stack \(stack) is not locked (no lock for run \(runID))"
        case .lockTable(let message): return message
        }
    }
}
