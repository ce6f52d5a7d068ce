import StrataModel

/// Names for resources the stack did not name: `name_prefix` (or `strata-`) and a hash of the
/// create's idempotency token, so a create re-run after a crash asks for the same name and finds
/// (and adopts) what the first run made.
enum GeneratedName {
    static func name(_ desired: DesiredResource, maxLength: Int, defaultPrefix: String = "strata-") throws -> String {
        if let name = desired.attributes.string("name") { return name }
        if case .unknown? = desired.attributes["name"] {
            throw ProviderError.invalidAttribute(type: desired.type, attribute: "name", problem: "not known yet")
        }
        let prefix = desired.attributes.string("name_prefix") ?? defaultPrefix
        let suffix = fnv1a(desired.idempotencyToken + "|" + desired.address.canonical)
        return String((prefix + suffix).prefix(maxLength))
    }

    /// FNV-1a 64, hex: short and stable; names and tokens need uniqueness, not secrecy.
    static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
