import AWSClient
import StrataModel

/// `aws_security_group_rule`: one rule of a group with possibly several peers (each CIDR, prefix
/// list or group is an EC2 rule of its own). The catalog has no tags for it, but EC2 tags each
/// rule it authorizes, so strata writes its ownership tags there too: discovery reads the
/// stack's tagged rules (the same DescribeSecurityGroupRules read as the VPC rule types) and
/// groups them by address, so rules of inline blocks or other stacks are never taken for it.
struct SecurityGroupRuleProvider: ResourceProvider {
    let schema = ResourceSchema.awsSecurityGroupRule
    let deletion = DeletionRule(rank: 4, waitsFor: [:])
    let normalisation = NormalisationRules(sets: ["cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids"])

    /// Group, direction, protocol, ports and peers: what the rule is.
    func identity(of attributes: [String: Value]) -> String? {
        guard let group = attributes.string("security_group_id"), let direction = attributes.string("type"),
            let proto = attributes["protocol"]?.textForm
        else { return nil }
        // Peers not known yet (a group being created) give no identity rather than a wrong one.
        let peerFields = ["cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "source_security_group_id", "self", "from_port", "to_port"]
        guard peerFields.allSatisfy({ attributes[$0]?.isKnown ?? true }) else { return nil }
        let rules = Self.rules(attributes, group: group)
        guard !rules.isEmpty else { return nil }
        let normal = AtomicRule.normalProtocol(proto)
        let from = normal == "-1" ? 0 : attributes.int("from_port") ?? 0
        let to = normal == "-1" ? 0 : attributes.int("to_port") ?? 0
        let peers = rules.map { "\($0.peer)" }.sorted().joined(separator: ",")
        return "\(group)|\(direction)|\(normal)|\(from)-\(to)|\(peers)"
    }

    /// The EC2 rules this resource stands for.
    static func rules(_ attributes: [String: Value], group: String) -> [AtomicRule] {
        let block: [String: Value] = [
            "protocol": attributes["protocol"] ?? .null,
            "from_port": attributes["from_port"] ?? .null,
            "to_port": attributes["to_port"] ?? .null,
            "cidr_blocks": attributes["cidr_blocks"] ?? .null,
            "ipv6_cidr_blocks": attributes["ipv6_cidr_blocks"] ?? .null,
            "prefix_list_ids": attributes["prefix_list_ids"] ?? .null,
            "security_groups": attributes.string("source_security_group_id").map { .list([.string($0)]) } ?? .null,
            "self": attributes["self"] ?? .null,
            "description": attributes["description"] ?? .null,
        ]
        return AtomicRule.rules(ofBlocks: .list([.map(block)]), egress: attributes.string("type") == "egress", group: group)
    }

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        let ec2 = EC2(context)
        var byAddress: [ResourceAddress: [XMLNode]] = [:]
        for item in try await AtomicRule.ownedRuleItems(ec2) {
            guard let address = EC2.tags(of: item)[ProviderContext.addressTag].flatMap(ResourceAddress.init(parsing:)),
                address.type == type
            else { continue }
            byAddress[address, default: []].append(item)
        }
        guard !byAddress.isEmpty else { return [] }
        let descriptions = try await AtomicRule.descriptions(ec2)
        return byAddress.sorted { $0.key < $1.key }.compactMap { live($0.key, $0.value, descriptions) }
    }

    func live(_ address: ResourceAddress?, _ items: [XMLNode], _ descriptions: [AtomicRule: String]) -> LiveResource? {
        guard let first = items.first, let group = first.child("groupId")?.text,
            let head = AtomicRule.rule(ofRuleItem: first)
        else { return nil }
        var cidrs: [String] = [], ipv6: [String] = [], lists: [String] = []
        var source: String?
        var isSelf = false
        var description: String?
        for item in items {
            guard let rule = AtomicRule.rule(ofRuleItem: item) else { continue }
            description = description ?? rule.description ?? descriptions[GroupedRule(group: group, rule: rule).asKey]
            switch rule.peer {
            case .cidr(let value): cidrs.append(value)
            case .ipv6(let value): ipv6.append(value)
            case .prefixList(let value): lists.append(value)
            case .group(let value): if value == group { isSelf = true } else { source = value }
            }
        }
        let id = items.compactMap { $0.child("securityGroupRuleId")?.text }.sorted().first ?? group
        var attributes: [String: Value] = [
            "id": .string(id),
            "security_group_rule_id": .string(id),
            "type": .string(head.egress ? "egress" : "ingress"),
            "security_group_id": .string(group),
            "protocol": .string(head.ipProtocol),
            "from_port": .int(head.ipProtocol == "-1" ? 0 : head.fromPort),
            "to_port": .int(head.ipProtocol == "-1" ? 0 : head.toPort),
            "cidr_blocks": cidrs.isEmpty ? .null : .list(cidrs.sorted().map(Value.string)),
            "ipv6_cidr_blocks": ipv6.isEmpty ? .null : .list(ipv6.sorted().map(Value.string)),
            "prefix_list_ids": lists.isEmpty ? .null : .list(lists.sorted().map(Value.string)),
            "source_security_group_id": source.map(Value.string) ?? .null,
            "self": .bool(isSelf),
            "description": description.map(Value.string) ?? .null,
        ]
        let identity = identity(of: attributes)
        attributes["id"] = .string(id)
        return LiveResource(type: type, address: address, id: id, identity: identity, attributes: attributes)
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let ec2 = EC2(context)
        let group = try desired.required("security_group_id")
        let egress = try desired.required("type") == "egress"
        let rules = Self.rules(desired.attributes, group: group)
        guard !rules.isEmpty else {
            throw ProviderError.invalidAttribute(
                type: type, address: desired.address, attribute: "cidr_blocks",
                problem: "no peer: set one of cidr_blocks, ipv6_cidr_blocks, prefix_list_ids, source_security_group_id or self")
        }
        // The catalog type has no tags of its own; the ownership tags are what discovery reads.
        let tags = [ProviderContext.stackTag: context.stack, ProviderContext.addressTag: desired.address.canonical]
        for rule in rules {
            do {
                _ = try await AtomicRule.authorize([rule], group: group, egress: egress, tags: tags, ec2)
            } catch let error as AWSError where error.code == "InvalidPermission.Duplicate" {
                // Authorized before a crash, or by hand: adopt it by tagging it.
                let items = try await ec2.describe(
                    "DescribeSecurityGroupRules", set: "securityGroupRuleSet", QueryValue.filters([(name: "group-id", values: [group])]))
                guard
                    let existing = items.first(where: {
                        $0.child("groupId")?.text == group && AtomicRule.rule(ofRuleItem: $0)?.key == rule.key
                    }),
                    let id = existing.child("securityGroupRuleId")?.text
                else { throw error }
                try await TagSync.sync(ec2.tagCalls(id), live: EC2.tags(of: existing), desired: tags)
            }
        }
        await AtomicRule.invalidate(ec2)
        return try await refreshed(desired.address, context)
            ?? LiveResource(
                type: type, address: desired.address, id: group, identity: identity(of: desired.attributes), attributes: desired.attributes)
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        // Only the description changes in place; every other attribute forces a replacement.
        let ec2 = EC2(context)
        let group = try desired.required("security_group_id")
        let egress = desired.attributes.string("type") == "egress"
        if changed.contains("description") {
            var rules = Self.rules(desired.attributes, group: group)
            for index in rules.indices { rules[index].description = rules[index].description ?? "" }
            try await ec2.call(
                egress ? "UpdateSecurityGroupRuleDescriptionsEgress" : "UpdateSecurityGroupRuleDescriptionsIngress",
                [(name: "GroupId", value: group)] + AtomicRule.ipPermissions(rules))
        }
        await AtomicRule.invalidate(ec2)
        return try await refreshed(desired.address, context) ?? live
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let ec2 = EC2(context)
        guard let group = live.attributes.string("security_group_id") else { return }
        let egress = live.attributes.string("type") == "egress"
        try await AtomicRule.revoke(Self.rules(live.attributes, group: group), group: group, egress: egress, ec2)
        await AtomicRule.invalidate(ec2)
    }

    private func refreshed(_ address: ResourceAddress, _ context: ProviderContext) async throws -> LiveResource? {
        let ec2 = EC2(context)
        let items = try await ec2.describe(
            "DescribeSecurityGroupRules", set: "securityGroupRuleSet",
            QueryValue.filters([
                (name: "tag:\(ProviderContext.addressTag)", values: [address.canonical]),
                (name: "tag:\(ProviderContext.stackTag)", values: [context.stack]),
            ]))
        guard !items.isEmpty else { return nil }
        return live(address, items, try await AtomicRule.descriptions(ec2))
    }
}
