import AWSSigner
import Foundation
import StrataCompiler
import StrataModel

/// The integrity record a saved plan carries: a digest over everything `apply` reads from the
/// file, and short digests of each part (every top-level field, every field of every change,
/// every planned attribute), so a file changed after strata wrote it is refused naming what was
/// changed.
///
/// Without a key the digest is a plain SHA-256: it catches an edited, truncated or corrupted
/// file, but whoever edits the file can also recompute it. With a key (`STRATA_PLAN_KEY`, see
/// ``PlanKey``) it is an HMAC that only holders of the key can produce. Either way apply also
/// checks the plan against its stack files (``PlanBinding``), which a digest cannot do.
public struct PlanIntegrity: Codable, Sendable, Equatable {
    public enum Algorithm: String, Codable, Sendable {
        case sha256
        case hmacSHA256 = "hmac-sha256"
    }

    public var algorithm: Algorithm
    /// Over the whole plan as apply reads it (hex, 64 characters).
    public var digest: String
    /// Top-level fields (`stack`, `region`, `vars`, ...) → a short digest.
    public var fields: [String: String]
    /// Address → each field of its change (`action`, `live`, `after.cidr_block`, ...) → a short digest.
    public var changes: [String: [String: String]]

    /// The record for `plan` (as decoded from the file it is written to), signed with `key` if any.
    static func of(_ plan: Plan, key: PlanKey?) throws -> PlanIntegrity {
        let tree = try canonicalTree(plan)
        let sign = Signer(key: key)
        var fields: [String: String] = [:]
        for (name, value) in tree where name != "changes" { fields[name] = sign.short(value) }
        var changes: [String: [String: String]] = [:]
        if case .list(let items)? = tree["changes"] {
            for (index, item) in items.enumerated() {
                guard case .map(let members) = item else { continue }
                var parts: [String: String] = [:]
                for (name, value) in members {
                    if name == "after", case .map(let attributes) = value {
                        for (attribute, planned) in attributes { parts["after.\(attribute)"] = sign.short(planned) }
                    } else {
                        parts[name] = sign.short(value)
                    }
                }
                // Addresses are unique in a plan strata wrote; a copied change must not hide one.
                var address = index < plan.changes.count ? plan.changes[index].address.canonical : "changes[\(index)]"
                while changes[address] != nil { address += " (again)" }
                changes[address] = parts
            }
        }
        return PlanIntegrity(
            algorithm: key == nil ? .sha256 : .hmacSHA256, digest: sign.full(.map(tree)), fields: fields, changes: changes)
    }

    /// Throws unless `plan` is what this record was made over, with `key`: naming the changes
    /// and fields that differ, or saying which key is missing or unexpected.
    func verify(_ plan: Plan, key: PlanKey?, file: String) throws {
        switch (algorithm, key) {
        case (.hmacSHA256, nil):
            throw PlanError.planFile(
                "\(file) is signed with a plan key: set STRATA_PLAN_KEY to the key it was made with to apply it; nothing was sent")
        case (.sha256, _?):
            throw PlanError.planFile(
                "\(file) is not signed, but STRATA_PLAN_KEY is set: only plans signed with that key are applied. "
                    + "Plan again with STRATA_PLAN_KEY set; nothing was sent")
        default: break
        }
        let now = try Self.of(plan, key: key)
        guard now.digest != digest else { return }
        var what: [String] = []
        for name in Set(fields.keys).union(now.fields.keys).sorted() where fields[name] != now.fields[name] {
            what.append(Self.label(name, recorded: fields[name], now: now.fields[name]))
        }
        for address in Set(changes.keys).union(now.changes.keys).sorted() {
            switch (changes[address], now.changes[address]) {
            case (nil, _?): what.append("\(address): added")
            case (_?, nil): what.append("\(address): removed")
            case (let recorded?, let current?):
                let differing = Set(recorded.keys).union(current.keys).sorted().filter { recorded[$0] != current[$0] }
                if !differing.isEmpty {
                    what.append(
                        "\(address): " + differing.map { Self.label($0, recorded: recorded[$0], now: current[$0]) }.joined(separator: ", "))
                }
            default: break
            }
        }
        let signed = algorithm == .hmacSHA256
        let summary =
            signed
            ? "\(file) does not match its signature under STRATA_PLAN_KEY: it was changed after it was signed, or signed with another key"
            : "\(file) was changed after strata wrote it (its integrity digest does not match)"
        let detail =
            what.isEmpty
            ? "the parts it records all match, so the integrity record itself was edited"
            : "changed: " + what.joined(separator: "; ")
        throw PlanError.planFile("\(summary); \(detail). Refusing to apply it; nothing was sent. Plan again (strata plan --out)")
    }

    private static func label(_ name: String, recorded: String?, now: String?) -> String {
        switch (recorded, now) {
        case (nil, _): "\(name) (added)"
        case (_, nil): "\(name) (removed)"
        default: name
        }
    }

    /// The plan as apply reads it, as one value: what the JSON encoder writes, read back as
    /// ``Value``s, so the digest depends on content, never on spacing or key order.
    private static func canonicalTree(_ plan: Plan) throws -> [String: Value] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try JSONDecoder().decode([String: Value].self, from: encoder.encode(plan))
    }

    /// Digests of canonical text (``CanonicalText``), keyed or not.
    private struct Signer {
        var key: PlanKey?

        func full(_ value: Value) -> String {
            let text = Data(CanonicalText.of(value).utf8)
            guard let key else { return sha256Hex(text) }
            return hmacSHA256Hex(key: key.bytes, text)
        }

        /// 64 bits: enough to say which part differs; the full digest is what guards the file.
        func short(_ value: Value) -> String { String(full(value).prefix(16)) }
    }
}

/// The secret that signs plan files (`STRATA_PLAN_KEY`): with it set, `plan --out` writes an
/// HMAC-SHA-256 only holders of the key can produce, and `apply` refuses any plan file not
/// signed with it. Never printed or written anywhere.
public struct PlanKey: Sendable {
    public static let variable = "STRATA_PLAN_KEY"
    public static let minimumLength = 16

    let bytes: Data

    /// The key in `environment`, nil when unset or empty; too short a key is an error naming the
    /// variable (never the value).
    public static func from(environment: [String: String]) throws -> PlanKey? {
        guard let text = environment[variable], !text.isEmpty else { return nil }
        guard text.utf8.count >= minimumLength else {
            throw PlanError.planFile(
                "\(variable) is set but shorter than \(minimumLength) characters: use a long random secret (openssl rand -hex 32)")
        }
        return PlanKey(bytes: Data(text.utf8))
    }
}
