import Foundation

// Plan files are JSON: values as plain JSON, unknowns and redacted secrets as marker objects no
// attribute value can produce (`$` never starts an attribute name or a map key strata writes).

extension Value: Codable {
    /// `{"$unknown": "<type>"}`.
    public static let unknownMarker = "$unknown"
    /// What a redacted secret (``Value/sensitivePlaceholder``) decodes to: unknown, so nothing
    /// can send it.
    public static let redacted = Value.unknown(.string)

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let number = try? container.decode(Int.self) {
            self = .int(number)
        } else if let number = try? container.decode(Double.self) {
            self = .float(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else if let items = try? container.decode([Value].self) {
            self = .list(items)
        } else {
            let members = try container.decode([String: Value].self)
            if members.count == 1, case .string(let type)? = members[Self.unknownMarker] {
                self = .unknown(ValueType(parsing: type) ?? .any)
            } else if members.count == 1, members[Self.sensitiveMarkerKey] != nil {
                self = Self.redacted
            } else {
                self = .map(members)
            }
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let flag): try container.encode(flag)
        case .int(let number): try container.encode(number)
        case .float(let number): try container.encode(number)
        case .string(let text): try container.encode(text)
        case .list(let items): try container.encode(items)
        case .map(let members): try container.encode(members)
        case .unknown(let type): try container.encode([Self.unknownMarker: type.description])
        }
    }
}

extension ValueType {
    /// Parses the `description` form back (`list(string)`); nested object fields are not kept.
    public init?(parsing text: String) {
        switch text {
        case "string": self = .string
        case "int": self = .int
        case "number": self = .number
        case "bool": self = .bool
        case "cidr": self = .cidr
        case "duration": self = .duration
        case "json": self = .json
        case "any": self = .any
        case "object": self = .object([:])
        default:
            if text.hasPrefix("list("), text.hasSuffix(")"), let inner = ValueType(parsing: String(text.dropFirst(5).dropLast())) {
                self = .list(inner)
            } else if text.hasPrefix("map("), text.hasSuffix(")"), let inner = ValueType(parsing: String(text.dropFirst(4).dropLast())) {
                self = .map(inner)
            } else {
                return nil
            }
        }
    }
}

/// `transitional` is kept too, so `strata apply FILE` waits for what a killed run left coming up
/// as `strata apply STACK` does, and so is a child's `parent` (both optional keys: older plan
/// files still read).
extension LiveResource: Codable {
    public enum CodingKeys: String, CodingKey { case type, address, id, identity, attributes, transitional, parent }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            type: try container.decode(String.self, forKey: .type),
            address: try container.decodeIfPresent(ResourceAddress.self, forKey: .address),
            id: try container.decode(String.self, forKey: .id),
            identity: try container.decodeIfPresent(String.self, forKey: .identity),
            attributes: try container.decode([String: Value].self, forKey: .attributes),
            transitional: try container.decodeIfPresent(String.self, forKey: .transitional),
            parent: try container.decodeIfPresent(LiveResource.Parent.self, forKey: .parent))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encodeIfPresent(address, forKey: .address)
        try container.encode(id, forKey: .id)
        try container.encodeIfPresent(identity, forKey: .identity)
        try container.encode(attributes, forKey: .attributes)
        try container.encodeIfPresent(transitional, forKey: .transitional)
        try container.encodeIfPresent(parent, forKey: .parent)
    }
}
