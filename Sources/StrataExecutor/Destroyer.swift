import AWSClient
import Foundation
import StrataCompiler
import StrataPlanner
import StrataProviders

/// Deletes everything a stack owns: every live resource tagged for it (found by the planner's
/// discovery), dependents first. Before the subnets and the VPC go, it sweeps what controllers
/// created in them that carries no strata tag: Karpenter's instances and launch templates, the
/// AWS Load Balancer Controller's security groups, ENIs left available in the stack's subnets.
/// A delete refused with DependencyViolation is retried until a deadline, then reported naming
/// what AWS says blocks it.
public struct Destroyer: Sendable {
    public var context: ProviderContext
    public var providers: [String: any ResourceProvider]
    public var parallelism: Int
    public var events: EventEmitter
    public var deleteDeadline: Duration

    /// Types deleted after the controller sweep (the sweep's leftovers live in them).
    static let afterSweep: Set<String> = ["aws_subnet", "aws_internet_gateway", "aws_vpc"]

    public init(
        context: ProviderContext, events: EventEmitter, parallelism: Int = 10,
        providers: [String: any ResourceProvider] = ProviderRegistry.all, deleteDeadline: Duration = .seconds(300)
    ) {
        self.context = context
        self.providers = providers
        self.parallelism = parallelism
        self.events = events
        self.deleteDeadline = deleteDeadline
    }

    /// The deletions destroy would make, as a plan (what `strata destroy` shows before asking).
    /// `graph` (the compiled stack, if it compiles) orders dependents first where the static
    /// type ranks do not already.
    public func plan(graph: CompiledGraph?) async throws -> Plan {
        let live = try await Discovery(context: context, providers: providers).discoverAll()
        var dependentsOf: [ResourceAddress: [ResourceAddress]] = [:]
        if let graph {
            for instance in graph.instances {
                for dependency in instance.dependencies { dependentsOf[dependency, default: []].append(instance.address) }
            }
        }
        let addresses = Dictionary(live.map { (Self.address(of: $0), $0) }, uniquingKeysWith: { first, _ in first })
        let changes = addresses.map { address, resource in
            let rank = DeletionRank.rank(of: resource.type)
            // Graph edges that agree with the ranks (a rank never waits for a higher one, so
            // the two together cannot form a cycle).
            let first = (dependentsOf[address] ?? []).filter { dependent in
                guard let other = addresses[dependent] else { return false }
                return DeletionRank.rank(of: other.type) == rank
            }
            return ResourceChange(
                address: address, type: resource.type, plane: ResourceCatalog.all[resource.type]?.plane ?? .control,
                action: .delete, before: resource.attributes, after: nil, live: resource, dependencies: first.sorted(),
                sensitiveAttributes: ResourceCatalog.all[resource.type]?.attributes.values.filter(\.sensitive).map(\.name).sorted() ?? [])
        }
        return Plan(
            stack: context.stack, region: context.region, stackPath: "", changes: changes, liveFingerprint: "")
    }

    /// Deletes everything in `plan` (from ``plan(graph:)``): first all but the subnets, gateways
    /// and VPC, then the controllers' leftovers, then those.
    public func destroy(_ plan: Plan) async -> ExecutionReport {
        let clock = ContinuousClock()
        let start = clock.now
        events.emit(.destroyStarted, ["stack": plan.stack, "resources": String(plan.changes.count)])
        let applier = Applier(
            context: context, events: EventEmitter(runID: events.runID, sink: QuietApplySink(inner: events.sink)),
            parallelism: parallelism, providers: providers, deleteDeadline: deleteDeadline)
        var first = plan
        first.changes = plan.changes.filter { !Self.afterSweep.contains($0.type) }
        var report = await applier.apply(first)
        if report.succeeded {
            let vpcIDs = plan.changes.filter { $0.type == "aws_vpc" }.compactMap { $0.live?.id }
            let subnetIDs = plan.changes.filter { $0.type == "aws_subnet" }.compactMap { $0.live?.id }
            let clusters = plan.changes.filter { $0.type == "aws_eks_cluster" }.compactMap {
                $0.live?.attributes["name"]?.stringValue ?? $0.live?.id
            }
            do {
                try await ControllerSweep(client: context.client, events: events, deadline: deleteDeadline, waits: context.waits)
                    .sweep(clusters: clusters, vpcIDs: vpcIDs, subnetIDs: subnetIDs)
                var second = plan
                second.changes = plan.changes.filter { Self.afterSweep.contains($0.type) }
                let rest = await applier.apply(second)
                report.deleted += rest.deleted
                report.failures += rest.failures
                report.skipped += rest.skipped
                report.cancelled += rest.cancelled
                report.blocked += rest.blocked
            } catch {
                report.failures.append(
                    OperationFailure(
                        address: ResourceAddress(module: nil, type: "sweep", name: "controllers"), action: "sweep", error: error))
            }
        } else {
            // What could not go first keeps the network in use: leave it, say so.
            for change in plan.changes where Self.afterSweep.contains(change.type) {
                report.cancelled.append(change.address)
            }
        }
        report.duration = clock.now - start
        events.emit(
            .destroyFinished,
            [
                "stack": plan.stack, "succeeded": String(report.succeeded), "deleted": String(report.deleted.count),
                "failed": String(report.failures.count),
            ])
        return report
    }

    /// The address a live resource is deleted under (the planner's convention for untagged children).
    static func address(of resource: LiveResource) -> ResourceAddress {
        resource.address
            ?? ResourceAddress(module: nil, type: resource.type, name: "untracked", key: .name(resource.identity ?? resource.id))
    }
}

/// Drops the applier's `apply.started`/`apply.finished`, which a destroy reports as its own.
struct QuietApplySink: EventSink {
    var inner: any EventSink
    func emit(_ event: Event) {
        guard event.kind != .applyStarted, event.kind != .applyFinished else { return }
        inner.emit(event)
    }
}

/// Deletes what controllers created inside a stack's network that strata did not tag: without
/// this, deleting the subnets and the VPC fails with DependencyViolation.
struct ControllerSweep: Sendable {
    var client: AWSClient
    var events: EventEmitter
    var deadline: Duration
    var waits: WaitPolicy

    func sweep(clusters: [String], vpcIDs: [String], subnetIDs: [String]) async throws {
        for cluster in clusters {
            // Karpenter's nodes: tagged with the cluster by its discovery and its node class.
            var instances = Set<String>()
            for key in ["karpenter.sh/discovery", "karpenter.k8s.aws/cluster"] {
                instances.formUnion(
                    try await ids(
                        "DescribeInstances", item: "instanceId",
                        filters: [
                            ("tag:" + key, [cluster]),
                            ("instance-state-name", ["pending", "running", "stopping", "stopped"]),
                        ]))
            }
            if !instances.isEmpty { try await terminate(instances.sorted(), cluster: cluster) }
            let templates = try await ids(
                "DescribeLaunchTemplates", item: "launchTemplateId", filters: [("tag:karpenter.k8s.aws/cluster", [cluster])])
            for template in templates.sorted() {
                try await deleteTolerant("DeleteLaunchTemplate", [("LaunchTemplateId", template)])
                swept("launch template", template, cluster)
            }
        }
        // The AWS Load Balancer Controller's security groups (its load balancers are not swept:
        // ELBv2 is not among the client's services, see docs/apply.md).
        if !vpcIDs.isEmpty {
            for cluster in clusters {
                let groups = try await ids(
                    "DescribeSecurityGroups", item: "groupId",
                    filters: [("vpc-id", vpcIDs), ("tag:elbv2.k8s.aws/cluster", [cluster])])
                for group in groups.sorted() {
                    try await retrying("security group \(group)") {
                        try await deleteTolerant("DeleteSecurityGroup", [("GroupId", group)])
                    }
                    swept("security group", group, cluster)
                }
            }
        }
        // ENIs left available in the stack's subnets (released by the CNI or a load balancer).
        if !subnetIDs.isEmpty {
            let interfaces = try await ids(
                "DescribeNetworkInterfaces", item: "networkInterfaceId",
                filters: [("subnet-id", subnetIDs), ("status", ["available"])])
            for interface in interfaces.sorted() {
                try await retrying("network interface \(interface)") {
                    try await deleteTolerant("DeleteNetworkInterface", [("NetworkInterfaceId", interface)])
                }
                swept("network interface", interface, nil)
            }
        }
    }

    private func swept(_ what: String, _ id: String, _ cluster: String?) {
        var payload = ["what": what, "id": id]
        if let cluster { payload["cluster"] = cluster }
        events.emit(.sweepDeleted, plane: Plane.network.rawValue, payload)
    }

    private func terminate(_ instances: [String], cluster: String) async throws {
        var parameters: [(name: String, value: String)] = []
        for (index, id) in instances.enumerated() { parameters.append(("InstanceId.\(index + 1)", id)) }
        _ = try await client.query(.ec2, action: "TerminateInstances", parameters: parameters)
        _ = try await Waiter(policy: waits).wait(
            for: "Karpenter instances of \(cluster) to terminate (\(instances.joined(separator: ", ")))", deadline: .seconds(600)
        ) { () -> Bool? in
            let alive = try await ids(
                "DescribeInstances", item: "instanceId",
                filters: [("instance-id", instances), ("instance-state-name", ["pending", "running", "stopping", "stopped", "shutting-down"])])
            return alive.isEmpty ? true : nil
        }
        for id in instances { swept("instance", id, cluster) }
    }

    /// Every `item` value of a filtered EC2 describe, following NextToken.
    private func ids(_ action: String, item: String, filters: [(String, [String])]) async throws -> Set<String> {
        var found = Set<String>()
        var token: String?
        repeat {
            var parameters: [(name: String, value: String)] = []
            for (index, filter) in filters.enumerated() {
                parameters.append(("Filter.\(index + 1).Name", filter.0))
                for (valueIndex, value) in filter.1.enumerated() {
                    parameters.append(("Filter.\(index + 1).Value.\(valueIndex + 1)", value))
                }
            }
            if let token { parameters.append(("NextToken", token)) }
            let answer = try await client.query(.ec2, action: action, parameters: parameters)
            collect(answer, name: item, into: &found)
            token = answer.child("nextToken")?.text.nilIfEmpty
        } while token != nil
        return found
    }

    private func collect(_ node: XMLNode, name: String, into found: inout Set<String>) {
        if node.name == name, !node.text.isEmpty { found.insert(node.text) }
        for child in node.children { collect(child, name: name, into: &found) }
    }

    /// A delete whose target is already gone succeeds.
    private func deleteTolerant(_ action: String, _ parameters: [(name: String, value: String)]) async throws {
        do {
            _ = try await client.query(.ec2, action: action, parameters: parameters)
        } catch let error as AWSError where error.isNotFound {
            return
        }
    }

    private func retrying(_ what: String, _ body: () async throws -> Void) async throws {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: deadline)
        var pause: Duration = .seconds(1)
        while true {
            do {
                try await body()
                return
            } catch let error as AWSError where error.isDependencyViolation && clock.now.advanced(by: pause) < end {
                events.emit(
                    .resourceRetrying, plane: Plane.network.rawValue,
                    ["what": what, "action": "delete", "errorCode": error.code, "requestId": error.requestID ?? "", "reason": error.message])
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(30))
            }
        }
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
