import AWSClient
import StrataModel

/// `aws_security_group`: CreateSecurityGroup with its tags; then, as the schema records and the
/// Terraform provider does, AWS's default allow-all egress rule is revoked so the group's egress
/// is exactly what the stack declares; then the inline rules are authorized (tagged with the
/// group's ownership tags).
struct SecurityGroupProvider: ResourceProvider {
    let schema = ResourceSchema.awsSecurityGroup
    // A rule of another group naming this one, a launch template using it: DependencyViolation.
    let deletion = DeletionRule(
        rank: 6,
        waitsFor: [
            "aws_security_group_rule": .naming, "aws_vpc_security_group_ingress_rule": .naming,
            "aws_vpc_security_group_egress_rule": .naming, "aws_launch_template": .naming,
        ])
    let normalisation = NormalisationRules(
        sets: ["security_groups", "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "ingress", "egress"],
        writeOnly: ["revoke_rules_on_delete"])

    static let defaultDescription = "Managed by strata"

    /// The stack's groups: one paginated read, shared with the rule types.
    static func owned(_ ec2: EC2) async throws -> [XMLNode] {
        try await ec2.owned("DescribeSecurityGroups", set: "securityGroupInfo")
    }

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        try await Self.owned(EC2(context)).compactMap { live($0, context.region) }
    }

    func live(_ group: XMLNode, _ region: String) -> LiveResource? {
        guard let id = group.child("groupId")?.text else { return nil }
        let owner = group.child("ownerId")?.text ?? ""
        let attributes: [String: Value] = [
            "name": EC2.string(group, "groupName") ?? .null,
            "description": EC2.string(group, "groupDescription") ?? .string(""),
            "vpc_id": EC2.string(group, "vpcId") ?? .null,
            "owner_id": .string(owner),
            "arn": EC2.string(group, "securityGroupArn") ?? .string("arn:aws:ec2:\(region):\(owner):security-group/\(id)"),
            "ingress": AtomicRule.blocks(AtomicRule.rules(of: group.child("ipPermissions"), egress: false), group: id),
            "egress": AtomicRule.blocks(AtomicRule.rules(of: group.child("ipPermissionsEgress"), egress: true), group: id),
            // `revoke_rules_on_delete` is a delete-time switch AWS does not store: not read back.
        ]
        return EC2.taggedResource(type: type, id: id, item: group, attributes: attributes)
    }

    /// The group's name: the stack's, or one derived from the prefix and the create's token, so
    /// a re-run create asks for the same name and finds its first group.
    static func name(_ desired: DesiredResource) -> String {
        if let name = desired.attributes.string("name") { return name }
        let prefix = desired.attributes.string("name_prefix") ?? "strata-"
        return prefix + String(desired.idempotencyToken.prefix(26))
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let ec2 = EC2(context)
        let name = Self.name(desired)
        let vpc = desired.attributes.string("vpc_id")
        var parameters: EC2.Parameters = [
            (name: "GroupName", value: name),
            (name: "GroupDescription", value: desired.attributes.string("description") ?? Self.defaultDescription),
        ]
        if let vpc { parameters.append((name: "VpcId", value: vpc)) }
        parameters += EC2.tagSpecification("security-group", desired.tags)
        let id: String
        do {
            let answer = try await ec2.call("CreateSecurityGroup", parameters)
            id = try EC2.createdID(answer, ["groupId"], call: "CreateSecurityGroup", desired)
        } catch let error as AWSError where error.isAlreadyExists {
            // A group of this name exists in the VPC. An earlier run of this create made it if it
            // carries this address's tag: adopt it. Anyone else's group is a real conflict.
            var filters = [(name: "group-name", values: [name])]
            if let vpc { filters.append((name: "vpc-id", values: [vpc])) }
            let found = try await ec2.describe("DescribeSecurityGroups", set: "securityGroupInfo", QueryValue.filters(filters))
            guard
                let mine = found.first(where: {
                    EC2.tags(of: $0)[ProviderContext.addressTag] == desired.address.canonical
                        && EC2.tags(of: $0)[ProviderContext.stackTag] == context.stack
                }),
                let groupID = mine.child("groupId")?.text
            else { throw error }
            id = groupID
        }
        await AtomicRule.invalidate(ec2)
        // AWS's allow-all egress goes first (gone already on a re-run: fine); then the inline
        // rules. A crash in between: see settle.
        // Every group is a VPC group since EC2-Classic retired (no vpc_id: the default VPC).
        try await AtomicRule.revoke([Self.allowAll], group: id, egress: true, ec2)
        let ruleTags = desired.tags
        for egress in [false, true] {
            let rules = AtomicRule.rules(ofBlocks: desired.attributes[egress ? "egress" : "ingress"], egress: egress, group: id)
            try await authorizeMissing(rules, group: id, egress: egress, tags: ruleTags, ec2)
        }
        return try await refreshed(id, context)
            ?? LiveResource(type: type, address: desired.address, id: id, attributes: ["id": .string(id)])
    }

    /// Inline rules as EC2 keeps them: split into one rule per peer, then merged by protocol,
    /// ports and description, which is how discovery reads them back. `self` stands for the
    /// group on both sides, so a placeholder id serves for one not created yet.
    func comparable(_ attributes: [String: Value]) -> [String: Value] {
        var out = attributes
        for egress in [false, true] {
            let name = egress ? "egress" : "ingress"
            guard let blocks = attributes[name], blocks != .null, blocks.isKnown else { continue }
            let rules = AtomicRule.rules(ofBlocks: blocks, egress: egress, group: Self.selfPlaceholder)
            out[name] = AtomicRule.blocks(rules, group: Self.selfPlaceholder)
        }
        return out
    }

    private static let selfPlaceholder = "sg-self"

    /// The egress rule AWS gives every new group.
    static let allowAll = AtomicRule(egress: true, ipProtocol: "-1", fromPort: -1, toPort: -1, peer: .cidr("0.0.0.0/0"))

    /// A group whose create was cut short after CreateSecurityGroup (the run killed, or the
    /// answer lost to a 5xx and the group adopted by the retry) still has AWS's allow-all egress,
    /// which nothing else would remove: the group's `egress` is not planned when the stack
    /// leaves it to separate rule resources, so the group would stay open to the world. Revoked
    /// here. Rules strata authorized carry the stack's tags; AWS's own has none.
    func settle(_ live: LiveResource, _ context: ProviderContext) async throws -> LiveResource? {
        let ec2 = EC2(context)
        let rules = try await ec2.describe(
            "DescribeSecurityGroupRules", set: "securityGroupRuleSet", QueryValue.filters([(name: "group-id", values: [live.id])]))
        let leftOpen = rules.contains {
            $0.child("groupId")?.text == live.id && EC2.tags(of: $0)[ProviderContext.stackTag] == nil
                && AtomicRule.rule(ofRuleItem: $0)?.key == Self.allowAll.key
        }
        guard leftOpen else { return nil }
        try await AtomicRule.revoke([Self.allowAll], group: live.id, egress: true, ec2)
        await AtomicRule.invalidate(ec2)
        return try await refreshed(live.id, context)
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let ec2 = EC2(context)
        for egress in [false, true] where changed.contains(egress ? "egress" : "ingress") {
            let attribute = egress ? "egress" : "ingress"
            let have = Set(AtomicRule.rules(ofBlocks: live.attributes[attribute], egress: egress, group: live.id))
            let want = Set(AtomicRule.rules(ofBlocks: desired.attributes[attribute], egress: egress, group: live.id))
            // A changed description is a revoke and an authorize of the same rule.
            try await AtomicRule.revoke(have.subtracting(want).sorted(by: Self.order), group: live.id, egress: egress, ec2)
            try await authorizeMissing(
                want.subtracting(have).sorted(by: Self.order), group: live.id, egress: egress, tags: desired.tags, ec2)
        }
        try await TagSync.update(live, to: desired, changed: changed, ec2.tagCalls(live.id))
        await AtomicRule.invalidate(ec2)
        return try await refreshed(live.id, context) ?? live
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let ec2 = EC2(context)
        try await ec2.callIgnoringNotFound("DeleteSecurityGroup", [(name: "GroupId", value: live.id)])
        await AtomicRule.invalidate(ec2)
    }

    /// Authorizes rules, skipping ones EC2 already has (a re-run after a crash).
    private func authorizeMissing(_ rules: [AtomicRule], group: String, egress: Bool, tags: [String: String], _ ec2: EC2) async throws {
        for rule in rules {
            do {
                _ = try await AtomicRule.authorize([rule], group: group, egress: egress, tags: tags, ec2)
            } catch let error as AWSError where error.code == "InvalidPermission.Duplicate" {
                continue
            }
        }
    }

    static func order(_ a: AtomicRule, _ b: AtomicRule) -> Bool { "\(a)" < "\(b)" }

    private func refreshed(_ id: String, _ context: ProviderContext) async throws -> LiveResource? {
        try await EC2(context).describe("DescribeSecurityGroups", set: "securityGroupInfo", [(name: "GroupId.1", value: id)])
            .compactMap { live($0, context.region) }.first { $0.id == id }
    }
}
