import AWSClient
import Foundation
import StrataCompiler
import StrataModel
import StrataProviders

/// The order deletions go in when the graph cannot say (orphans no longer in the stack files,
/// a destroy): a static rank per type, dependents first. Lower ranks are deleted first.
///
/// A rank is not a barrier for every type above it: a delete waits only for the lower-ranked
/// types AWS refuses it while they exist (``waitsFor``). A subnet waits for its route table
/// associations and NAT gateways, not for every security group of the stack; with one barrier
/// per rank, a 490-resource destroy ran its disassociations, then its security groups, then its
/// subnets, each stage a floor of AWS's per-action write limits, end to end. Every wait still
/// goes from a lower rank to a higher one, so no set of deletes can wait on itself.
public enum DeletionRank {
    static let ranks: [String: Int] = [
        "kubernetes_manifest": 0,
        "aws_eks_addon": 1, "aws_eks_pod_identity_association": 1, "aws_eks_access_policy_association": 1,
        "aws_eks_node_group": 2, "aws_eks_access_entry": 2, "aws_eks_fargate_profile": 2,
        "aws_eks_cluster": 3, "aws_iam_openid_connect_provider": 3,
        "aws_route_table_association": 4, "aws_iam_role_policy_attachment": 4, "aws_iam_role_policy": 4,
        "aws_launch_template": 4, "aws_security_group_rule": 4, "aws_vpc_security_group_ingress_rule": 4,
        "aws_vpc_security_group_egress_rule": 4, "aws_cloudwatch_event_target": 4, "aws_sqs_queue_policy": 4,
        "aws_kms_alias": 4,
        "aws_route": 5, "aws_iam_instance_profile": 5, "aws_nat_gateway": 5, "aws_cloudwatch_event_rule": 5,
        "aws_cloudwatch_log_group": 5, "aws_sqs_queue": 5,
        "aws_route_table": 6, "aws_iam_role": 6, "aws_iam_policy": 6, "aws_security_group": 6, "aws_kms_key": 6,
        "aws_eip": 6,
        "aws_subnet": 7, "aws_internet_gateway": 7,
        "aws_vpc": 8,
    ]

    /// Ranks up to this one are the cluster and what runs in it: everything above waits for all
    /// of them (a cluster being deleted still uses its roles, subnets, groups and keys).
    static let clusterRank = 3

    /// Which resources of a lower-ranked type a delete waits for: every one, or only those
    /// whose attributes name the resource being deleted (a subnet waits for its own
    /// associations, not for every subnet's).
    enum Wait: Sendable { case every, naming }

    /// For types above ``clusterRank``, the lower-ranked types (above it) that must be gone
    /// before one of this type can be deleted. A type not listed waits for every lower rank.
    static let waitsFor: [String: [String: Wait]] = [
        "aws_route_table_association": [:], "aws_iam_role_policy_attachment": [:], "aws_iam_role_policy": [:],
        "aws_launch_template": [:], "aws_security_group_rule": [:], "aws_vpc_security_group_ingress_rule": [:],
        "aws_vpc_security_group_egress_rule": [:], "aws_cloudwatch_event_target": [:], "aws_sqs_queue_policy": [:],
        "aws_kms_alias": [:],
        "aws_route": [:],
        // The profile's role leaves it first; a launch template names the profile.
        "aws_iam_instance_profile": ["aws_launch_template": .every],
        "aws_nat_gateway": [:],
        "aws_cloudwatch_event_rule": ["aws_cloudwatch_event_target": .every],
        "aws_cloudwatch_log_group": [:],
        "aws_sqs_queue": ["aws_sqs_queue_policy": .every, "aws_cloudwatch_event_target": .every],
        "aws_route_table": ["aws_route_table_association": .naming, "aws_route": .naming],
        "aws_iam_role": ["aws_iam_role_policy_attachment": .every, "aws_iam_role_policy": .every, "aws_iam_instance_profile": .every],
        "aws_iam_policy": ["aws_iam_role_policy_attachment": .every],
        // A rule of another group naming this one, a launch template using it: DependencyViolation.
        "aws_security_group": [
            "aws_security_group_rule": .naming, "aws_vpc_security_group_ingress_rule": .naming,
            "aws_vpc_security_group_egress_rule": .naming, "aws_launch_template": .naming,
        ],
        // A NAT gateway holds its address until it is deleted.
        "aws_eip": ["aws_nat_gateway": .naming],
        // A subnet holding an association or a NAT gateway's interface: DependencyViolation.
        "aws_subnet": ["aws_route_table_association": .naming, "aws_nat_gateway": .naming],
        // "Network has some mapped public address(es)": NAT gateways and their addresses first.
        "aws_internet_gateway": ["aws_nat_gateway": .every, "aws_eip": .every, "aws_route": .every],
    ]

    /// The type's rank; types not listed go in the middle.
    public static func rank(of type: String) -> Int { ranks[type] ?? 3 }

    /// Whether a resource of type `first` must be deleted before one of type `second`.
    public static func deletes(_ first: String, before second: String) -> Bool {
        let (lower, higher) = (rank(of: first), rank(of: second))
        guard lower < higher else { return false }
        if lower <= clusterRank { return true }
        guard let waits = waitsFor[second] else { return true }
        return waits[first] != nil
    }

    /// Whether `first` must be deleted before `second`, given the strings `first`'s attributes
    /// hold (``strings(in:)``): by type, narrowed to what names `second` where the pair allows.
    static func deletes(_ first: LiveResource, naming names: Set<String>, before second: LiveResource) -> Bool {
        guard deletes(first.type, before: second.type) else { return false }
        guard waitsFor[second.type]?[first.type] == .naming else { return true }
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
