import AWSClient
import Foundation
import StrataCompiler
import StrataModel
import StrataProviders
import StrataSyntax

/// One operation that failed, with what the user needs to act: the action and the one
/// ``ProviderError`` it failed with (the address, the AWS error code and request id when AWS
/// refused, and the stack line at fault when known).
public struct OperationFailure: Sendable, CustomStringConvertible {
    public var address: ResourceAddress
    public var action: String
    public var error: ProviderError

    /// `error` is what the step threw; ``Applier`` has already made it a ``ProviderError`` naming
    /// its change's span, anything else (the destroy's sweep) is made one here.
    public init(address: ResourceAddress, action: String, error: any Error) {
        self.address = address
        self.action = action
        self.error = ProviderError(error, type: address.type, address: address)
    }

    public var message: String { error.summary }
    public var code: String? { error.awsCode }
    public var requestID: String? { error.requestID }

    /// The failure as a compiler diagnostic (``ProviderError/diagnostic(action:)``).
    public var diagnostic: Diagnostic { error.diagnostic(action: action) }

    /// One line: `create aws_subnet.a failed: <what> [AWS code C, request id R]`.
    public var description: String {
        "\(action) \(address) failed: \(error.what)" + (code.map { " [AWS code \($0), request id \(requestID ?? "none given")]" } ?? "")
    }
}

extension ProviderError {
    /// Payload fields for a `resource.failed` event: the message, and as fields of their own the
    /// AWS code and request id, the attribute at fault and where the stack set it.
    var eventPayload: [String: String] {
        var out = ["error": what]
        if let awsCode { out["errorCode"] = awsCode }
        if let requestID { out["requestId"] = requestID }
        if let attribute { out["attribute"] = attribute }
        if let span { out["source"] = span.description }
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
    /// What rollouts did beyond their events (Karpenter nodes behind, pods force-deleted).
    public var rolloutNotes: [String] = []
    public var duration: Duration = .zero

    public init(runID: String) { self.runID = runID }

    public var succeeded: Bool { failures.isEmpty && skipped.isEmpty && cancelled.isEmpty && interrupted.isEmpty && blocked.isEmpty }

    /// A few lines for the end of a run: the counts, then each failure with code and request id.
    public var summary: String {
        ([headline] + failures.map { "  error: \($0)" } + outcomeNotes).joined(separator: "\n")
    }

    /// The counts: `3 created, 0 updated, 1 deleted in 2.5s, 1 failed`.
    public var headline: String {
        let seconds = duration / .seconds(1)
        return "\(created.count) created, \(updated.count) updated, \(deleted.count) deleted in \(String(format: "%.1f", seconds))s"
            + (failures.isEmpty ? "" : ", \(failures.count) failed")
            + (skipped.isEmpty ? "" : ", \(skipped.count) skipped")
            + (interrupted.isEmpty ? "" : ", \(interrupted.count) in an unknown state")
            + (cancelled.isEmpty ? "" : ", \(cancelled.count) not started")
    }

    /// One line per operation that did not run or whose outcome is unknown (failures are
    /// rendered apart, as diagnostics).
    public var outcomeNotes: [String] {
        var lines: [String] = []
        for item in skipped.sorted(by: { $0.address < $1.address }) {
            lines.append("  skipped: \(item.address) (depends on \(item.cause), which failed)")
        }
        for item in interrupted {
            lines.append("  state unknown: \(item.action) \(item.address) was started and not seen to finish: \(Self.mayHave(item.action))")
        }
        for address in blocked { lines.append("  not run: \(address) (its dependencies form a cycle)") }
        lines += rolloutNotes.map { "  rollout: \($0)" }
        return lines
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

/// Why an apply or destroy could not go on (a resource step's failure is reported as the
/// ``ProviderError`` made of it; the lock's are ``LockError``).
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
        }
    }
}
