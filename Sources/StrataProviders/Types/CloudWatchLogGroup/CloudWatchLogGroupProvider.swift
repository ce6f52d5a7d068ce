import AWSClient
import StrataModel

/// `aws_cloudwatch_log_group`: created with its tags, retention set right after (CreateLogGroup
/// takes none). Discovery: the tag index (shared) + DescribeLogGroups
/// (see ``Logs/ownedGroups()``).
struct CloudWatchLogGroupProvider: ResourceProvider {
    let schema = ResourceSchema.awsCloudWatchLogGroup
    let deletion = DeletionRule(rank: 5, waitsFor: [:])
    let normalisation = NormalisationRules(writeOnly: ["skip_destroy"])

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        try await Logs(context).ownedGroups().compactMap { Self.live($0.group, tags: $0.tags, context) }
    }

    static func live(_ group: JSONValue, tags: [String: String], _ context: ProviderContext) -> LiveResource? {
        guard let address = Ownership.address(tags, stack: context.stack), let name = group["logGroupName"]?.stringValue else { return nil }
        var attributes = Ownership.tagAttributes(tags)
        attributes["id"] = .string(name)
        attributes["name"] = .string(name)
        attributes["arn"] = Logs.arn(of: group).map(Value.string) ?? .null
        attributes["retention_in_days"] = .int(Int(group["retentionInDays"]?.intValue ?? 0))
        if let key = group["kmsKeyId"]?.stringValue { attributes["kms_key_id"] = .string(key) }
        attributes["log_group_class"] = .string(group["logGroupClass"]?.stringValue ?? "STANDARD")
        return LiveResource(type: "aws_cloudwatch_log_group", address: address, id: name, attributes: attributes)
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let logs = Logs(context)
        let name = try GeneratedName.name(desired, maxLength: 512)
        var body: [String: JSONValue] = ["logGroupName": .string(name), "tags": Logs.tagMap(desired.tags)]
        if let key = desired.attributes.string("kms_key_id") { body["kmsKeyId"] = .string(key) }
        if let kind = desired.attributes.string("log_group_class") { body["logGroupClass"] = .string(kind) }
        do {
            try await logs.calls.call("CreateLogGroup", body)
        } catch let error as AWSError where error.isAlreadyExists {
            // A crashed run's group carries this address; anyone else's is theirs.
            guard let existing = try await read(name, logs, context), existing.address == desired.address else {
                throw ProviderError.nameTaken(type: type, name: name, owner: "a log group without this stack's address tag")
            }
            let changed: Set<String> =
                existing.attributes["retention_in_days"] == .int(desired.attributes.int("retention_in_days") ?? 0)
                ? [] : ["retention_in_days"]
            return changed.isEmpty ? existing : try await update(existing, to: desired, changed: changed, context)
        }
        await logs.invalidate()
        if let days = desired.attributes.int("retention_in_days"), days > 0 {
            try await logs.calls.call(
                "PutRetentionPolicy", ["logGroupName": .string(name), "retentionInDays": .int(days)], idempotent: true)
        }
        guard let live = try await read(name, logs, context) else {
            throw ProviderError.nameTaken(type: type, name: name, owner: "gone, or its tags no longer name this stack")
        }
        return live
    }

    /// The group by name, with its tags; nil when absent or not this stack's.
    private func read(_ name: String, _ logs: Logs, _ context: ProviderContext) async throws -> LiveResource? {
        guard let group = try await logs.group(named: name), let arn = Logs.arn(of: group) else { return nil }
        return Self.live(group, tags: try await logs.tags(arn), context)
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let logs = Logs(context)
        let name: JSONValue = .string(live.id)
        if changed.contains("retention_in_days") {
            let days = desired.attributes.int("retention_in_days") ?? 0
            if days > 0 {
                try await logs.calls.call("PutRetentionPolicy", ["logGroupName": name, "retentionInDays": .int(days)], idempotent: true)
            } else {
                try await logs.calls.call("DeleteRetentionPolicy", ["logGroupName": name], idempotent: true)
            }
        }
        if changed.contains("kms_key_id") {
            if let key = desired.attributes.string("kms_key_id") {
                try await logs.calls.call("AssociateKmsKey", ["logGroupName": name, "kmsKeyId": .string(key)], idempotent: true)
            } else {
                try await logs.calls.call("DisassociateKmsKey", ["logGroupName": name], idempotent: true)
            }
        }
        if let arn = live.attributes.string("arn") {
            try await TagSync.update(live, to: desired, changed: changed, logs.tagCalls(arn: arn))
        }
        await logs.invalidate()
        guard let updated = try await read(live.id, logs, context) else {
            throw ProviderError.nameTaken(type: type, name: live.id, owner: "gone, or its tags no longer name this stack")
        }
        return updated
    }

    /// `skip_destroy` leaves the group and its logs behind; otherwise DeleteLogGroup.
    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        if live.attributes.bool("skip_destroy") == true { return }
        let logs = Logs(context)
        do {
            try await logs.calls.call("DeleteLogGroup", ["logGroupName": .string(live.id)], idempotent: true)
        } catch let error as AWSError where error.isNotFound {
        }
        await logs.invalidate()
    }
}
