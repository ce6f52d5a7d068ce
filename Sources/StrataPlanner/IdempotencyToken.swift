import AWSSigner
import Foundation
import StrataCompiler
import StrataModel
import StrataProviders

/// Idempotency tokens for creates: the same stack, address and desired content give the same
/// token, so a create retried after a lost answer, or re-run after a crash, is answered by AWS
/// with the first result instead of a duplicate.
public enum IdempotencyToken {
    /// 64 lowercase hex characters: fits EC2's `ClientToken` (at most 64 ASCII characters) and
    /// EKS's `clientRequestToken`; shorten with ``truncated(_:to:)`` for APIs that allow less.
    public static func derive(stack: String, address: ResourceAddress, attributes: [String: Value]) -> String {
        let content = CanonicalText.of(.map(attributes))
        return sha256Hex(Data("\(stack)\n\(address.canonical)\n\(content)".utf8))
    }

    /// The token cut to an API's limit (its prefix stays as unique as a hash prefix is).
    public static func truncated(_ token: String, to limit: Int) -> String { String(token.prefix(limit)) }
}

/// One text per value, independent of dictionary order: the input of tokens and fingerprints.
enum CanonicalText {
    static func of(_ value: Value) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .float(let number): return String(number)
        case .string(let text): return quoted(text)
        case .list(let items): return "[" + items.map(of).joined(separator: ",") + "]"
        case .map(let members):
            return "{" + members.keys.sorted().map { quoted($0) + ":" + of(members[$0] ?? .null) }.joined(separator: ",") + "}"
        case .unknown(let type): return "<unknown \(type)>"
        }
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension Plan {
    /// What the executor creates or updates to for `address`: the desired attributes as the plan
    /// knew them (unknowns are resolved at apply time by ``DesiredResolver``), the tags to write
    /// (ownership tags included) and the create's idempotency token.
    public func desiredResource(for address: ResourceAddress) -> DesiredResource? {
        guard let change = change(for: address), let after = change.after else { return nil }
        return DesiredResource(
            address: address, type: change.type, attributes: after, tags: change.desiredTags,
            idempotencyToken: change.idempotencyToken
                ?? IdempotencyToken.derive(stack: stack, address: address, attributes: after))
    }
}
