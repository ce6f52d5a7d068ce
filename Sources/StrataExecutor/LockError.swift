import Foundation

/// Why the stack's lock could not be taken, kept or given back.
public enum LockError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Another run holds an unexpired lease.
    case held(stack: String, holder: LockHolder)
    /// This run (`runID`) does not hold the lock it meant to renew or release: its lease expired
    /// and another run took it, or someone removed it.
    case notHeld(stack: String, runID: String, holder: LockHolder?)
    /// The lock table could not be made ready.
    case table(String)

    public var description: String {
        switch self {
        case .held(let stack, let holder):
            return
                "stack \(stack) is locked by \(holder.owner) (run \(holder.runID), since \(Event.timestampText(holder.since)), lease expires \(Event.timestampText(holder.expires))). "
                + "Wait for that run (--lock-timeout), or if it is dead: strata force-unlock \(stack) \(holder.runID)"
        case .notHeld(let stack, let runID, let holder):
            if let holder {
                return "stack \(stack) is not locked by run \(runID): it is held by \(holder.owner) (run \(holder.runID))"
            }
            return "stack \(stack) is not locked (no lock for run \(runID))"
        case .table(let message): return message
        }
    }
}
