import AWSClient
import Foundation
import StrataCompiler
import StrataModel
import StrataProviders

/// Deletes what controllers created for the stack's clusters inside its network, which strata
/// did not tag: without this, deleting the subnets and the VPC fails with DependencyViolation.
///
/// It takes only what a controller's *ownership* tags say it made for one of the stack's
/// clusters, or for a former one EKS no longer has (``Owners``), and only inside the stack's own
/// subnets and VPCs (launch templates, which live in no network, by their cluster tag). What else
/// it finds there — an interface or instance a user made, another cluster's load balancer — is
/// foreign: never deleted, listed by ``survey(clusters:vpcIDs:subnetIDs:declared:)`` for the
/// destroy plan (``ControllerClaim`` says which tags count).
///
/// In order, because each holds the next:
/// 1. Karpenter's instances in the stack's subnets (terminated, waited for) and launch templates;
/// 2. load balancers in the stack's VPCs — the AWS Load Balancer Controller's (ELBv2, tagged
///    `elbv2.k8s.aws/cluster`) and the in-tree cloud provider's classic ones (tagged
///    `kubernetes.io/cluster/<name>`) — deleted with their listeners and waited until gone, then
///    the controller's target groups;
/// 3. the controllers' security groups (refused while a deleted load balancer's network
///    interfaces are still being released: retried);
/// 4. the VPC CNI's network interfaces left available in the stack's subnets.
///
/// A delete refused with DependencyViolation is retried with backoff until `deadline`; if it
/// persists the sweep fails with ``SweepBlocked``, naming what still uses the resource.
struct ControllerSweep: Sendable {
    var client: AWSClient
    var events: EventEmitter
    var deadline: Duration
    var waits: WaitPolicy
    /// The stack's name: its own security groups (tagged `strata:stack`) are neither swept nor foreign.
    var stack = ""
    /// Load balancers and target groups per describe page: AWS's maximum (tests page smaller).
    var pageSize = ELB.defaultPageSize

    /// The tags that say which Kubernetes object a controller's load balancer serves.
    static let originTags = ["service.k8s.aws/stack", "ingress.k8s.aws/stack", "kubernetes.io/service-name"]
    /// DescribeTags takes at most 20 load balancers or target groups per call (both APIs).
    static let tagBatch = 20
    /// Instance states that still hold a subnet.
    static let alive = ["pending", "running", "stopping", "stopped"]

    /// One of the sweep's targets with the cluster whose controller made it.
    struct Claimed: Sendable {
        var target: SweepTarget
        var cluster: String
    }

    /// What ``sweep(clusters:vpcIDs:subnetIDs:declared:)`` would delete now and what foreign
    /// resources it would leave in the stack's network; deletes nothing.
    func survey(clusters: [String], vpcIDs: [String], subnetIDs: [String], declared: [String] = []) async throws
        -> SweepSurvey
    {
        let owners = Owners(client: client, stackClusters: Set(clusters))
        var survey = SweepSurvey()
        let nodes = try await instances(in: subnetIDs, owners: owners)
        survey.targets += nodes.mine.map(\.target)
        survey.foreign += nodes.foreign
        survey.targets += try await launchTemplates(owners: owners, former: declared + nodes.mine.map(\.cluster))
            .map(\.target)
        if !vpcIDs.isEmpty {
            let balancers = try await classified(
                try await readableLoadBalancers(in: Set(vpcIDs), owners: owners), owners: owners)
            survey.targets += balancers.mine.map(\.target)
            survey.foreign += balancers.foreign.map(\.target)
            survey.targets += try await classified(try await targetGroups(in: Set(vpcIDs)), owners: owners).mine
                .map(\.target)
            let groups = try await securityGroups(in: vpcIDs, owners: owners)
            survey.targets += groups.mine.map(\.target)
            survey.foreign += groups.foreign
        }
        let interfaces = try await interfaces(in: subnetIDs, owners: owners)
        survey.targets += interfaces.mine.map(\.target)
        survey.foreign += interfaces.foreign
        return survey
    }

    /// `clusters` are the stack's clusters found live; `declared` the cluster names its files
    /// declare (a destroy run again after an earlier one deleted the cluster and was killed
    /// before its sweep finds none live, yet Karpenter's launch templates of it remain).
    func sweep(clusters: [String], vpcIDs: [String], subnetIDs: [String], declared: [String] = []) async throws {
        let owners = Owners(client: client, stackClusters: Set(clusters))
        let nodes = try await instances(in: subnetIDs, owners: owners).mine
        if !nodes.isEmpty { try await terminate(nodes) }
        for template in try await launchTemplates(owners: owners, former: declared + nodes.map(\.cluster)) {
            try await ec2.deleteLaunchTemplate(template.target.id)
            swept(template)
        }
        if !vpcIDs.isEmpty {
            try await sweepLoadBalancers(owners: owners, vpcIDs: Set(vpcIDs))
            try await sweepSecurityGroups(owners: owners, vpcIDs: vpcIDs)
        }
        // Read after the instances and load balancers went: they release the CNI's interfaces.
        for interface in try await interfaces(in: subnetIDs, owners: owners).mine {
            let id = interface.target.id
            try await retrying("network interface \(id)", blockers: { [] }) {
                try await ec2.deleteNetworkInterface(id)
            }
            swept(interface)
        }
    }

    // MARK: - Karpenter

    /// Instances in the stack's subnets: Karpenter's nodes of a swept cluster, and foreign ones.
    /// A node of a stack cluster's managed node group (`eks:cluster-name`) is neither: it goes
    /// with its node group.
    private func instances(in subnetIDs: [String], owners: Owners) async throws
        -> (mine: [Claimed], foreign: [SweepTarget])
    {
        guard !subnetIDs.isEmpty else { return ([], []) }
        var mine: [Claimed] = []
        var foreign: [SweepTarget] = []
        let reservations = try await ec2.items(
            "DescribeInstances", set: "reservationSet", filters: [("subnet-id", subnetIDs), ("instance-state-name", Self.alive)])
        for item in reservations.flatMap({ $0.child("instancesSet")?.items ?? [] }) {
            guard let id = item.child("instanceId")?.text else { continue }
            let tags = NetworkBlockers.tags(of: item)
            let location = Self.location(item)
            if let claim = ControllerClaim.karpenterInstance(tags), try await owners.sweeps(claim.cluster) {
                mine.append(
                    Claimed(
                        target: SweepTarget(kind: "instance", id: id, owner: claim.tags, location: location),
                        cluster: claim.cluster))
            } else if let cluster = tags["eks:cluster-name"], owners.stackClusters.contains(cluster) {
                continue
            } else {
                foreign.append(
                    SweepTarget(kind: "instance", id: id, owner: ControllerClaim.owner(tags), location: location))
            }
        }
        return (mine.sorted { $0.target.id < $1.target.id }, foreign.sorted { $0.id < $1.id })
    }

    /// Karpenter's launch templates (`karpenter.k8s.aws/cluster`) of the stack's clusters and of
    /// the `former` ones (declared in the stack files, or named by Karpenter's nodes in its
    /// subnets) that EKS no longer has.
    private func launchTemplates(owners: Owners, former: [String]) async throws -> [Claimed] {
        var clusters = owners.stackClusters
        for name in Set(former).subtracting(clusters).sorted() where try await owners.sweeps(name) {
            clusters.insert(name)
        }
        var found: [Claimed] = []
        for cluster in clusters.sorted() {
            let templates = try await ids(
                "DescribeLaunchTemplates", set: "launchTemplates", item: "launchTemplateId",
                filters: [("tag:karpenter.k8s.aws/cluster", [cluster])])
            for template in templates.sorted() {
                let target = SweepTarget(
                    kind: "launch template", id: template, owner: "karpenter.k8s.aws/cluster=\(cluster)", location: "")
                found.append(Claimed(target: target, cluster: cluster))
            }
        }
        return found
    }

    private func terminate(_ nodes: [Claimed]) async throws {
        let instances = nodes.map(\.target.id)
        try await ec2.terminateInstances(instances)
        _ = try await Waiter(policy: waits).wait(
            for: "Karpenter instances to terminate (\(instances.joined(separator: ", ")))", deadline: .seconds(600)
        ) { () -> Bool? in
            let alive = try await ids(
                "DescribeInstances", set: "reservationSet", item: "instanceId",
                filters: [("instance-id", instances), ("instance-state-name", Self.alive + ["shutting-down"])])
            return alive.isEmpty ? true : nil
        }
        for node in nodes { swept(node) }
    }

    // MARK: - Network interfaces

    /// Interface types AWS creates for its own services (a NAT gateway's, a load balancer's, an
    /// endpoint's): they go with the service. What a user or the VPC CNI makes is `interface`
    /// (or `efa`, `trunk`, `branch`).
    static let userInterfaceTypes: Set<String> = ["", "interface", "efa", "trunk", "branch"]

    /// Interfaces in the stack's subnets: the VPC CNI's left available by a swept cluster, and
    /// foreign ones — neither AWS's own (requester-managed), nor attached to an instance (judged
    /// as the instance is), nor the stack's, nor the CNI's of a swept cluster.
    private func interfaces(in subnetIDs: [String], owners: Owners) async throws -> (
        mine: [Claimed], foreign: [SweepTarget]
    ) {
        guard !subnetIDs.isEmpty else { return ([], []) }
        var mine: [Claimed] = []
        var foreign: [SweepTarget] = []
        for item in try await ec2.items("DescribeNetworkInterfaces", set: "networkInterfaceSet", filters: [("subnet-id", subnetIDs)]) {
            guard let id = item.child("networkInterfaceId")?.text else { continue }
            let tags = NetworkBlockers.tags(of: item)
            let location = Self.location(item)
            if let claim = ControllerClaim.cniInterface(tags), try await owners.sweeps(claim.cluster) {
                if item.child("status")?.text == "available" {
                    mine.append(
                        Claimed(
                            target: SweepTarget(
                                kind: "network interface", id: id, owner: claim.tags, location: location),
                            cluster: claim.cluster))
                }
                continue
            }
            if item.child("requesterManaged")?.text == "true"
                || !Self.userInterfaceTypes.contains(item.child("interfaceType")?.text ?? "")
                || item.child("attachment")?.child("instanceId") != nil
                || (!stack.isEmpty && tags[ProviderContext.stackTag] == stack)
            {
                continue
            }
            var owner = ControllerClaim.owner(tags)
            if let text = item.child("description")?.text, !text.isEmpty { owner = "\(text); \(owner)" }
            foreign.append(SweepTarget(kind: "network interface", id: id, owner: owner, location: location))
        }
        return (mine.sorted { $0.target.id < $1.target.id }, foreign.sorted { $0.id < $1.id })
    }

    /// `subnet-… (vpc-…)` of a described instance or interface.
    private static func location(_ item: XMLNode) -> String {
        let subnet = item.child("subnetId")?.text ?? "?"
        return item.child("vpcId").map { "\(subnet) (\($0.text))" } ?? subnet
    }

    // MARK: - Load balancers

    /// A load balancer or target group in the stack's VPCs; `claim` is set once its tags say
    /// which cluster's controller made it.
    struct Balancer: Sendable, Hashable {
        var api: ELB.API
        /// The ARN (ELBv2) or the name (classic): what the API's calls take.
        var key: String
        var name: String
        var vpcID: String
        var kind: String
        var claim: ControllerClaim?
        /// What its tags say of whose it is, for one no controller of the stack made.
        var owner = "untagged"
        /// The Service or Ingress it serves (`default/web`), when a tag says.
        var origin: String?

        var target: SweepTarget { SweepTarget(kind: kind, id: name, owner: claim?.tags ?? owner, location: vpcID) }
    }

    private func sweepLoadBalancers(owners: Owners, vpcIDs: Set<String>) async throws {
        let balancers = try await classified(
            try await readableLoadBalancers(in: vpcIDs, owners: owners), owners: owners
        ).mine
        for balancer in balancers {
            // Listeners (and their rules) go with an ELBv2 load balancer; deleting one already
            // gone succeeds, so a retry after a lost answer is safe.
            try await elb.deleteLoadBalancer(balancer.api, balancer.key)
        }
        if !balancers.isEmpty {
            let names = balancers.map(\.name).sorted().joined(separator: ", ")
            _ = try await Waiter(policy: waits).wait(
                for: "load balancers \(names) to be deleted", deadline: .seconds(300)
            ) {
                () -> Bool? in
                let left = try await loadBalancers(in: vpcIDs)
                return balancers.contains(where: { balancer in
                    left.contains { $0.api == balancer.api && $0.key == balancer.key }
                })
                    ? nil : true
            }
        }
        for balancer in balancers { swept(balancer) }
        // The controller's target groups outlive their load balancer.
        let groups = try await classified(try await targetGroups(in: vpcIDs), owners: owners).mine
        for group in groups {
            try await retrying("target group \(group.name)", blockers: { [] }) {
                try await elb.deleteTargetGroup(group.key)
            }
            swept(group)
        }
    }

    /// ``loadBalancers(in:)``, or none when a stack without a cluster is destroyed by a role
    /// that may not read load balancers: it looked only for a former cluster's leftovers, which
    /// are unlikely; if one is there, the subnet's own DependencyViolation still names it.
    private func readableLoadBalancers(in vpcIDs: Set<String>, owners: Owners) async throws -> [Balancer] {
        do {
            return try await loadBalancers(in: vpcIDs)
        } catch let error as AWSError where error.httpStatus == 403 && owners.stackClusters.isEmpty {
            return []
        }
    }

    private func swept(_ balancer: Balancer) {
        var extra: [String: String] = [:]
        if balancer.api == .v2 { extra["arn"] = balancer.key }
        if let origin = balancer.origin { extra["for"] = origin }
        swept(Claimed(target: balancer.target, cluster: balancer.claim?.cluster ?? ""), extra: extra)
    }

    /// Every load balancer of both APIs in these VPCs: one paginated describe per API (``pageSize`` per page).
    private func loadBalancers(in vpcIDs: Set<String>) async throws -> [Balancer] {
        var found: [Balancer] = []
        for member in try await elb.loadBalancers(.v2) {
            guard let arn = member.child("LoadBalancerArn")?.text, let vpc = member.child("VpcId")?.text,
                vpcIDs.contains(vpc)
            else { continue }
            let name = member.child("LoadBalancerName")?.text ?? arn
            found.append(Balancer(api: .v2, key: arn, name: name, vpcID: vpc, kind: "load balancer"))
        }
        for member in try await elb.loadBalancers(.classic) {
            guard let name = member.child("LoadBalancerName")?.text, let vpc = member.child("VPCId")?.text,
                vpcIDs.contains(vpc)
            else { continue }
            found.append(Balancer(api: .classic, key: name, name: name, vpcID: vpc, kind: "classic load balancer"))
        }
        return found
    }

    /// Every ELBv2 target group in these VPCs (paginated, ``pageSize`` per page).
    private func targetGroups(in vpcIDs: Set<String>) async throws -> [Balancer] {
        try await elb.targetGroups().compactMap { member in
            guard let arn = member.child("TargetGroupArn")?.text, let vpc = member.child("VpcId")?.text,
                vpcIDs.contains(vpc)
            else { return nil }
            let name = member.child("TargetGroupName")?.text ?? arn
            return Balancer(api: .v2, key: arn, name: name, vpcID: vpc, kind: "target group")
        }
    }

    /// `candidates` split by their tags, read with DescribeTags in batches of 20: those a
    /// controller made for a cluster whose leftovers are swept (see ``Owners``) — the Load
    /// Balancer Controller's `elbv2.k8s.aws/cluster` = name, or for classic load balancers the
    /// in-tree provider's `kubernetes.io/cluster/<name>` — and the others.
    private func classified(_ candidates: [Balancer], owners: Owners) async throws -> (
        mine: [Balancer], foreign: [Balancer]
    ) {
        var mine: [Balancer] = []
        var foreign: [Balancer] = []
        for api in [ELB.API.v2, .classic] {
            let ofAPI = candidates.filter { $0.api == api }
            for start in stride(from: 0, to: ofAPI.count, by: Self.tagBatch) {
                let batch = Array(ofAPI[start..<min(start + Self.tagBatch, ofAPI.count)])
                for description in try await elb.tags(api, of: batch.map(\.key)) {
                    let key = description.child(api == .v2 ? "ResourceArn" : "LoadBalancerName")?.text
                    guard var balancer = batch.first(where: { $0.key == key }) else { continue }
                    var tags: [String: String] = [:]
                    for tag in description.child("Tags")?.items ?? [] {
                        if let name = tag.child("Key")?.text { tags[name] = tag.child("Value")?.text ?? "" }
                    }
                    // ELBv2: only the controller's own tag; a classic one: the in-tree provider's.
                    let claim =
                        api == .v2
                        ? tags[ControllerClaim.loadBalancerControllerTag].flatMap { _ in
                            ControllerClaim.loadBalancerController(tags, inTreeOwnedOnly: true)
                        }
                        : ControllerClaim.loadBalancerController(tags, inTreeOwnedOnly: false)
                    balancer.origin = Self.originTags.lazy.compactMap { tags[$0] }.first
                    if let claim, try await owners.sweeps(claim.cluster) {
                        balancer.claim = claim
                        mine.append(balancer)
                    } else {
                        balancer.owner = ControllerClaim.owner(tags)
                        foreign.append(balancer)
                    }
                }
            }
        }
        // Classic first, as the two APIs' names (`elb`, `elbv2`) sort.
        let order = { (a: Balancer, b: Balancer) in (a.api == .v2 ? 1 : 0, a.name) < (b.api == .v2 ? 1 : 0, b.name) }
        return (mine.sorted(by: order), foreign.sorted(by: order))
    }

    // MARK: - Security groups

    /// Security groups in the stack's VPCs: the Load Balancer Controller's (`elbv2.k8s.aws/cluster`)
    /// and the in-tree provider's (`kubernetes.io/cluster/<name>` = `owned`, the `k8s-elb-*`
    /// groups of classic load balancers, EKS's cluster group) of a swept cluster, and foreign
    /// ones (neither those, nor the stack's, nor a VPC's `default`). One describe of the VPCs' groups.
    private func securityGroups(in vpcIDs: [String], owners: Owners) async throws -> (
        mine: [Claimed], foreign: [SweepTarget]
    ) {
        var mine: [Claimed] = []
        var foreign: [SweepTarget] = []
        for item in try await ec2.items("DescribeSecurityGroups", set: "securityGroupInfo", filters: [("vpc-id", vpcIDs)]) {
            guard let id = item.child("groupId")?.text, item.child("groupName")?.text != "default" else { continue }
            let tags = NetworkBlockers.tags(of: item)
            let location = item.child("vpcId")?.text ?? ""
            if let claim = ControllerClaim.loadBalancerController(tags, inTreeOwnedOnly: true),
                try await owners.sweeps(claim.cluster)
            {
                let target = SweepTarget(kind: "security group", id: id, owner: claim.tags, location: location)
                mine.append(Claimed(target: target, cluster: claim.cluster))
            } else if stack.isEmpty || tags[ProviderContext.stackTag] != stack {
                foreign.append(
                    SweepTarget(
                        kind: "security group", id: id, owner: ControllerClaim.owner(tags), location: location))
            }
        }
        return (mine.sorted { $0.target.id < $1.target.id }, foreign.sorted { $0.id < $1.id })
    }

    private func sweepSecurityGroups(owners: Owners, vpcIDs: [String]) async throws {
        for group in try await securityGroups(in: vpcIDs, owners: owners).mine {
            let id = group.target.id
            try await retrying(
                "security group \(id)", blockers: { await NetworkBlockers(client: client).users(ofGroup: id) }
            ) {
                try await ec2.deleteSecurityGroup(id)
            }
            swept(group)
        }
    }

    // MARK: - EC2 plumbing

    private func swept(_ item: Claimed, extra: [String: String] = [:]) {
        var payload = extra.merging(["what": item.target.kind, "id": item.target.id, "owner": item.target.owner]) {
            _, new in new
        }
        if !item.cluster.isEmpty { payload["cluster"] = item.cluster }
        events.emit(.sweepDeleted, plane: Plane.network.rawValue, payload)
    }

    /// Every `item` value in the `set` of a filtered EC2 describe, all pages.
    private func ids(_ action: String, set: String, item: String, filters: [(String, [String])]) async throws -> Set<String> {
        var found = Set<String>()
        for answer in try await ec2.items(action, set: set, filters: filters) { collect(answer, name: item, into: &found) }
        return found
    }

    private var ec2: EC2 { EC2(client: client) }
    private var elb: ELB { ELB(client, pageSize: pageSize) }

    private func collect(_ node: XMLNode, name: String, into found: inout Set<String>) {
        if node.name == name, !node.text.isEmpty { found.insert(node.text) }
        for child in node.children { collect(child, name: name, into: &found) }
    }

    /// Runs `body` until it is not refused as in use, backing off 1 s, 2 s, ... 30 s, until
    /// `deadline`; then fails with ``SweepBlocked`` naming what `blockers` finds still using it.
    private func retrying(
        _ what: String, blockers: () async throws -> [String], _ body: () async throws -> Void
    ) async throws {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: deadline)
        var pause: Duration = .seconds(1)
        var attempt = 0
        while true {
            attempt += 1
            do {
                try await body()
                return
            } catch let error as AWSError where error.isDependencyViolation {
                guard clock.now.advanced(by: pause) < end else {
                    let users = (try? await blockers()) ?? []
                    throw SweepBlocked(what: what, error: error, blockers: users, waited: deadline)
                }
                events.emit(
                    .resourceRetrying, plane: Plane.network.rawValue,
                    [
                        "what": what, "action": "delete", "attempt": String(attempt), "errorCode": error.code,
                        "requestId": error.requestID ?? "", "reason": error.message,
                    ])
                try await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(30))
            }
        }
    }
}

/// Whose controllers' leftovers the sweep deletes: the stack's own clusters, and any cluster a
/// controller tag names that EKS no longer has. The second case is a destroy run again after an
/// earlier one deleted the cluster but stopped before its sweep: the load balancers the cluster's
/// controllers made would otherwise hold the subnets forever. A cluster that exists (or that
/// DescribeCluster may not read) belongs to someone else and its leftovers are left alone.
actor Owners {
    let client: AWSClient
    let stackClusters: Set<String>
    private var known: [String: Bool] = [:]

    init(client: AWSClient, stackClusters: Set<String>) {
        self.client = client
        self.stackClusters = stackClusters
    }

    func sweeps(_ cluster: String) async throws -> Bool {
        if stackClusters.contains(cluster) { return true }
        if let answer = known[cluster] { return answer }
        var gone = false
        do {
            gone = try await !EKS(client: client).clusterExists(cluster)
        } catch let error as AWSError where error.httpStatus == 403 {
            gone = false  // not ours to read, so not ours to clean up after
        }
        known[cluster] = gone
        return gone
    }
}

/// A controller's leftover that AWS still refused to delete as in use when the sweep's deadline
/// passed: names it, what AWS said (code and request id) and what still uses it.
public struct SweepBlocked: Error, Sendable, CustomStringConvertible {
    public var what: String
    public var error: AWSError
    /// What was found still using it (`network interface eni-… (ELB app/…)`), possibly nothing
    /// strata can see.
    public var blockers: [String]
    public var waited: Duration

    public var description: String {
        let users = blockers.isEmpty ? "" : "; still in use by \(blockers.joined(separator: ", "))"
        return "could not delete \(what), refused for \(waited) as in use: \(error)\(users)"
    }
}
