import AWSClient
import StrataModel

/// `aws_kms_alias`: a name for a key. Aliases take no tags; an alias is a child of its key, found
/// in the region's ListAliases (one paginated read, made only when the stack has keys) when it
/// targets one of the stack's keys. Identity: the alias name. UpdateAlias repoints in place.
struct KMSAliasProvider: ResourceProvider {
    let schema = ResourceSchema.awsKMSAlias
    let deletion = DeletionRule(rank: 4, waitsFor: [:])

    func identity(of attributes: [String: Value]) -> String? {
        attributes.string("name")
    }

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        let kms = KMS(context)
        let owned = try await kms.ownedKeys()
        // An alias only belongs to the stack through its key: no keys, no aliases to list.
        guard !owned.isEmpty else { return [] }
        let all = try await kms.aliases()
        var ours: [String: String] = [:]
        for key in owned {
            if let id = key.metadata["KeyId"]?.stringValue { ours[id] = key.metadata["Arn"]?.stringValue ?? "" }
        }
        return all.compactMap { alias in
            guard let name = alias["AliasName"]?.stringValue, let target = alias["TargetKeyId"]?.stringValue, let keyARN = ours[target]
            else {
                return nil
            }
            return Self.live(name: name, arn: alias["AliasArn"]?.stringValue, target: target, targetARN: keyARN)
        }
    }

    static func live(name: String, arn: String?, target: String, targetARN: String?) -> LiveResource {
        var attributes: [String: Value] = ["id": .string(name), "name": .string(name), "target_key_id": .string(target)]
        if let arn { attributes["arn"] = .string(arn) }
        if let targetARN, !targetARN.isEmpty { attributes["target_key_arn"] = .string(targetARN) }
        return LiveResource(
            type: "aws_kms_alias", address: nil, id: name, identity: name, attributes: attributes,
            parent: LiveResource.Parent(type: "aws_kms_key", id: target))
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let kms = KMS(context)
        let name = try GeneratedName.name(desired, maxLength: 256, defaultPrefix: "alias/strata-")
        let target = try desired.required("target_key_id")
        do {
            try await kms.calls.call("CreateAlias", ["AliasName": .string(name), "TargetKeyId": .string(target)])
        } catch let error as AWSError where error.isAlreadyExists {
            // A crashed run's alias, or someone else's: adopt it only if it names one of our keys.
            await kms.invalidate()
            guard let existing = try await discover(context).first(where: { $0.id == name }) else {
                throw ProviderError.nameTaken(type: type, name: name, owner: "an alias of a key this stack does not own")
            }
            if existing.attributes.string("target_key_id") == target { return existing }
            return try await update(existing, to: desired, changed: ["target_key_id"], context)
        }
        await kms.invalidate()
        return try await read(name, context) ?? Self.live(name: name, arn: nil, target: target, targetARN: nil)
    }

    private func read(_ name: String, _ context: ProviderContext) async throws -> LiveResource? {
        let aliases = try await KMS(context).aliases()
        guard let alias = aliases.first(where: { $0["AliasName"]?.stringValue == name }), let target = alias["TargetKeyId"]?.stringValue
        else {
            return nil
        }
        return Self.live(name: name, arn: alias["AliasArn"]?.stringValue, target: target, targetARN: nil)
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let kms = KMS(context)
        let target = try desired.required("target_key_id")
        try await kms.calls.call("UpdateAlias", ["AliasName": .string(live.id), "TargetKeyId": .string(target)], idempotent: true)
        await kms.invalidate()
        return try await read(live.id, context) ?? Self.live(name: live.id, arn: nil, target: target, targetARN: nil)
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let kms = KMS(context)
        do {
            try await kms.calls.call("DeleteAlias", ["AliasName": .string(live.id)], idempotent: true)
        } catch let error as AWSError where error.isNotFound {
        }
        await kms.invalidate()
    }
}
