import AWSClient
import Foundation
import StrataCompiler
import StrataProviders

/// Deletes what controllers created inside a stack's network that strata did not tag: without
/// this, deleting the subnets and the VPC fails with DependencyViolation.
///
/// In order, because each holds the next:
/// 1. Karpenter's instances (terminated, waited for) and launch templates, of the stack's
///    clusters and of former ones (declared in the stack files, or named by the tags of
///    instances in the stack's subnets, that EKS no longer has; see ``Owners``);
/// 2. load balancers in the stack's VPCs made for one of its clusters (or for a cluster EKS no
///    longer has, see ``Owners``) — the AWS Load Balancer
///    Controller's (ELBv2, tagged `elbv2.k8s.aws/cluster`) and the in-tree cloud provider's
///    classic ones (tagged `kubernetes.io/cluster/<name>`) — deleted with their listeners and
///    waited until gone, then the controller's target groups;
/// 3. the controllers' security groups (refused while a deleted load balancer's network
///    interfaces are still being released: retried);
/// 4. network interfaces left available in the stack's subnets.
///
/// A delete refused with DependencyViolation is retried with backoff until `deadline`; if it
/// persists the sweep fails with ``SweepBlocked``, naming what still uses the resource.
struct ControllerSweep: Sendable {
    var client: AWSClient
    var events: EventEmitter
    var deadline: Duration
    var waits: WaitPolicy
    /// Load balancers and target groups per describe page: AWS's maximum (tests page smaller).
    var pageSize = 400

    /// The tag the AWS Load Balancer Controller puts on every load balancer, target group and
    /// security group it creates, valued with the cluster's name.
    static let loadBalancerControllerTag = "elbv2.k8s.aws/cluster"
    /// The tags that say which Kubernetes object a controller's load balancer serves.
    static let originTags = ["service.k8s.aws/stack", "ingress.k8s.aws/stack", "kubernetes.io/service-name"]
    /// DescribeTags takes at most 20 load balancers or target groups per call (both APIs).
    static let tagBatch = 20

    /// `clusters` are the stack's clusters found live; `declared` the cluster names its files
    /// declare (a destroy run again after an earlier one deleted the cluster and was killed
    /// before its sweep finds none live, yet Karpenter's nodes and launch templates of it remain).
    func sweep(clusters: [String], vpcIDs: [String], subnetIDs: [String], declared: [String] = []) async throws {
        let owners = Owners(client: client, stackClusters: Set(clusters))
        var former = Set(declared)
        if !subnetIDs.isEmpty { former.formUnion(try await karpenterClusters(in: subnetIDs)) }
        var karpenter = Set(clusters)
        for name in former.subtracting(karpenter).sorted() where try await owners.sweeps(name) { karpenter.insert(name) }
        for cluster in karpenter.sorted() { try await sweepKarpenter(cluster: cluster) }
        if !vpcIDs.isEmpty {
            try await sweepLoadBalancers(owners: owners, vpcIDs: Set(vpcIDs))
            try await sweepSecurityGroups(owners: owners, vpcIDs: vpcIDs)
        }
        // ENIs left available in the stack's subnets (released by the CNI or a load balancer).
        if !subnetIDs.isEmpty {
            let interfaces = try await ids(
                "DescribeNetworkInterfaces", item: "networkInterfaceId",
                filters: [("subnet-id", subnetIDs), ("status", ["available"])])
            for interface in interfaces.sorted() {
                try await retrying("network interface \(interface)", blockers: { [] }) {
                    try await deleteTolerant("DeleteNetworkInterface", [("NetworkInterfaceId", interface)])
                }
                swept("network interface", interface, nil)
            }
        }
    }

    // MARK: - Karpenter

    private func sweepKarpenter(cluster: String) async throws {
        // Karpenter's nodes: tagged with the cluster by its discovery and its node class.
        var instances = Set<String>()
        for key in Self.karpenterTags {
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
            "DescribeLaunchTemplates", item: "launchTemplateId", filters: [("tag:karpenter.k8s.aws/cluster", [cluster])]
        )
        for template in templates.sorted() {
            try await deleteTolerant("DeleteLaunchTemplate", [("LaunchTemplateId", template)])
            swept("launch template", template, cluster)
        }
    }

    /// The clusters named by the Karpenter tags of live instances in the stack's subnets: those
    /// of a cluster that no longer exists are swept (``Owners``) whatever the stack files say now.
    private func karpenterClusters(in subnetIDs: [String]) async throws -> Set<String> {
        let answers = try await ec2Pages(
            "DescribeInstances",
            filters: [
                ("subnet-id", subnetIDs), ("tag-key", Self.karpenterTags),
                ("instance-state-name", ["pending", "running", "stopping", "stopped"]),
            ])
        let instances = answers.flatMap { answer in
            (answer.child("reservationSet")?.items ?? []).flatMap { $0.child("instancesSet")?.items ?? [] }
        }
        return Set(instances.flatMap { instance in
            let tags = Self.tags(of: instance)
            return Self.karpenterTags.compactMap { tags[$0] }.filter { !$0.isEmpty }
        })
    }

    /// The tags Karpenter puts on its nodes, valued with the cluster's name.
    static let karpenterTags = ["karpenter.sh/discovery", "karpenter.k8s.aws/cluster"]

    private func terminate(_ instances: [String], cluster: String) async throws {
        var parameters: [(name: String, value: String)] = []
        for (index, id) in instances.enumerated() { parameters.append(("InstanceId.\(index + 1)", id)) }
        _ = try await client.query(.ec2, action: "TerminateInstances", parameters: parameters)
        _ = try await Waiter(policy: waits).wait(
            for: "Karpenter instances of \(cluster) to terminate (\(instances.joined(separator: ", ")))",
            deadline: .seconds(600)
        ) { () -> Bool? in
            let alive = try await ids(
                "DescribeInstances", item: "instanceId",
                filters: [
                    ("instance-id", instances),
                    ("instance-state-name", ["pending", "running", "stopping", "stopped", "shutting-down"]),
                ])
            return alive.isEmpty ? true : nil
        }
        for id in instances { swept("instance", id, cluster) }
    }

    // MARK: - Load balancers

    /// A load balancer or target group in the stack's VPCs; `cluster` is set once its tags say
    /// which cluster's controller made it.
    struct Balancer: Sendable, Hashable {
        /// `elbv2` or `elb` (classic).
        var api: AWSService
        /// The ARN (ELBv2) or the name (classic): what the API's calls take.
        var key: String
        var name: String
        var vpcID: String
        var cluster: String = ""
        /// The Service or Ingress it serves (`default/web`), when a tag says.
        var origin: String?
    }

    private func sweepLoadBalancers(owners: Owners, vpcIDs: Set<String>) async throws {
        let candidates: [Balancer]
        do {
            candidates = try await loadBalancers(in: vpcIDs)
        } catch let error as AWSError where error.httpStatus == 403 && owners.stackClusters.isEmpty {
            // A stack without a cluster destroyed by a role that may not read load balancers:
            // it looked only for a former cluster's leftovers, which are unlikely; if one is
            // there, the subnet's own DependencyViolation still says so.
            return
        }
        let balancers = try await tagged(candidates, owners: owners)
        for balancer in balancers {
            // Listeners (and their rules) go with an ELBv2 load balancer; deleting one already
            // gone succeeds, so a retry after a lost answer is safe.
            let parameter = balancer.api == .elbv2 ? "LoadBalancerArn" : "LoadBalancerName"
            _ = try await client.query(
                balancer.api, action: "DeleteLoadBalancer", parameters: [(parameter, balancer.key)], idempotent: true)
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
        for balancer in balancers {
            swept(
                balancer.api == .elbv2 ? "load balancer" : "classic load balancer", balancer.name, balancer.cluster,
                extra: origin(balancer))
        }
        // The controller's target groups outlive their load balancer.
        let groups = try await tagged(try await targetGroups(in: vpcIDs), owners: owners)
        for group in groups {
            try await retrying("target group \(group.name)", blockers: { [] }) {
                do {
                    _ = try await client.query(
                        .elbv2, action: "DeleteTargetGroup", parameters: [("TargetGroupArn", group.key)])
                } catch let error as AWSError where error.isNotFound {
                    return
                }
            }
            swept("target group", group.name, group.cluster, extra: origin(group))
        }
    }

    private func origin(_ balancer: Balancer) -> [String: String] {
        var extra: [String: String] = [:]
        if balancer.api == .elbv2 { extra["arn"] = balancer.key }
        if let origin = balancer.origin { extra["for"] = origin }
        return extra
    }

    /// Every load balancer of both APIs in these VPCs: one paginated describe per API (``pageSize`` per page).
    private func loadBalancers(in vpcIDs: Set<String>) async throws -> [Balancer] {
        var found: [Balancer] = []
        for member in try await listed(.elbv2, action: "DescribeLoadBalancers", list: "LoadBalancers") {
            guard let arn = member.child("LoadBalancerArn")?.text, let vpc = member.child("VpcId")?.text,
                vpcIDs.contains(vpc)
            else { continue }
            found.append(
                Balancer(api: .elbv2, key: arn, name: member.child("LoadBalancerName")?.text ?? arn, vpcID: vpc))
        }
        for member in try await listed(.elb, action: "DescribeLoadBalancers", list: "LoadBalancerDescriptions") {
            guard let name = member.child("LoadBalancerName")?.text, let vpc = member.child("VPCId")?.text,
                vpcIDs.contains(vpc)
            else { continue }
            found.append(Balancer(api: .elb, key: name, name: name, vpcID: vpc))
        }
        return found
    }

    /// Every ELBv2 target group in these VPCs (paginated, ``pageSize`` per page).
    private func targetGroups(in vpcIDs: Set<String>) async throws -> [Balancer] {
        try await listed(.elbv2, action: "DescribeTargetGroups", list: "TargetGroups").compactMap { member in
            guard let arn = member.child("TargetGroupArn")?.text, let vpc = member.child("VpcId")?.text,
                vpcIDs.contains(vpc)
            else { return nil }
            return Balancer(api: .elbv2, key: arn, name: member.child("TargetGroupName")?.text ?? arn, vpcID: vpc)
        }
    }

    /// The `<member>`s of a paginated ELB/ELBv2 list, following `NextMarker`.
    private func listed(_ api: AWSService, action: String, list: String) async throws -> [XMLNode] {
        var members: [XMLNode] = []
        let pages = client.pages(
            { marker in
                var parameters: [(name: String, value: String)] = [("PageSize", String(pageSize))]
                if let marker { parameters.append(("Marker", marker)) }
                return .query(api, action: action, parameters: parameters)
            },
            nextToken: { response in
                let marker = try response.xml().first(named: "NextMarker")?.text
                return marker?.isEmpty == false ? marker : nil
            })
        for try await page in pages {
            members += try page.xml().first(named: list)?.items ?? []
        }
        return members
    }

    /// Those of `candidates` a controller made for a cluster whose leftovers are swept (see
    /// ``Owners``), read with DescribeTags in batches of 20: the Load Balancer Controller's
    /// `elbv2.k8s.aws/cluster` = name, or for classic load balancers the in-tree provider's
    /// `kubernetes.io/cluster/<name>`.
    private func tagged(_ candidates: [Balancer], owners: Owners) async throws -> [Balancer] {
        var result: [Balancer] = []
        for api in [AWSService.elbv2, .elb] {
            let mine = candidates.filter { $0.api == api }
            for start in stride(from: 0, to: mine.count, by: Self.tagBatch) {
                let batch = Array(mine[start..<min(start + Self.tagBatch, mine.count)])
                let list = api == .elbv2 ? "ResourceArns" : "LoadBalancerNames"
                let parameters = batch.enumerated().map {
                    (name: "\(list).member.\($0.offset + 1)", value: $0.element.key)
                }
                let answer = try await client.query(api, action: "DescribeTags", parameters: parameters)
                for description in answer.first(named: "TagDescriptions")?.items ?? [] {
                    let key = description.child(api == .elbv2 ? "ResourceArn" : "LoadBalancerName")?.text
                    guard var balancer = batch.first(where: { $0.key == key }) else { continue }
                    var tags: [String: String] = [:]
                    for tag in description.child("Tags")?.items ?? [] {
                        if let name = tag.child("Key")?.text { tags[name] = tag.child("Value")?.text ?? "" }
                    }
                    let owner =
                        api == .elbv2 ? tags[Self.loadBalancerControllerTag] : Self.inTreeCluster(tags, owned: false)
                    guard let owner, try await owners.sweeps(owner) else { continue }
                    balancer.cluster = owner
                    balancer.origin = Self.originTags.lazy.compactMap { tags[$0] }.first
                    result.append(balancer)
                }
            }
        }
        return result.sorted { ($0.api.name, $0.name) < ($1.api.name, $1.name) }
    }

    // MARK: - Security groups

    /// The Load Balancer Controller's groups (`elbv2.k8s.aws/cluster`) and the in-tree provider's
    /// (`kubernetes.io/cluster/<name>` = `owned`, the `k8s-elb-*` groups of classic load
    /// balancers) in the stack's VPCs, for a cluster whose leftovers are swept. One describe of
    /// the VPCs' groups: strata's own are gone by now, so few are left.
    private func sweepSecurityGroups(owners: Owners, vpcIDs: [String]) async throws {
        var groups: [(id: String, owner: String)] = []
        for answer in try await ec2Pages("DescribeSecurityGroups", filters: [("vpc-id", vpcIDs)]) {
            for item in answer.child("securityGroupInfo")?.items ?? [] {
                guard let id = item.child("groupId")?.text else { continue }
                let tags = Self.tags(of: item)
                if let owner = tags[Self.loadBalancerControllerTag] ?? Self.inTreeCluster(tags, owned: true) {
                    groups.append((id, owner))
                }
            }
        }
        for group in groups.sorted(by: { $0.id < $1.id }) where try await owners.sweeps(group.owner) {
            try await retrying("security group \(group.id)", blockers: { try await users(ofGroup: group.id) }) {
                try await deleteTolerant("DeleteSecurityGroup", [("GroupId", group.id)])
            }
            swept("security group", group.id, group.owner)
        }
    }

    /// The cluster a `kubernetes.io/cluster/<name>` tag names (with value `owned`, if asked):
    /// Kubernetes' in-tree cloud provider's mark, also on EKS's own cluster security group.
    static func inTreeCluster(_ tags: [String: String], owned: Bool) -> String? {
        let prefix = "kubernetes.io/cluster/"
        return tags.keys.sorted().first { $0.hasPrefix(prefix) && (!owned || tags[$0] == "owned") }
            .map { String($0.dropFirst(prefix.count)) }
    }

    /// What still uses a security group: network interfaces (with their descriptions, which
    /// name the load balancer or instance behind them) and load balancers of either API that
    /// list it.
    private func users(ofGroup group: String) async throws -> [String] {
        let interfaces = try await client.query(
            .ec2, action: "DescribeNetworkInterfaces",
            parameters: [("Filter.1.Name", "group-id"), ("Filter.1.Value.1", group)])
        var users = (interfaces.first(named: "networkInterfaceSet")?.items ?? []).compactMap { item -> String? in
            guard let id = item.child("networkInterfaceId")?.text else { return nil }
            let description = item.child("description")?.text ?? ""
            return description.isEmpty ? "network interface \(id)" : "network interface \(id) (\(description))"
        }
        for member in try await listed(.elbv2, action: "DescribeLoadBalancers", list: "LoadBalancers") {
            let groups = member.child("SecurityGroups")?.items.map(\.text) ?? []
            if groups.contains(group), let name = member.child("LoadBalancerName")?.text {
                users.append("load balancer \(name)")
            }
        }
        for member in try await listed(.elb, action: "DescribeLoadBalancers", list: "LoadBalancerDescriptions") {
            let groups = member.child("SecurityGroups")?.items.map(\.text) ?? []
            if groups.contains(group), let name = member.child("LoadBalancerName")?.text {
                users.append("classic load balancer \(name)")
            }
        }
        return users
    }

    // MARK: - EC2 plumbing

    private func swept(_ what: String, _ id: String, _ cluster: String?, extra: [String: String] = [:]) {
        var payload = extra.merging(["what": what, "id": id]) { _, new in new }
        if let cluster, !cluster.isEmpty { payload["cluster"] = cluster }
        events.emit(.sweepDeleted, plane: Plane.network.rawValue, payload)
    }

    /// Every `item` value of a filtered EC2 describe, all pages.
    private func ids(_ action: String, item: String, filters: [(String, [String])]) async throws -> Set<String> {
        var found = Set<String>()
        for answer in try await ec2Pages(action, filters: filters) { collect(answer, name: item, into: &found) }
        return found
    }

    /// The pages of a filtered EC2 describe, following NextToken.
    private func ec2Pages(_ action: String, filters: [(String, [String])]) async throws -> [XMLNode] {
        let parameters = QueryValue.filters(filters.map { (name: $0.0, values: $0.1) })
        var answers: [XMLNode] = []
        let pages = client.pages(
            { token in .query(.ec2, action: action, parameters: parameters + (token.map { [("NextToken", $0)] } ?? [])) },
            nextToken: Pagination.ec2NextToken)
        for try await page in pages { answers.append(try page.xml()) }
        return answers
    }

    /// A described EC2 item's `tagSet`.
    private static func tags(of item: XMLNode) -> [String: String] {
        var tags: [String: String] = [:]
        for tag in item.child("tagSet")?.items ?? [] {
            if let key = tag.child("key")?.text { tags[key] = tag.child("value")?.text ?? "" }
        }
        return tags
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
            _ = try await client.rest(
                .eks, action: "DescribeCluster", method: "GET", path: "/clusters/\(AWSOperation.pathSegment(cluster))")
        } catch let error as AWSError where error.isNotFound {
            gone = true
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
