import StrataCompiler
import StrataModel

/// Turns version changes of a cluster (or of its node pools alone) into the ordered steps apply
/// performs, within EKS's rules (docs/rollouts.md):
///
/// * `UpdateClusterVersion` moves one minor and is refused while any managed node group is not
///   at the control plane's version, and `CreateNodegroup` only accepts that version: so a
///   multi-minor upgrade is a list of hops, and at each hop but the last every managed pool moves
///   to the hop's minor; at the last it moves to the version the stack asks (which may trail by
///   one, never lead);
/// * per hop the control plane, then the add-ons whose version the new minor does not support
///   (to EKS's default for it; at the last hop to the stack's pin or the default), in the order
///   kube-proxy, vpc-cni, coredns, then the rest by name, then the node pools;
/// * Karpenter's nodes drift once, after the last hop, unless the kubelet skew Kubernetes allows
///   (3 minors from 1.28 on) makes an earlier drift necessary.
///
/// Problems are blocking findings with the stack line at fault, not errors: the plan shows them
/// and apply refuses to start. Pure: ``RolloutFacts`` holds what was read from AWS.
enum RolloutPlanner {
    /// One of the stack's resources as the rollout sees it: desired attributes, their spans, and
    /// the live attributes when it exists.
    struct Member {
        var address: ResourceAddress
        var type: String
        var attributes: [String: Value]
        var spans: [String: SourceSpan]
        var live: [String: Value]?
    }

    /// A green group found live for a pool: the rollout under way that the next run carries on.
    struct InFlight: Equatable {
        var green: String
        var target: String
    }

    /// `program` tells where the stack file sets a version (``StackOrigin``): findings point there.
    static func members(_ graph: CompiledGraph, changes: [ResourceChange], program: Program?) -> [Member] {
        let byAddress = Dictionary(changes.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
        return graph.instances.map { instance in
            var spans = instance.attributeSpans
            if let program, ["aws_eks_cluster", "aws_eks_node_group", "aws_eks_addon"].contains(instance.type) {
                for attribute in ["version", "addon_version"] {
                    if let origin = StackOrigin.span(of: attribute, at: instance.address, in: program) { spans[attribute] = origin }
                }
            }
            return Member(
                address: instance.address, type: instance.type, attributes: instance.attributes, spans: spans,
                live: byAddress[instance.address]?.before)
        }
    }

    /// The minors whose add-on versions and the subnets whose free addresses ``rollouts`` needs.
    static func needs(_ members: [Member]) -> (minors: Set<String>, subnets: Set<String>) {
        var minors = Set<String>()
        var subnets = Set<String>()
        for cluster in members where cluster.type == "aws_eks_cluster" {
            guard let name = cluster.attributes["name"]?.stringValue,
                let from = cluster.live?["version"]?.textForm.flatMap(MinorVersion.init),
                let to = cluster.attributes["version"]?.textForm.flatMap(MinorVersion.init)
            else { continue }
            let hops = MinorVersion.hops(from: from, to: to)
            minors.formUnion(hops.map(\.description))
            for pool in members where pool.type == "aws_eks_node_group" && pool.attributes["cluster_name"]?.stringValue == name {
                if let moving = Pool(pool, clusterVersion: to), case .list(let ids)? = pool.live?["subnet_ids"] {
                    subnets.formUnion(ids.compactMap(\.stringValue))
                    // A rollout killed after its control-plane step moves pools at the current
                    // minor: its add-ons may still be the previous minor's (see `rollout(of:)`).
                    if hops.isEmpty, moving.wanted > moving.live { minors.insert("\(from)") }
                }
            }
        }
        return (minors, subnets)
    }

    static func rollouts(_ members: [Member], facts: RolloutFacts, inFlight: [ResourceAddress: InFlight] = [:]) -> [RolloutPlan] {
        members.filter { $0.type == "aws_eks_cluster" }.compactMap { rollout(of: $0, members, facts: facts, inFlight: inFlight) }
    }

    // MARK: - One cluster

    private static func rollout(of cluster: Member, _ members: [Member], facts: RolloutFacts, inFlight: [ResourceAddress: InFlight])
        -> RolloutPlan?
    {
        guard let name = cluster.attributes["name"]?.stringValue, let liveText = cluster.live?["version"]?.textForm,
            let from = MinorVersion(liveText)
        else { return nil }
        let wanted = cluster.attributes["version"]?.textForm.flatMap(MinorVersion.init) ?? from
        let ofCluster = members.filter { $0.attributes["cluster_name"]?.stringValue == name }
        let pools = ofCluster.filter { $0.type == "aws_eks_node_group" }.compactMap { Pool($0, clusterVersion: wanted) }.sorted {
            $0.address < $1.address
        }
        var findings: [RolloutFinding] = []

        // EKS cannot downgrade: a cluster `strata upgrade` moved ahead of its files plans no
        // change (the planner dropped the diff) and says which line to update.
        if wanted < from {
            findings.append(.versionBehindLive(cluster.address, declared: wanted, live: from, at: cluster.spans["version"]))
            for pool in pools where pool.wanted < pool.live {
                findings.append(.versionBehindLive(pool.address, declared: pool.wanted, live: pool.live, at: pool.versionSpan))
            }
            return RolloutPlan(
                cluster: cluster.address, clusterName: name, fromVersion: "\(from)", toVersion: "\(from)", steps: [], findings: findings)
        }
        let to = wanted
        let hops = MinorVersion.hops(from: from, to: to)
        let last = hops.last ?? to
        var steps: [RolloutStep] = []

        for pool in pools {
            if pool.wanted > to {
                findings.append(.poolLeads(pool, clusterTarget: to))
            } else if !hops.isEmpty, pool.wanted < last.previous {
                findings.append(.poolTooFarBehind(pool, clusterTarget: to))
            }
            if pool.strategy == .blueGreen, hops.isEmpty, pool.wanted > pool.live, pool.wanted != from {
                findings.append(.greenNotAtControlPlane(pool, controlPlane: from))
            }
        }
        guard findings.isEmpty else {
            return RolloutPlan(
                cluster: cluster.address, clusterName: name, fromVersion: "\(from)", toVersion: "\(to)", steps: [], findings: findings)
        }

        // Where each pool is, and under which name, as the steps move it.
        var current = Dictionary(uniqueKeysWithValues: pools.map { ($0.address, (version: $0.live, name: $0.liveName)) })
        func move(_ pool: Pool, to version: MinorVersion, hop: MinorVersion) {
            guard let now = current[pool.address], now.version < version else { return }
            let record = inFlight[pool.address]
            let step = pool.step(from: now.version, to: version, hop: hop, blueName: now.name, inFlight: record)
            steps.append(step)
            current[pool.address] = (version, step.greenName ?? now.name)
        }

        // A pool behind the control plane catches up first: EKS refuses the next hop until then.
        for pool in pools where pool.live < from && (!hops.isEmpty || pool.wanted >= from) { move(pool, to: from, hop: from) }
        var addonVersions = Dictionary(
            uniqueKeysWithValues: ofCluster.filter { $0.type == "aws_eks_addon" && $0.live != nil }.map {
                ($0.address, $0.live?["addon_version"]?.stringValue)
            })
        let addons = ofCluster.filter { $0.type == "aws_eks_addon" && $0.live != nil }.sorted { addonOrder($0) < addonOrder($1) }
        if hops.isEmpty, !steps.isEmpty || pools.contains(where: { $0.wanted > $0.live }) {
            // A rollout killed after the control plane moved leaves add-ons on the previous
            // minor's versions: they move to what the killed run's last hop moved them to (the
            // stack's pin, else EKS's default for the minor) before the pools do.
            for addon in addons {
                let addonName = addon.attributes["addon_name"]?.stringValue ?? addon.address.canonical
                let pin = addon.attributes["addon_version"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
                guard let have = addonVersions[addon.address] ?? nil, let published = facts.addons["\(from)"]?[addonName],
                    let target = pin.flatMap({ published.compatible.contains($0) ? $0 : nil }) ?? published.defaultVersion, target != have
                else { continue }
                steps.insert(
                    RolloutStep(
                        kind: .addon, hop: "\(from)", target: addon.address, name: addonName, fromVersion: have, toVersion: target,
                        estimateSeconds: RolloutDurations.addonUpdate, summary: "add-on \(addonName) \(have) -> \(target)"),
                    at: steps.firstIndex { $0.kind != .addon } ?? steps.endIndex)
                addonVersions[addon.address] = target
            }
            for pool in pools where pool.wanted > pool.live { move(pool, to: pool.wanted, hop: from) }
        }
        let karpenter = members.filter { isNodeClass($0) && $0.attributes["cluster"]?.stringValue == name }
        var lastDrift = from
        for (index, hop) in hops.enumerated() {
            let isLast = index == hops.count - 1
            steps.append(
                RolloutStep(
                    kind: .controlPlane, hop: "\(hop)", target: cluster.address, name: name, fromVersion: "\(hop.previous)",
                    toVersion: "\(hop)", estimateSeconds: RolloutDurations.controlPlaneUpdate,
                    summary: "control plane \(hop.previous) -> \(hop)"))
            for addon in addons {
                let addonName = addon.attributes["addon_name"]?.stringValue ?? addon.address.canonical
                let have = addonVersions[addon.address] ?? nil
                let pin = addon.attributes["addon_version"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
                guard let published = facts.addons["\(hop)"]?[addonName] else {
                    findings.append(.addonUnpublished(addon, name: addonName, minor: hop))
                    continue
                }
                let target: String?
                if isLast, let pin {
                    guard published.compatible.contains(pin) else {
                        findings.append(.addonPinMissing(addon, name: addonName, pin: pin, minor: hop))
                        continue
                    }
                    target = pin
                } else if isLast {
                    target = published.defaultVersion
                } else {
                    // One minor at a time: an add-on follows EKS's default through every minor
                    // the cluster passes, so no later update skips one (EKS refuses that); one
                    // already at or past the default of this minor stays.
                    let stays = have.map { have in
                        published.compatible.contains(have)
                            && published.defaultVersion.map { !RolloutFacts.AddonVersions.precedes(have, $0) } ?? true
                    }
                    target = stays == true ? have : published.defaultVersion
                }
                guard let target, target != have else { continue }
                steps.append(
                    RolloutStep(
                        kind: .addon, hop: "\(hop)", target: addon.address, name: addonName, fromVersion: have, toVersion: target,
                        estimateSeconds: RolloutDurations.addonUpdate, summary: "add-on \(addonName) \(have ?? "?") -> \(target)"))
                addonVersions[addon.address] = target
            }
            for pool in pools { move(pool, to: isLast ? pool.wanted : hop, hop: hop) }
            // Karpenter's nodes stay on the old kubelet until they drift; drift them no more
            // often than the skew Kubernetes allows forces, and once at the end.
            if !karpenter.isEmpty, isLast || hops[index + 1].minor - lastDrift.minor > hops[index + 1].kubeletSkew {
                for nodeClass in karpenter {
                    let className =
                        nodeClass.attributes["manifest"]?[field: "metadata"]?[field: "name"]?.stringValue ?? nodeClass.address.canonical
                    steps.append(
                        RolloutStep(
                            kind: .karpenterDrift, hop: "\(hop)", target: nodeClass.address, name: className,
                            fromVersion: "\(lastDrift)", toVersion: "\(hop)", estimateSeconds: RolloutDurations.karpenterNodeReplace,
                            summary:
                                "Karpenter nodes of EC2NodeClass \(className) drift \(lastDrift) -> \(hop) (paced by its disruption budgets)"
                        ))
                }
                lastDrift = hop
            }
        }
        findings += subnetFindings(steps, pools: pools, facts: facts)
        guard !steps.isEmpty || !findings.isEmpty else { return nil }
        return RolloutPlan(
            cluster: cluster.address, clusterName: name, fromVersion: "\(from)", toVersion: "\(to)", steps: steps, findings: findings)
    }

    /// Each green group needs an address per node in its subnets, besides what is there.
    private static func subnetFindings(_ steps: [RolloutStep], pools: [Pool], facts: RolloutFacts) -> [RolloutFinding] {
        var findings: [RolloutFinding] = []
        var reported = Set<ResourceAddress>()
        for step in steps where step.kind == .nodePoolBlueGreen && !step.resuming && !reported.contains(step.target) {
            guard let pool = pools.first(where: { $0.address == step.target }), !pool.subnets.isEmpty else { continue }
            let known = pool.subnets.compactMap { facts.freeAddresses[$0] }
            guard known.count == pool.subnets.count else { continue }
            let free = known.reduce(0, +)
            if free < step.nodes ?? 0 {
                reported.insert(step.target)
                findings.append(.subnetsFull(pool, free: free, needed: step.nodes ?? 0))
            }
        }
        return findings
    }

    /// kube-proxy first (it must stay within the skew of the new API server), then the CNI the
    /// new pods need, then coredns (a Deployment that needs the network), then the rest by name.
    static func addonOrder(_ addon: Member) -> (Int, String) {
        let name = addon.attributes["addon_name"]?.stringValue ?? ""
        return (["kube-proxy", "vpc-cni", "coredns"].firstIndex(of: name) ?? 3, name)
    }

    static func isNodeClass(_ member: Member) -> Bool {
        member.type == "kubernetes_manifest" && member.attributes["manifest"]?[field: "kind"]?.stringValue == "EC2NodeClass"
    }
}

/// A managed node pool as the rollout plans it.
struct Pool {
    var address: ResourceAddress
    var declaredName: String
    var liveName: String
    var live: MinorVersion
    var wanted: MinorVersion
    var strategy: RolloutStrategy
    var drainTimeoutSeconds: Int
    var nodes: Int
    /// How many nodes EKS's in-place update replaces at once (`update_config`).
    var atOnce: Int
    var subnets: [String]
    var versionSpan: SourceSpan?
    var strategySpan: SourceSpan?

    /// Only pools that exist: a pool the plan creates starts at the control plane's version.
    /// A pool whose stack sets no version follows its cluster (`clusterVersion`).
    init?(_ member: RolloutPlanner.Member, clusterVersion: MinorVersion) {
        guard member.type == "aws_eks_node_group", let live = member.live,
            let liveVersion = live["version"]?.textForm.flatMap(MinorVersion.init)
        else { return nil }
        address = member.address
        liveName = live["node_group_name"]?.stringValue ?? member.address.canonical
        declaredName = member.attributes["node_group_name"]?.stringValue ?? liveName
        self.live = liveVersion
        wanted = member.attributes["version"]?.textForm.flatMap(MinorVersion.init) ?? clusterVersion
        let rollout = member.attributes["rollout"]
        strategy = rollout?[field: "strategy"]?.stringValue.flatMap(RolloutStrategy.init(rawValue:)) ?? .blueGreen
        drainTimeoutSeconds = rollout?[field: "drain_timeout"]?.stringValue.flatMap(DurationText.seconds) ?? 15 * 60
        nodes = live["scaling_config"]?[field: "desired_size"].flatMap { $0.intValue ?? $0.stringValue.flatMap { Int($0) } } ?? 0
        subnets = (live["subnet_ids"]?.listValue ?? []).compactMap(\.stringValue)
        let update = live["update_config"]
        if let count = update?[field: "max_unavailable"]?.intValue {
            atOnce = max(count, 1)
        } else if let percent = update?[field: "max_unavailable_percentage"]?.intValue {
            atOnce = max(nodes * percent / 100, 1)
        } else {
            atOnce = 1
        }
        versionSpan = member.spans["version"]
        strategySpan = member.spans["rollout"]
    }

    func step(from: MinorVersion, to: MinorVersion, hop: MinorVersion, blueName: String, inFlight: RolloutPlanner.InFlight?)
        -> RolloutStep
    {
        switch strategy {
        case .blueGreen:
            let derived = GreenGroup.greenName(pool: declaredName, minor: "\(to)")
            let resuming = inFlight?.target == "\(to)"
            let green = resuming ? inFlight?.green ?? derived : derived
            return RolloutStep(
                kind: .nodePoolBlueGreen, hop: "\(hop)", target: address, name: blueName, fromVersion: "\(from)", toVersion: "\(to)",
                greenName: green, nodes: nodes, drainTimeoutSeconds: drainTimeoutSeconds,
                estimateSeconds: RolloutDurations.blueGreen(nodes: nodes), resuming: resuming,
                summary:
                    "node pool \(declaredName) \(from) -> \(to), blue/green: create \(green), drain \(blueName) (\(nodes) nodes), delete it"
                    + (resuming ? " (resuming: \(green) exists)" : ""))
        case .rolling:
            return RolloutStep(
                kind: .nodePoolInPlace, hop: "\(hop)", target: address, name: blueName, fromVersion: "\(from)", toVersion: "\(to)",
                nodes: nodes, estimateSeconds: RolloutDurations.inPlace(nodes: nodes, atOnce: atOnce, zones: Set(subnets).count),
                summary: "node pool \(declaredName) \(from) -> \(to), rolling: EKS replaces its \(nodes) nodes in place")
        }
    }
}

extension Value {
    fileprivate var listValue: [Value]? {
        if case .list(let items) = self { return items }
        return nil
    }

    /// A member of a map value (a block's field), or nil.
    fileprivate subscript(field field: String) -> Value? {
        if case .map(let members) = self { return members[field] }
        return nil
    }
}

/// `1.31` as numbers, so `1.9 < 1.10`.
struct MinorVersion: Comparable, CustomStringConvertible, Hashable {
    var major: Int
    var minor: Int

    init?(_ text: String) {
        let parts = text.split(separator: ".")
        guard parts.count >= 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        self.major = major
        self.minor = minor
    }

    init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    var next: MinorVersion { MinorVersion(major: major, minor: minor + 1) }
    var previous: MinorVersion { MinorVersion(major: major, minor: minor - 1) }

    /// How many minors a kubelet may trail an API server of this version: 3 from 1.28 on, 2 before.
    var kubeletSkew: Int { self >= MinorVersion(major: 1, minor: 28) ? 3 : 2 }

    /// The minors the control plane passes from `from` to `to`: `1.29 -> 1.32` is 1.30, 1.31, 1.32.
    static func hops(from: MinorVersion, to: MinorVersion) -> [MinorVersion] {
        guard from.major == to.major, from < to else { return [] }
        return (from.minor + 1...to.minor).map { MinorVersion(major: from.major, minor: $0) }
    }

    var description: String { "\(major).\(minor)" }

    static func < (lhs: MinorVersion, rhs: MinorVersion) -> Bool { (lhs.major, lhs.minor) < (rhs.major, rhs.minor) }
}

/// `15m`, `90s`, `1h30m`, `500ms` (the language's durations) in whole seconds.
enum DurationText {
    static func seconds(_ text: String) -> Int? {
        var total = 0.0
        var number = ""
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while let character = rest.first {
            if character.isNumber {
                number.append(character)
                rest = rest.dropFirst()
                continue
            }
            guard let value = Double(number) else { return nil }
            if rest.hasPrefix("ms") {
                total += value / 1000
                rest = rest.dropFirst(2)
            } else {
                switch character {
                case "s": total += value
                case "m": total += value * 60
                case "h": total += value * 3600
                default: return nil
                }
                rest = rest.dropFirst()
            }
            number = ""
        }
        guard number.isEmpty else { return nil }
        return Int(total.rounded(.up))
    }
}
