import AWSClient
import StrataModel

/// `aws_vpc_security_group_ingress_rule` and `aws_vpc_security_group_egress_rule` (one
/// implementation, `egress` tells them apart): one rule with one peer, its own id and tags.
/// Authorize*  carries the tags (TagSpecification); discovery is DescribeSecurityGroupRules
/// filtered by the stack's tag, one read shared by all rule types.
struct VPCSecurityGroupRuleProvider: ResourceProvider {
    let egress: Bool
    var schema: ResourceSchema { egress ? .awsVPCSecurityGroupEgressRule : .awsVPCSecurityGroupIngressRule }
    let deletion = DeletionRule(rank: 4, waitsFor: [:])

    static let ingress = VPCSecurityGroupRuleProvider(egress: false)
    static let egress = VPCSecurityGroupRuleProvider(egress: true)

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        let ec2 = EC2(context)
        let items = try await AtomicRule.ownedRuleItems(ec2)
        let mine = items.filter {
            $0.child("isEgress")?.text == (egress ? "true" : "false")
                && EC2.tags(of: $0)[ProviderContext.addressTag].flatMap(ResourceAddress.init(parsing:))?.type == type
        }
        guard !mine.isEmpty else { return [] }
        let descriptions = try await AtomicRule.descriptions(ec2)
        return mine.compactMap { live($0, context.region, descriptions) }
    }

    func live(_ item: XMLNode, _ region: String, _ descriptions: [AtomicRule: String]) -> LiveResource? {
        guard let id = item.child("securityGroupRuleId")?.text, let group = item.child("groupId")?.text,
            var rule = AtomicRule.rule(ofRuleItem: item)
        else { return nil }
        if rule.description == nil { rule.description = descriptions[GroupedRule(group: group, rule: rule).asKey] }
        let owner = item.child("groupOwnerId")?.text ?? ""
        var attributes: [String: Value] = [
            "security_group_rule_id": .string(id),
            "arn": .string("arn:aws:ec2:\(region):\(owner):security-group-rule/\(id)"),
            "security_group_id": .string(group),
            "ip_protocol": .string(rule.ipProtocol),
            // All protocols have no ports; AWS reports -1, the catalog leaves them out.
            "from_port": rule.ipProtocol == "-1" ? .null : .int(rule.fromPort),
            "to_port": rule.ipProtocol == "-1" ? .null : .int(rule.toPort),
            "cidr_ipv4": .null, "cidr_ipv6": .null, "prefix_list_id": .null, "referenced_security_group_id": .null,
            "description": rule.description.map(Value.string) ?? .null,
        ]
        switch rule.peer {
        case .cidr(let value): attributes["cidr_ipv4"] = .string(value)
        case .ipv6(let value): attributes["cidr_ipv6"] = .string(value)
        case .prefixList(let value): attributes["prefix_list_id"] = .string(value)
        case .group(let value): attributes["referenced_security_group_id"] = .string(value)
        }
        return EC2.taggedResource(type: type, id: id, item: item, attributes: attributes)
    }

    /// The desired rule in EC2's terms.
    func rule(_ desired: DesiredResource) throws -> AtomicRule {
        let proto = AtomicRule.normalProtocol(try desired.required("ip_protocol"))
        let peer: AtomicRule.Peer
        if let value = desired.attributes.string("cidr_ipv4") {
            peer = .cidr(value)
        } else if let value = desired.attributes.string("cidr_ipv6") {
            peer = .ipv6(value)
        } else if let value = desired.attributes.string("prefix_list_id") {
            peer = .prefixList(value)
        } else if let value = desired.attributes.string("referenced_security_group_id") {
            peer = .group(value)
        } else {
            throw ProviderError.invalidAttribute(
                type: desired.type, address: desired.address, attribute: "cidr_ipv4",
                problem: "no peer: set one of cidr_ipv4, cidr_ipv6, prefix_list_id or referenced_security_group_id")
        }
        return AtomicRule(
            egress: egress, ipProtocol: proto,
            fromPort: proto == "-1" ? -1 : desired.attributes.int("from_port") ?? -1,
            toPort: proto == "-1" ? -1 : desired.attributes.int("to_port") ?? -1,
            peer: peer, description: desired.attributes.string("description"))
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let ec2 = EC2(context)
        let group = try desired.required("security_group_id")
        let rule = try rule(desired)
        var id: String?
        do {
            let answer = try await AtomicRule.authorize([rule], group: group, egress: egress, tags: desired.tags, ec2)
            id = answer?.child("securityGroupRuleSet")?.items.first?.child("securityGroupRuleId")?.text
        } catch let error as AWSError where error.code == "InvalidPermission.Duplicate" {
            // The rule exists: an earlier run authorized it before crashing, or it is AWS's own
            // allow-all egress, still there because the group's create was cut short before
            // revoking it. EC2 matches rules without their description: adopt it with this
            // rule's tags, then give it this rule's description.
            guard let existing = try await find(rule, group: group, ec2) else { throw error }
            id = existing.child("securityGroupRuleId")?.text
            if let id {
                try await TagSync.sync(ec2.tagCalls(id), live: EC2.tags(of: existing), desired: desired.tags)
                await AtomicRule.invalidate(ec2)
                if let adopted = try await refreshed(id, context), adopted.attributes.string("description") != rule.description {
                    return try await update(adopted, to: desired, changed: ["description"], context)
                }
            }
        }
        await AtomicRule.invalidate(ec2)
        guard let id else {
            throw ProviderError.missing("id", from: "authorize", desired)
        }
        return try await refreshed(id, context)
            ?? LiveResource(type: type, address: desired.address, id: id, attributes: ["id": .string(id)])
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let ec2 = EC2(context)
        let ruleFields: Set<String> = [
            "ip_protocol", "from_port", "to_port", "cidr_ipv4", "cidr_ipv6", "prefix_list_id", "referenced_security_group_id",
            "description",
        ]
        if !changed.isDisjoint(with: ruleFields) {
            // ModifySecurityGroupRules rewrites the rule in place, keeping its id and tags.
            let rule = try rule(desired)
            let prefix = "SecurityGroupRule.1.SecurityGroupRule"
            var parameters: EC2.Parameters = [
                (name: "GroupId", value: try desired.required("security_group_id")),
                (name: "SecurityGroupRule.1.SecurityGroupRuleId", value: live.id),
                (name: "\(prefix).IpProtocol", value: rule.ipProtocol),
                (name: "\(prefix).FromPort", value: String(rule.fromPort)),
                (name: "\(prefix).ToPort", value: String(rule.toPort)),
            ]
            switch rule.peer {
            case .cidr(let value): parameters.append((name: "\(prefix).CidrIpv4", value: value))
            case .ipv6(let value): parameters.append((name: "\(prefix).CidrIpv6", value: value))
            case .prefixList(let value): parameters.append((name: "\(prefix).PrefixListId", value: value))
            case .group(let value): parameters.append((name: "\(prefix).ReferencedGroupId", value: value))
            }
            parameters.append((name: "\(prefix).Description", value: rule.description ?? ""))
            try await ec2.call("ModifySecurityGroupRules", parameters)
        }
        try await TagSync.update(live, to: desired, changed: changed, ec2.tagCalls(live.id))
        await AtomicRule.invalidate(ec2)
        return try await refreshed(live.id, context) ?? live
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let ec2 = EC2(context)
        guard let group = live.attributes.string("security_group_id") else { return }
        do {
            try await ec2.call(
                egress ? "RevokeSecurityGroupEgress" : "RevokeSecurityGroupIngress",
                [(name: "GroupId", value: group), (name: "SecurityGroupRuleId.1", value: live.id)])
        } catch let error as AWSError where error.isNotFound || error.code == "InvalidPermission.NotFound" {
            // Gone already (or its group is).
        }
        await AtomicRule.invalidate(ec2)
    }

    /// The rule item in `group` matching `rule`'s match fields.
    private func find(_ rule: AtomicRule, group: String, _ ec2: EC2) async throws -> XMLNode? {
        let items = try await ec2.describe(
            "DescribeSecurityGroupRules", set: "securityGroupRuleSet", QueryValue.filters([(name: "group-id", values: [group])]))
        return items.first { $0.child("groupId")?.text == group && AtomicRule.rule(ofRuleItem: $0)?.key == rule.key }
    }

    private func refreshed(_ id: String, _ context: ProviderContext) async throws -> LiveResource? {
        let ec2 = EC2(context)
        let items = try await ec2.describe(
            "DescribeSecurityGroupRules", set: "securityGroupRuleSet", [(name: "SecurityGroupRuleId.1", value: id)])
        guard !items.isEmpty else { return nil }
        let descriptions = try await AtomicRule.descriptions(ec2)
        return items.compactMap { live($0, context.region, descriptions) }.first { $0.id == id }
    }
}
