import AWSClient
import Foundation
import StrataModel
import StrataProviders

/// How a desired value and what AWS reports are made comparable, so that apply followed by plan
/// says "No changes":
///
/// * policy documents (`json` attributes) are parsed and compared as data: key order and
///   whitespace do not matter, and a list of exactly one element equals that element (a single
///   `Statement` object, a single string `Action`, `Resource` or principal);
/// * CIDR blocks compare by network: host bits cleared, IPv6 lowercased;
/// * numbers and booleans compare with their string forms (AWS returns many as strings);
/// * lists that are sets in AWS (``setAttributes``), of values or of blocks, compare without
///   order;
/// * a symbolic value AWS resolves (a launch template `version` of `$Default` or `$Latest`)
///   matches whatever AWS resolved it to;
/// * an empty desired value equals an absent live one (AWS drops empty strings and lists).
public enum Normalisation {
    /// List attributes AWS stores as sets, so their order never differs: what the types declare
    /// (``NormalisationRules/sets``), by name.
    public static let setAttributes: Set<String> = rules.reduce(into: []) { $0.formUnion($1.sets) }

    /// Attributes that steer a call rather than describe the resource: AWS accepts them and
    /// never reports them back, so a live read cannot hold them and they never differ unless a
    /// provider reports them (``NormalisationRules/writeOnly``).
    public static let writeOnlyAttributes: Set<String> = rules.reduce(into: []) { $0.formUnion($1.writeOnly) }

    /// Symbolic values AWS resolves, by attribute name (``NormalisationRules/resolvedByAWS``).
    static let resolvedByAWS: [String: Set<String>] = rules.reduce(into: [:]) { all, rule in
        all.merge(rule.resolvedByAWS) { $0.union($1) }
    }

    static var rules: [NormalisationRules] { ProviderRegistry.all.values.map(\.normalisation) }

    /// Whether a live value is what AWS reports for an unset attribute: absent, empty, or the
    /// schema's server default.
    public static func isDefaultOrEmpty(_ live: Value?, _ serverDefault: SchemaDefault?) -> Bool {
        guard let live, !isEmpty(live) else { return true }
        guard let serverDefault else { return false }
        return equivalent(serverDefault.value, live, type: serverDefault.valueType, name: "")
    }

    static func isEmpty(_ value: Value) -> Bool {
        switch value {
        case .null: true
        case .string(let text): text.isEmpty
        case .list(let items): items.isEmpty
        case .map(let members): members.isEmpty
        default: false
        }
    }

    /// Whether `desired` and `live` mean the same for an attribute of this type and name.
    public static func equivalent(_ desired: Value, _ live: Value?, type: ValueType, name: String) -> Bool {
        guard let live, live != .null else { return isEmpty(desired) }
        if isEmpty(desired), isEmpty(live) { return true }
        switch type {
        case .json:
            guard let left = policyForm(desired), let right = policyForm(live) else { return false }
            return looselyEqual(left, right)
        case .cidr:
            guard let left = desired.textForm, let right = live.textForm else { return false }
            return canonicalCIDR(left) == canonicalCIDR(right)
        case .int, .number:
            guard let left = number(desired), let right = number(live) else { return false }
            return left == right
        case .bool:
            guard let left = boolean(desired), let right = boolean(live) else { return false }
            return left == right
        case .list(let element):
            guard case .list(let wanted) = desired else { return false }
            let have: [Value]
            switch live {
            case .list(let items): have = items
            default: have = [live]  // a single value AWS reports for a list of one
            }
            guard wanted.count == have.count else { return false }
            if setAttributes.contains(name) {
                var remaining = have
                for item in wanted {
                    guard let index = remaining.firstIndex(where: { equivalent(item, $0, type: element, name: "") }) else {
                        return false
                    }
                    remaining.remove(at: index)
                }
                return true
            }
            return zip(wanted, have).allSatisfy { equivalent($0, $1, type: element, name: "") }
        case .map(let element):
            guard case .map(let wanted) = desired, case .map(let have) = live else { return false }
            guard Set(wanted.keys) == Set(have.keys) else { return false }
            return wanted.allSatisfy { key, value in equivalent(value, have[key], type: element, name: "") }
        case .string where resolvedByAWS[name] != nil:
            if let text = desired.stringValue, resolvedByAWS[name]?.contains(text) == true { return true }
            return desired.textForm == live.textForm
        case .string, .duration:
            guard let left = desired.textForm, let right = live.textForm else { return desired == live }
            return left == right
        case .object, .any:
            return looselyEqual(desired, live)
        }
    }

    /// A policy document as data: JSON text parsed (URL-decoded first if IAM returned it
    /// encoded), then every list of one element replaced by the element.
    public static func policyForm(_ value: Value) -> Value? {
        switch value {
        case .string(let text):
            var source = text
            if !source.hasPrefix("{"), !source.hasPrefix("["), let decoded = source.removingPercentEncoding { source = decoded }
            guard let json = try? JSONValue.parse(Data(source.utf8)) else { return nil }
            return collapseSingletons(Value(json: json))
        case .map, .list:
            return collapseSingletons(value)
        default:
            return nil
        }
    }

    static func collapseSingletons(_ value: Value) -> Value {
        switch value {
        case .list(let items) where items.count == 1: return collapseSingletons(items[0])
        case .list(let items): return .list(items.map(collapseSingletons))
        case .map(let members): return .map(members.mapValues(collapseSingletons))
        default: return value
        }
    }

    /// Structural equality where scalars compare by text form (`"1"` equals `1`, `"true"` equals
    /// `true`).
    public static func looselyEqual(_ left: Value, _ right: Value) -> Bool {
        switch (left, right) {
        case (.list(let a), .list(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { looselyEqual($0, $1) }
        case (.map(let a), .map(let b)):
            return Set(a.keys) == Set(b.keys) && a.allSatisfy { key, value in b[key].map { looselyEqual(value, $0) } ?? false }
        case (.null, .null): return true
        default:
            if let a = left.textForm, let b = right.textForm { return a == b }
            return left == right
        }
    }

    static func number(_ value: Value) -> Double? {
        if let number = value.doubleValue { return number }
        if let text = value.stringValue { return Double(text.trimmingCharacters(in: .whitespaces)) }
        return nil
    }

    static func boolean(_ value: Value) -> Bool? {
        switch value {
        case .bool(let flag): return flag
        case .string(let text):
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default: return nil
            }
        default: return nil
        }
    }

    /// `10.0.0.5/16` → `10.0.0.0/16`; IPv6 lowercased; anything else as written.
    public static func canonicalCIDR(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let prefix = Int(parts[1]) else { return trimmed.lowercased() }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt32($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 < 256 }), (0...32).contains(prefix) else {
            return trimmed.lowercased()
        }
        let address = octets.reduce(UInt32(0)) { $0 << 8 | $1 }
        let mask: UInt32 = prefix == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefix)
        let network = address & mask
        return "\(network >> 24).\(network >> 16 & 255).\(network >> 8 & 255).\(network & 255)/\(prefix)"
    }
}
