import AWSClient
import StrataModel

/// One security group rule in its smallest form, as EC2 stores it since rules got ids: one
/// direction, protocol, port range and one peer. Inline `ingress`/`egress` blocks and
/// `aws_security_group_rule` (which may list several peers) are sets of these.
struct AtomicRule: Hashable, Sendable {
    enum Peer: Hashable, Sendable {
        case cidr(String)
        case ipv6(String)
        case prefixList(String)
        case group(String)
    }

    var egress: Bool
    /// Normalised: `tcp`, `udp`, `icmp`, `icmpv6`, `-1` for all, or a number for the rest.
    var ipProtocol: String
    /// -1 when the protocol has no ports (`-1`), as EC2 reports it.
    var fromPort: Int
    var toPort: Int
    var peer: Peer
    var description: String?

    /// The rule without its description: what identifies it in EC2.
    var key: AtomicRule {
        var copy = self
        copy.description = nil
        return copy
    }

    /// AWS's protocol names: `all` and `-1` mean every protocol; the common numbers have names.
    static func normalProtocol(_ text: String) -> String {
        switch text.lowercased() {
        case "all", "-1": "-1"
        case "6": "tcp"
        case "17": "udp"
        case "1": "icmp"
        case "58": "icmpv6"
        default: text.lowercased()
        }
    }

    /// `IpPermissions.N.*` for one call carrying these rules, one permission per rule.
    static func ipPermissions(_ rules: [AtomicRule]) -> EC2.Parameters {
        var parameters: EC2.Parameters = []
        for (index, rule) in rules.enumerated() {
            let prefix = "IpPermissions.\(index + 1)"
            parameters.append((name: "\(prefix).IpProtocol", value: rule.ipProtocol))
            if rule.ipProtocol != "-1" {
                parameters.append((name: "\(prefix).FromPort", value: String(rule.fromPort)))
                parameters.append((name: "\(prefix).ToPort", value: String(rule.toPort)))
            }
            let (list, field): (String, String)
            let value: String
            switch rule.peer {
            case .cidr(let cidr): (list, field, value) = ("IpRanges", "CidrIp", cidr)
            case .ipv6(let cidr): (list, field, value) = ("Ipv6Ranges", "CidrIpv6", cidr)
            case .prefixList(let id): (list, field, value) = ("PrefixListIds", "PrefixListId", id)
            case .group(let id): (list, field, value) = ("Groups", "GroupId", id)
            }
            parameters.append((name: "\(prefix).\(list).1.\(field)", value: value))
            if let description = rule.description, !description.isEmpty {
                parameters.append((name: "\(prefix).\(list).1.Description", value: description))
            }
        }
        return parameters
    }

    /// The rules of a described group's `ipPermissions` or `ipPermissionsEgress`.
    static func rules(of permissions: XMLNode?, egress: Bool) -> [AtomicRule] {
        var out: [AtomicRule] = []
        for permission in permissions?.items ?? [] {
            let proto = normalProtocol(permission.child("ipProtocol")?.text ?? "-1")
            let from = proto == "-1" ? -1 : Int(permission.child("fromPort")?.text ?? "") ?? -1
            let to = proto == "-1" ? -1 : Int(permission.child("toPort")?.text ?? "") ?? -1
            func add(_ set: String, _ field: String, _ make: (String) -> Peer) {
                for item in permission.child(set)?.items ?? [] {
                    guard let value = item.child(field)?.text else { continue }
                    let description = item.child("description")?.text
                    out.append(
                        AtomicRule(
                            egress: egress, ipProtocol: proto, fromPort: from, toPort: to, peer: make(value),
                            description: description?.isEmpty == false ? description : nil))
                }
            }
            add("ipRanges", "cidrIp", Peer.cidr)
            add("ipv6Ranges", "cidrIpv6", Peer.ipv6)
            add("prefixListIds", "prefixListId", Peer.prefixList)
            add("groups", "groupId", Peer.group)
        }
        return out
    }

    /// A DescribeSecurityGroupRules item.
    static func rule(ofRuleItem item: XMLNode) -> AtomicRule? {
        let proto = normalProtocol(item.child("ipProtocol")?.text ?? "-1")
        let peer: Peer
        if let cidr = item.child("cidrIpv4")?.text, !cidr.isEmpty {
            peer = .cidr(cidr)
        } else if let cidr = item.child("cidrIpv6")?.text, !cidr.isEmpty {
            peer = .ipv6(cidr)
        } else if let list = item.child("prefixListId")?.text, !list.isEmpty {
            peer = .prefixList(list)
        } else if let group = item["referencedGroupInfo", "groupId"]?.text {
            peer = .group(group)
        } else {
            return nil
        }
        let description = item.child("description")?.text
        return AtomicRule(
            egress: item.child("isEgress")?.text == "true", ipProtocol: proto,
            fromPort: proto == "-1" ? -1 : Int(item.child("fromPort")?.text ?? "") ?? -1,
            toPort: proto == "-1" ? -1 : Int(item.child("toPort")?.text ?? "") ?? -1,
            peer: peer, description: description?.isEmpty == false ? description : nil)
    }

    // MARK: - Inline blocks (aws_security_group's ingress/egress)

    /// The atomic rules of inline blocks; `self: true` names the group itself.
    static func rules(ofBlocks value: Value?, egress: Bool, group: String) -> [AtomicRule] {
        guard case .list(let blocks)? = value else { return [] }
        var out: [AtomicRule] = []
        for case .map(let block) in blocks {
            let proto = normalProtocol(block["protocol"]?.textForm ?? "-1")
            let from = proto == "-1" ? -1 : block["from_port"]?.intValue ?? 0
            let to = proto == "-1" ? -1 : block["to_port"]?.intValue ?? 0
            let description = block["description"]?.stringValue
            var peers: [Peer] = []
            peers += (block["cidr_blocks"]?.stringList ?? []).map(Peer.cidr)
            peers += (block["ipv6_cidr_blocks"]?.stringList ?? []).map(Peer.ipv6)
            peers += (block["prefix_list_ids"]?.stringList ?? []).map(Peer.prefixList)
            peers += (block["security_groups"]?.stringList ?? []).map(Peer.group)
            if block["self"] == .bool(true) { peers.append(.group(group)) }
            for peer in peers {
                out.append(AtomicRule(egress: egress, ipProtocol: proto, fromPort: from, toPort: to, peer: peer, description: description))
            }
        }
        return out
    }

    /// Atomic rules as inline blocks: one block per protocol, ports and description, as the
    /// Terraform provider reads them. `-1` reads back with ports 0, as Terraform writes it.
    static func blocks(_ rules: [AtomicRule], group: String) -> Value {
        struct Key: Hashable { var proto: String; var from: Int; var to: Int; var description: String? }
        var grouped: [Key: [AtomicRule]] = [:]
        for rule in rules {
            grouped[Key(proto: rule.ipProtocol, from: rule.fromPort, to: rule.toPort, description: rule.description), default: []].append(
                rule)
        }
        // Sorted by protocol, ports and description so the same rules always read the same.
        let keys = grouped.keys.sorted {
            ($0.proto, $0.from, $0.to, $0.description ?? "") < ($1.proto, $1.from, $1.to, $1.description ?? "")
        }
        let blocks = keys.map { key -> Value in
            let rules = grouped[key] ?? []
            var cidrs: [String] = [], ipv6: [String] = [], lists: [String] = [], groups: [String] = []
            var isSelf = false
            for rule in rules {
                switch rule.peer {
                case .cidr(let value): cidrs.append(value)
                case .ipv6(let value): ipv6.append(value)
                case .prefixList(let value): lists.append(value)
                case .group(let value): if value == group { isSelf = true } else { groups.append(value) }
                }
            }
            return .map([
                "protocol": .string(key.proto),
                "from_port": .int(key.proto == "-1" ? 0 : key.from),
                "to_port": .int(key.proto == "-1" ? 0 : key.to),
                "cidr_blocks": .list(cidrs.sorted().map(Value.string)),
                "ipv6_cidr_blocks": .list(ipv6.sorted().map(Value.string)),
                "prefix_list_ids": .list(lists.sorted().map(Value.string)),
                "security_groups": .list(groups.sorted().map(Value.string)),
                "self": .bool(isSelf),
                "description": key.description.map(Value.string) ?? .null,
            ])
        }
        return .list(blocks)
    }

    // MARK: - Calls

    /// Authorizes rules of one direction, tagged (EC2 tags each rule it creates).
    static func authorize(_ rules: [AtomicRule], group: String, egress: Bool, tags: [String: String], _ ec2: EC2) async throws -> XMLNode? {
        guard !rules.isEmpty else { return nil }
        var parameters: EC2.Parameters = [(name: "GroupId", value: group)] + ipPermissions(rules)
        if !tags.isEmpty { parameters += EC2.tagSpecification("security-group-rule", tags) }
        return try await ec2.call(egress ? "AuthorizeSecurityGroupEgress" : "AuthorizeSecurityGroupIngress", parameters)
    }

    /// Revokes rules of one direction by their match fields; rules already gone are fine.
    static func revoke(_ rules: [AtomicRule], group: String, egress: Bool, _ ec2: EC2) async throws {
        guard !rules.isEmpty else { return }
        let parameters: EC2.Parameters = [(name: "GroupId", value: group)] + ipPermissions(rules.map(\.key))
        try await ec2.callIgnoringNotFound(egress ? "RevokeSecurityGroupEgress" : "RevokeSecurityGroupIngress", parameters)
    }

    /// The rules strata created or adopted: DescribeSecurityGroupRules filtered by the stack's
    /// tag, one read shared by the three rule types.
    static func ownedRuleItems(_ ec2: EC2) async throws -> [XMLNode] {
        try await ec2.owned("DescribeSecurityGroupRules", set: "securityGroupRuleSet")
    }

    static func invalidate(_ ec2: EC2) async {
        await ec2.invalidate("DescribeSecurityGroupRules")
        await ec2.invalidate("DescribeSecurityGroups")
    }

    /// Descriptions as the groups report them, for rule items that come back without one (the
    /// sandbox omits it for rules that reference a group).
    static func descriptions(_ ec2: EC2) async throws -> [AtomicRule: String] {
        var out: [AtomicRule: String] = [:]
        for group in try await SecurityGroupProvider.owned(ec2) {
            let rules = rules(of: group.child("ipPermissions"), egress: false) + rules(of: group.child("ipPermissionsEgress"), egress: true)
            for rule in rules {
                guard let id = group.child("groupId")?.text, let description = rule.description else { continue }
                out[GroupedRule(group: id, rule: rule.key).asKey] = description
            }
        }
        return out
    }
}

/// A rule keyed together with its group, so descriptions from several groups do not collide.
struct GroupedRule: Hashable {
    var group: String
    var rule: AtomicRule

    /// Encodes the group into the key's description slot (the key has none).
    var asKey: AtomicRule {
        var key = rule.key
        key.description = "group:\(group)"
        return key
    }
}
