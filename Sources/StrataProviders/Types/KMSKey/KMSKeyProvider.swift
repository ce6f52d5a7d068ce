import AWSClient
import StrataModel

/// `aws_kms_key`: a customer-managed key, tagged in CreateKey. KMS has neither a tag-filtered
/// listing nor a batched describe, so discovery costs the tag index (shared) + three reads per
/// key of the stack (see ``KMS/ownedKeys()``). A key pending deletion counts as gone. Deleting schedules the deletion
/// (`deletion_window_in_days`, 7 by default): KMS never deletes a key at once.
struct KMSKeyProvider: ResourceProvider {
    let schema = ResourceSchema.awsKMSKey
    let deletion = DeletionRule(rank: 6)
    let normalisation = NormalisationRules(writeOnly: ["bypass_policy_lockout_safety_check", "deletion_window_in_days"])

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        try await KMS(context).ownedKeys().compactMap { Self.live($0, context) }
    }

    static func live(_ key: KMSKeyState, _ context: ProviderContext) -> LiveResource? {
        guard let address = Ownership.address(key.tags, stack: context.stack), let id = key.metadata["KeyId"]?.stringValue else {
            return nil
        }
        let metadata = key.metadata
        var attributes = Ownership.tagAttributes(key.tags)
        attributes["id"] = .string(id)
        attributes["key_id"] = .string(id)
        attributes["arn"] = metadata["Arn"]?.stringValue.map(Value.string) ?? .null
        attributes["description"] = .string(metadata["Description"]?.stringValue ?? "")
        attributes["key_usage"] = .string(metadata["KeyUsage"]?.stringValue ?? "ENCRYPT_DECRYPT")
        attributes["customer_master_key_spec"] = .string(
            metadata["KeySpec"]?.stringValue ?? metadata["CustomerMasterKeySpec"]?.stringValue ?? "SYMMETRIC_DEFAULT")
        attributes["is_enabled"] = .bool(metadata["Enabled"]?.boolValue ?? true)
        attributes["multi_region"] = .bool(metadata["MultiRegion"]?.boolValue ?? false)
        if let store = metadata["CustomKeyStoreId"]?.stringValue { attributes["custom_key_store_id"] = .string(store) }
        if let xks = metadata["XksKeyConfiguration"]?["Id"]?.stringValue { attributes["xks_key_id"] = .string(xks) }
        if let policy = key.policy { attributes["policy"] = PolicyDocument.live(policy) }
        attributes["enable_key_rotation"] = .bool(key.rotation?["KeyRotationEnabled"]?.boolValue ?? false)
        if let days = key.rotation?["RotationPeriodInDays"]?.intValue { attributes["rotation_period_in_days"] = .int(Int(days)) }
        return LiveResource(type: "aws_kms_key", address: address, id: id, attributes: attributes)
    }

    /// CreateKey takes no client token and keys have no unique name, so a create first looks for
    /// a key already tagged with this address (a create whose answer was lost, or a crashed run)
    /// and adopts it, brought to the desired settings. The look reuses the discovery cache when
    /// the plan's is shared; a failed CreateKey clears it so the retry looks again.
    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let kms = KMS(context)
        let a = desired.attributes
        if let existing = try await kms.ownedKeys().compactMap({ Self.live($0, context) }).first(where: { $0.address == desired.address }) {
            let changed: Set<String> = ["description", "policy", "enable_key_rotation", "is_enabled", "tags"]
            return try await update(existing, to: desired, changed: changed.filter { a[$0] != nil || $0 == "tags" }, context)
        }
        var body: [String: JSONValue] = ["Tags": KMS.tagList(desired.tags)]
        if let description = a.string("description") { body["Description"] = .string(description) }
        if let usage = a.string("key_usage") { body["KeyUsage"] = .string(usage) }
        if let spec = a.string("customer_master_key_spec") { body["KeySpec"] = .string(spec) }
        if let policy = try PolicyDocument.canonical(a["policy"], type: type, attribute: "policy") { body["Policy"] = .string(policy) }
        if let bypass = a.bool("bypass_policy_lockout_safety_check") { body["BypassPolicyLockoutSafetyCheck"] = .bool(bypass) }
        if let multi = a.bool("multi_region") { body["MultiRegion"] = .bool(multi) }
        if let store = a.string("custom_key_store_id") { body["CustomKeyStoreId"] = .string(store) }
        if let xks = a.string("xks_key_id") { body["XksKeyId"] = .string(xks) }
        let answer: JSONValue
        do {
            answer = try await kms.calls.call("CreateKey", body)
            await kms.invalidate()
        } catch {
            await kms.invalidate()
            throw error
        }
        guard let id = answer["KeyMetadata"]?["KeyId"]?.stringValue else {
            throw ProviderError.invalidAttribute(type: type, attribute: "key_id", problem: "CreateKey answered without a key id")
        }
        try await setRotation(id, a, kms)
        if a.bool("is_enabled") == false { try await kms.calls.call("DisableKey", ["KeyId": .string(id)], idempotent: true) }
        return try await read(id, tags: desired.tags, kms, context)
    }

    private func setRotation(_ id: String, _ a: [String: Value], _ kms: KMS) async throws {
        if a.bool("enable_key_rotation") == true {
            var body: [String: JSONValue] = ["KeyId": .string(id)]
            if let days = a.int("rotation_period_in_days") { body["RotationPeriodInDays"] = .int(days) }
            try await kms.calls.call("EnableKeyRotation", body, idempotent: true)
        } else {
            try await kms.calls.call("DisableKeyRotation", ["KeyId": .string(id)], idempotent: true)
        }
    }

    private func read(_ id: String, tags: [String: String]?, _ kms: KMS, _ context: ProviderContext) async throws -> LiveResource {
        var current = tags ?? [:]
        if tags == nil { current = try await kms.tags(id) }
        guard let state = try await kms.state(id, tags: current), let live = Self.live(state, context) else {
            throw ProviderError.nameTaken(type: type, name: id, owner: "pending deletion, or its tags no longer name this stack")
        }
        return live
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let kms = KMS(context)
        let id: JSONValue = .string(live.id)
        let a = desired.attributes
        if changed.contains("description") {
            try await kms.calls.call(
                "UpdateKeyDescription", ["KeyId": id, "Description": .string(a.string("description") ?? "")], idempotent: true)
        }
        if changed.contains("policy"), let policy = try PolicyDocument.canonical(a["policy"], type: type, attribute: "policy") {
            var body: [String: JSONValue] = ["KeyId": id, "PolicyName": KMS.policyName, "Policy": .string(policy)]
            if let bypass = a.bool("bypass_policy_lockout_safety_check") { body["BypassPolicyLockoutSafetyCheck"] = .bool(bypass) }
            try await kms.calls.call("PutKeyPolicy", body, idempotent: true)
        }
        if changed.contains("enable_key_rotation") || changed.contains("rotation_period_in_days") {
            try await setRotation(live.id, a, kms)
        }
        if changed.contains("is_enabled") {
            try await kms.calls.call(a.bool("is_enabled") == false ? "DisableKey" : "EnableKey", ["KeyId": id], idempotent: true)
        }
        try await TagSync.update(live, to: desired, changed: changed, kms.tagCalls(live.id))
        await kms.invalidate()
        return try await read(live.id, tags: nil, kms, context)
    }

    /// Schedules the deletion; a key already pending deletion or gone is done.
    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let kms = KMS(context)
        let days = live.attributes.int("deletion_window_in_days") ?? 7
        do {
            try await kms.calls.call(
                "ScheduleKeyDeletion", ["KeyId": .string(live.id), "PendingWindowInDays": .int(days)], idempotent: true)
        } catch let error as AWSError where error.isNotFound {
        } catch let error as AWSError where error.code == "KMSInvalidStateException" {
            // Pending deletion already (a retried destroy): what was asked for is under way.
        }
        await kms.invalidate()
    }
}
