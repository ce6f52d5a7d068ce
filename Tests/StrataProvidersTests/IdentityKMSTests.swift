import AWSClient
import Foundation
import StrataProviders
import StrataTestSupport
import Testing

/// aws_kms_key and aws_kms_alias against the sandbox.
@Suite struct IdentityKMSTests {
    @Test func keyAndAliasLifecycle() async throws {
        let f = try await IdentityFixture()
        let keys = try f.provider("aws_kms_key")
        let aliases = try f.provider("aws_kms_alias")
        let desired = f.desired(
            "aws_kms_key", "secrets",
            [
                "description": .string("Envelope encryption of \(f.stack)"), "enable_key_rotation": .bool(true),
                "tags": .map(["team": .string("platform")]),
            ])
        let key = try await keys.create(desired, f.context)
        #expect(key.attributes["enable_key_rotation"] == .bool(true))
        #expect(key.attributes["key_usage"] == .string("ENCRYPT_DECRYPT"))
        #expect(key.attributes["policy"]?.stringValue?.contains("kms:*") == true)

        // In KMS: tagged in the create call.
        let rawTags = try await f.client.json(.kms, action: "ListResourceTags", body: ["KeyId": .string(key.id)])
        let pairs = (rawTags["Tags"]?.arrayValue ?? []).compactMap { tag -> (String, String)? in
            guard let k = tag["TagKey"]?.stringValue, let v = tag["TagValue"]?.stringValue else { return nil }
            return (k, v)
        }
        let tags = Dictionary(pairs, uniquingKeysWith: { a, _ in a })
        #expect(tags["strata:stack"] == f.stack)
        #expect(tags["strata:address"] == "aws_kms_key.secrets")

        let live = try #require(try await f.discovered("aws_kms_key", desired.address))
        #expect(live.id == key.id)
        #expect(live.attributes["description"] == .string("Envelope encryption of \(f.stack)"))
        #expect(live.attributes["tags"] == .map(["team": .string("platform")]))

        // The alias is a child of the key, found through ListAliases.
        let aliasName = "alias/eks/\(f.stack)"
        let aliasDesired = f.desired("aws_kms_alias", "secrets", ["name": .string(aliasName), "target_key_id": .string(key.id)])
        let alias = try await aliases.create(aliasDesired, f.context)
        #expect(alias.identity == aliasName)
        #expect(try await f.discovered("aws_kms_alias", identity: aliasName)?.attributes["target_key_id"] == .string(key.id))
        // Created again (a crashed run): adopted.
        #expect(try await aliases.create(aliasDesired, f.context).id == aliasName)

        // In place: description, rotation off, tags.
        var next = desired
        next.attributes["description"] = .string("rotated")
        next.attributes["enable_key_rotation"] = .bool(false)
        next.tags["team"] = "security"
        let updated = try await keys.update(live, to: next, changed: ["description", "enable_key_rotation", "tags"], f.context)
        #expect(updated.attributes["description"] == .string("rotated"))
        #expect(updated.attributes["enable_key_rotation"] == .bool(false))
        #expect(updated.attributes["tags"] == .map(["team": .string("security")]))

        // The alias moves to another key in place.
        let other = try await keys.create(f.desired("aws_kms_key", "other", [:]), f.context)
        var moved = aliasDesired
        moved.attributes["target_key_id"] = .string(other.id)
        let repointed = try await aliases.update(alias, to: moved, changed: ["target_key_id"], f.context)
        #expect(repointed.attributes["target_key_id"] == .string(other.id))

        for _ in 0..<2 { try await aliases.delete(repointed, f.context) }
        #expect(try await f.discovered("aws_kms_alias", identity: aliasName) == nil)

        // Deleting schedules the deletion; a key pending deletion is gone for discovery.
        for _ in 0..<2 { try await keys.delete(updated, f.context) }
        let described = try await f.client.json(.kms, action: "DescribeKey", body: ["KeyId": .string(key.id)])
        #expect(described["KeyMetadata"]?["KeyState"]?.stringValue == "PendingDeletion")
        #expect(try await f.discovered("aws_kms_key", desired.address) == nil)
        try await keys.delete(other, f.context)
        #expect(try await keys.discover(f.context).isEmpty)
    }

    @Test func keyCreatedTwiceIsAdopted() async throws {
        let f = try await IdentityFixture()
        let keys = try f.provider("aws_kms_key")
        let desired = f.desired("aws_kms_key", "k", ["description": .string("first")])
        let first = try await keys.create(desired, f.context)
        // The run crashed before recording the key; the next one creates it again, a bit changed.
        var again = desired
        again.attributes["description"] = .string("second")
        let second = try await keys.create(again, f.context)
        #expect(second.id == first.id)
        #expect(second.attributes["description"] == .string("second"))
        #expect(try await keys.discover(f.context).count == 1)
        try await keys.delete(second, f.context)
    }
}
