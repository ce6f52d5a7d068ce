/// A value the compiler computed: known, or unknown until apply (a VPC's `id`), in which case
/// only its type is known.
public indirect enum Value: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case list([Value])
    /// Keys are unordered; output sorts them.
    case map([String: Value])
    /// Known after apply. The type is `.any` when nothing better is known (or after an error,
    /// so one mistake does not cascade into many).
    case unknown(ValueType)

    public var isKnown: Bool {
        switch self {
        case .unknown: false
        case .list(let items): items.allSatisfy(\.isKnown)
        case .map(let members): members.values.allSatisfy(\.isKnown)
        default: true
        }
    }

    public var isUnknown: Bool {
        if case .unknown = self { return true }
        return false
    }

    /// What the value is, for messages: "string", "list", "number 3".
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "bool"
        case .int: "int"
        case .float: "number"
        case .string: "string"
        case .list: "list"
        case .map: "map"
        case .unknown(let type): type == .any ? "unknown value" : "\(type) (known after apply)"
        }
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The text form `tostring`, templates and map keys use: numbers and bools as written.
    public var textForm: String? {
        switch self {
        case .string(let text): text
        case .int(let value): String(value)
        case .float(let value): value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        case .bool(let value): value ? "true" : "false"
        default: nil
        }
    }

    public var intValue: Int? {
        switch self {
        case .int(let value): value
        case .float(let value) where value == value.rounded() && abs(value) < 9e15: Int(value)
        default: nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .float(let value): value
        default: nil
        }
    }

    /// JSON for graph output. Unknown values become `{"$unknown": true, "type": "<type>"}`: a
    /// marker no user value can collide with, since `$` never starts an attribute name.
    public var json: JSONValue {
        switch self {
        case .null: .null
        case .bool(let value): .bool(value)
        case .int(let value): .int(value)
        case .float(let value): .double(value)
        case .string(let value): .string(value)
        case .list(let items): .array(items.map(\.json))
        case .map(let members): .object(members.mapValues(\.json))
        case .unknown(let type): .object(["$unknown": .bool(true), "type": .string(type.description)])
        }
    }
}
