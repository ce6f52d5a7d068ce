import StrataModel
import StrataSyntax

/// Pass 6: the rules that need more than one resource or more than a type: subnets inside their
/// VPC and not overlapping each other, EKS versions supported and node groups never newer than
/// their cluster, IAM policy documents well formed. Each applies only when the values are known
/// at compile time; the planner checks the rest against AWS.
enum CheckRules {
    /// The EKS versions strata can create or upgrade to (standard and extended support).
    static let eksVersions = ["1.28", "1.29", "1.30", "1.31", "1.32", "1.33"]
    static let policyAttributes: Set<String> = ["policy", "assume_role_policy"]

    private struct Located {
        var instance: InstanceResult
        var type: String
        func attribute(_ name: String) -> InstanceResult.Attribute? {
            instance.attributes.first { $0.entry.name.name == name }
        }
    }

    static func run(_ c: inout Compilation) {
        var all: [Located] = []
        for scope in c.scopes.byModule.values {
            for result in scope.blockResults.values where result.schema != nil {
                for instance in result.instances {
                    all.append(Located(instance: instance, type: result.block.type.name))
                }
            }
        }
        all.sort { $0.instance.address < $1.instance.address }
        let byAddress = Dictionary(all.map { ($0.instance.address, $0) }, uniquingKeysWith: { a, _ in a })
        checkSubnets(all, byAddress, &c)
        checkVersions(all, byAddress, &c)
        checkPolicies(all, &c)
        checkInlineChildren(all, byAddress, &c)
    }

    // MARK: - Children declared twice

    /// A child declared as a resource of its own whose parent also declares that kind of child
    /// inline (an `aws_route` into a table with a `route` list): the parent owns its whole set,
    /// so each apply would remove what the other adds.
    private static func checkInlineChildren(_ all: [Located], _ byAddress: [ResourceAddress: Located], _ c: inout Compilation) {
        var parentOf: [String: (type: String, inline: InlineChildren)] = [:]
        for (parentType, schema) in c.catalog {
            for (childType, inline) in schema.inlineChildren { parentOf[childType] = (parentType, inline) }
        }
        for child in all {
            guard let (parentType, inline) = parentOf[child.type], let reference = child.attribute(inline.parentReference) else { continue }
            for address in reference.dependencies.sorted() {
                guard let parent = byAddress[address], parent.type == parentType, let declared = parent.attribute(inline.attribute),
                    declared.value != .null
                else { continue }
                c.diagnostics.append(
                    .childDeclaredTwice(
                        child.instance.address, parent: address, attribute: inline.attribute, at: reference.entry.value.span,
                        inlineAt: declared.entry.value.span))
            }
        }
    }

    // MARK: - Networks

    private static func cidr(_ attribute: InstanceResult.Attribute?) -> CIDR? {
        guard case .string(let text)? = attribute?.value, case .success(let cidr) = CIDR.parse(text) else { return nil }
        return cidr
    }

    private static func checkSubnets(_ all: [Located], _ byAddress: [ResourceAddress: Located], _ c: inout Compilation) {
        var byVPC: [ResourceAddress: [(Located, CIDR, SourceSpan)]] = [:]
        for subnet in all where subnet.type == "aws_subnet" {
            if let zone = subnet.attribute("availability_zone"), case .string(let name) = zone.value,
                !isZone(name, of: c.region)
            {
                c.diagnostics.append(.zoneOutsideRegion(name, region: c.region, at: zone.entry.value.span))
            }
            guard let cidrAttribute = subnet.attribute("cidr_block"), let block = cidr(cidrAttribute) else { continue }
            let span = cidrAttribute.entry.value.span
            guard
                let vpcAddress = subnet.attribute("vpc_id")?.dependencies.sorted().first(where: {
                    byAddress[$0]?.type == "aws_vpc"
                }),
                let vpc = byAddress[vpcAddress]
            else { continue }
            byVPC[vpcAddress, default: []].append((subnet, block, span))
            guard let vpcCIDRAttribute = vpc.attribute("cidr_block"), let vpcBlock = cidr(vpcCIDRAttribute) else {
                continue
            }
            if !vpcBlock.contains(block) {
                c.diagnostics.append(
                    .subnetOutsideVPC(
                        subnet.instance.address, block, vpcBlock, at: span,
                        vpcBlockAt: vpcCIDRAttribute.entry.value.span))
            }
        }
        for vpc in byVPC.keys.sorted() {
            // Sorted by first address, an overlap is always with the widest block seen so far.
            let subnets = (byVPC[vpc] ?? []).sorted {
                ($0.1.first, $0.0.instance.address) < ($1.1.first, $1.0.instance.address)
            }
            var widest: (Located, CIDR, SourceSpan)?
            // One block's subnets share their `cidr_block` expression: one overlap per block is
            // the cause, the others are its repeats.
            var overlaps: [ResourceAddress: RepeatedDiagnostics] = [:]
            for subnet in subnets {
                if let previous = widest, previous.1.overlaps(subnet.1) {
                    overlaps[subnet.0.instance.address.block, default: RepeatedDiagnostics()].add([
                        .subnetsOverlap(
                            subnet.0.instance.address, subnet.1, previous.0.instance.address, previous.1, in: vpc,
                            at: subnet.2, otherAt: previous.2)
                    ])
                }
                if widest == nil || subnet.1.last > (widest?.1.last ?? 0) { widest = subnet }
            }
            for block in overlaps.keys.sorted() { c.diagnostics += overlaps[block]?.collapsed(block: block) ?? [] }
        }
    }

    /// `us-east-1a` is a zone of `us-east-1`; `eu-west-1a` or `us-east-1` itself are not.
    static func isZone(_ name: String, of region: String) -> Bool {
        guard name.hasPrefix(region), name.count == region.count + 1, let letter = name.last else { return false }
        return letter.isLowercase && letter.isLetter
    }

    // MARK: - Versions

    /// `1.31` → (1, 31); nil when not a `major.minor` version.
    static func minorVersion(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: ".")
        guard parts.count >= 2, let major = Int(parts[0]), let minor = Int(parts[1]) else { return nil }
        return (major, minor)
    }

    private static func checkVersions(_ all: [Located], _ byAddress: [ResourceAddress: Located], _ c: inout Compilation) {
        var clustersByName: [String: Located] = [:]
        for cluster in all where cluster.type == "aws_eks_cluster" {
            if case .string(let name)? = cluster.attribute("name")?.value { clustersByName[name] = cluster }
            guard let attribute = cluster.attribute("version"), case .string(let version) = attribute.value else {
                continue
            }
            if !eksVersions.contains(version) {
                c.diagnostics.append(.unsupportedEKSVersion(version, at: attribute.entry.value.span))
            }
        }
        for group in all where group.type == "aws_eks_node_group" {
            guard let attribute = group.attribute("version"), case .string(let version) = attribute.value else {
                continue
            }
            let span = attribute.entry.value.span
            guard let groupVersion = minorVersion(version) else {
                c.diagnostics.append(.malformedNodeGroupVersion(version, at: span))
                continue
            }
            let clusterAttribute = group.attribute("cluster_name")
            var cluster = clusterAttribute?.dependencies.sorted().compactMap { byAddress[$0] }.first {
                $0.type == "aws_eks_cluster"
            }
            if cluster == nil, case .string(let name)? = clusterAttribute?.value { cluster = clustersByName[name] }
            guard let cluster, let clusterVersionAttribute = cluster.attribute("version"),
                case .string(let clusterVersion) = clusterVersionAttribute.value,
                let controlPlane = minorVersion(clusterVersion)
            else { continue }
            if groupVersion > controlPlane {
                c.diagnostics.append(
                    .nodeGroupNewerThanCluster(
                        group.instance.address, version, clusterVersion, at: span,
                        clusterVersionAt: clusterVersionAttribute.entry.value.span))
            } else if groupVersion.0 == controlPlane.0, controlPlane.1 - groupVersion.1 > 3 {
                c.diagnostics.append(
                    .nodeGroupTooOld(
                        group.instance.address, version, clusterVersion, at: span,
                        clusterVersionAt: clusterVersionAttribute.entry.value.span))
            }
        }
    }

    // MARK: - IAM

    private static func checkPolicies(_ all: [Located], _ c: inout Compilation) {
        for resource in all {
            for attribute in resource.instance.attributes where policyAttributes.contains(attribute.entry.name.name) {
                guard case .string(let text) = attribute.value, case .success(let document) = JSONText.decode(text)
                else { continue }
                if let problem = policyProblem(document) {
                    // A policy written as a YAML mapping spans many lines: point at its key.
                    let span =
                        if case .map = attribute.entry.value.kind,
                            attribute.entry.value.span.start.line != attribute.entry.name.span.start.line
                        {
                            attribute.entry.name.span
                        } else {
                            attribute.entry.value.span
                        }
                    c.diagnostics.append(.invalidPolicyDocument(attribute.entry.name.name, problem, at: span))
                }
            }
        }
    }

    /// What is wrong with a policy document, or nil.
    static func policyProblem(_ document: Value) -> String? {
        guard case .map(let members) = document else { return "it must be a JSON object" }
        guard let version = members["Version"] else { return "it has no `Version` (use \"2012-10-17\")" }
        guard case .string(let text) = version, text == "2012-10-17" || text == "2008-10-17" else {
            return "`Version` must be \"2012-10-17\""
        }
        guard let statement = members["Statement"] else { return "it has no `Statement`" }
        let statements: [Value]
        switch statement {
        case .list(let items): statements = items
        case .map: statements = [statement]
        default: return "`Statement` must be a list of statements"
        }
        if statements.isEmpty { return "`Statement` is empty" }
        for (index, statement) in statements.enumerated() {
            guard case .map(let fields) = statement else { return "statement \(index + 1) must be an object" }
            guard case .string(let effect)? = fields["Effect"], effect == "Allow" || effect == "Deny" else {
                return "statement \(index + 1) needs `Effect` \"Allow\" or \"Deny\""
            }
            if fields["Action"] == nil && fields["NotAction"] == nil {
                return "statement \(index + 1) has no `Action`"
            }
        }
        return nil
    }
}

extension Diagnostic {
    static func subnetOutsideVPC(
        _ subnet: ResourceAddress, _ block: CIDR, _ vpcBlock: CIDR, at span: SourceSpan, vpcBlockAt: SourceSpan
    ) -> Diagnostic {
        .error(
            "subnet `\(subnet)` (\(block)) is outside its VPC's CIDR block \(vpcBlock)", at: span,
            notes: [.init("the VPC's CIDR block is set here", at: vpcBlockAt)])
    }

    static func subnetsOverlap(
        _ subnet: ResourceAddress, _ block: CIDR, _ other: ResourceAddress, _ otherBlock: CIDR,
        in vpc: ResourceAddress, at span: SourceSpan, otherAt: SourceSpan
    ) -> Diagnostic {
        .error(
            "subnet `\(subnet)` (\(block)) overlaps `\(other)` (\(otherBlock)) in `\(vpc)`", at: span,
            notes: [.init("the other subnet's CIDR block is set here", at: otherAt)])
    }

    static func unsupportedEKSVersion(_ version: String, at span: SourceSpan) -> Diagnostic {
        .error(
            "EKS version `\(version)` is not supported; use one of \(CheckRules.eksVersions.joined(separator: ", "))",
            at: span)
    }

    static func malformedNodeGroupVersion(_ version: String, at span: SourceSpan) -> Diagnostic {
        .error("node group version `\(version)` is not a Kubernetes version like `1.31`", at: span)
    }

    static func nodeGroupNewerThanCluster(
        _ group: ResourceAddress, _ version: String, _ clusterVersion: String, at span: SourceSpan,
        clusterVersionAt: SourceSpan
    ) -> Diagnostic {
        .error(
            "node group `\(group)` version \(version) is newer than its cluster's \(clusterVersion)", at: span,
            detail: "Kubernetes never lets nodes run ahead of the control plane; upgrade the cluster first",
            notes: [.init("the cluster's version is set here", at: clusterVersionAt)])
    }

    static func childDeclaredTwice(
        _ child: ResourceAddress, parent: ResourceAddress, attribute: String, at span: SourceSpan, inlineAt: SourceSpan
    ) -> Diagnostic {
        .error(
            "`\(child)` belongs to `\(parent)`, which declares its `\(attribute)` inline", at: span,
            detail:
                "a resource that declares `\(attribute)` inline owns all of it, so each apply would undo what the other does; declare it in one place",
            notes: [.init("the inline `\(attribute)` is set here", at: inlineAt)])
    }

    static func zoneOutsideRegion(_ zone: String, region: String, at span: SourceSpan) -> Diagnostic {
        .error("availability zone `\(zone)` is not in the stack's region `\(region)`", at: span)
    }

    /// A warning: kubelets may lag the control plane by at most three minors (Kubernetes' skew
    /// policy since 1.28), and an older node group blocks the next control-plane upgrade.
    static func nodeGroupTooOld(
        _ group: ResourceAddress, _ version: String, _ clusterVersion: String, at span: SourceSpan,
        clusterVersionAt: SourceSpan
    ) -> Diagnostic {
        .warning(
            "node group `\(group)` version \(version) is more than three minors behind its cluster's \(clusterVersion)",
            at: span, detail: "Kubernetes supports kubelets at most three minor versions older than the control plane",
            notes: [.init("the cluster's version is set here", at: clusterVersionAt)])
    }

    static func invalidPolicyDocument(_ attribute: String, _ problem: String, at span: SourceSpan) -> Diagnostic {
        .error("`\(attribute)` is not a valid IAM policy document: \(problem)", at: span)
    }
}
