import AWSClient
import Foundation
import StrataModel
import StrataProviders

/// The order deletions go in when the graph cannot say (orphans no longer in the stack files,
/// a destroy): a static rank per type, dependents first, declared by each type's provider
/// (``DeletionRule``). Lower ranks are deleted first.
///
/// A rank is not a barrier for every type above it: a delete waits only for the lower-ranked
/// types AWS refuses it while they exist (``DeletionRule/waitsFor``). A subnet waits for its route table
/// associations and NAT gateways, not for every security group of the stack; with one barrier
/// per rank, a 490-resource destroy ran its disassociations, then its security groups, then its
/// subnets, each stage a floor of AWS's per-action write limits, end to end. Every wait still
/// goes from a lower rank to a higher one, so no set of deletes can wait on itself.
public enum DeletionRank {
    /// The rule of each type, as its provider declares it (``DeletionRule``).
    static let rules: [String: DeletionRule] = ProviderRegistry.all.mapValues(\.deletion)

    static var clusterRank: Int { DeletionRule.clusterRank }

    /// The type's rank; a type strata does not know goes in the middle.
    public static func rank(of type: String) -> Int { rules[type]?.rank ?? clusterRank }

    /// Whether a resource of type `first` must be deleted before one of type `second`.
    public static func deletes(_ first: String, before second: String) -> Bool {
        let (lower, higher) = (rank(of: first), rank(of: second))
        guard lower < higher else { return false }
        if lower <= clusterRank { return true }
        guard let waits = rules[second]?.waitsFor else { return true }
        return waits[first] != nil
    }

    /// Whether `first` must be deleted before `second`, given the strings `first`'s attributes
    /// hold (``strings(in:)``): by type, narrowed to what names `second` where the pair allows.
    static func deletes(_ first: LiveResource, naming names: Set<String>, before second: LiveResource) -> Bool {
        guard deletes(first.type, before: second.type) else { return false }
        guard rules[second.type]?.waitsFor?[first.type] == .naming else { return true }
        return names.contains(second.id)
    }

    /// Every string in `attributes`, however deep: the ids a resource names.
    static func strings(in attributes: [String: Value]) -> Set<String> {
        var found = Set<String>()
        var pending = Array(attributes.values)
        while let value = pending.popLast() {
            switch value {
            case .string(let text): found.insert(text)
            case .list(let items): pending.append(contentsOf: items)
            case .map(let members): pending.append(contentsOf: members.values)
            default: break
            }
        }
        return found
    }
}

/// Deletes through a provider, retrying `DependencyViolation` (something still uses the resource:
/// an ENI releasing, a controller's leftovers) with backoff until a deadline, then reporting it
/// with the AWS error and, for network resources, what still uses them (``NetworkBlockers``).
struct RetryingDelete: Sendable {
    var deadline: Duration
    var firstPause: Duration
    var events: EventEmitter

    func delete(
        _ live: LiveResource, address: ResourceAddress, plane: String, provider: any ResourceProvider, context: ProviderContext
    ) async throws {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: deadline)
        var pause = firstPause
        var attempt = 1
        while true {
            do {
                try await provider.delete(live, context)
                return
            } catch let error as AWSError where error.isDependencyViolation {
                guard clock.now.advanced(by: pause) < end else {
                    let blockers = await NetworkBlockers(client: context.client).of(type: live.type, id: live.id)
                    throw ExecutorError.deleteBlocked(address, id: live.id, error, blockers: blockers)
                }
                events.emit(
                    .resourceRetrying, plane: plane,
                    [
                        "address": address.canonical, "type": live.type, "id": live.id, "action": "delete",
                        "attempt": String(attempt), "errorCode": error.code, "requestId": error.requestID ?? "",
                        "reason": error.message,
                    ])
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(30))
                attempt += 1
            }
        }
    }
}
