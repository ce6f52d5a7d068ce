/// Between the compiler's `Value` and the wire's `JSONValue`: providers read AWS answers into
/// catalog attributes and write desired attributes into request bodies through these two.
extension Value {
    /// The JSON AWS sends, as an attribute value. JSON numbers without a fraction become ints.
    public init(json: JSONValue) {
        switch json {
        case .null: self = .null
        case .bool(let value): self = .bool(value)
        case .int(let value): self = .int(value)
        case .double(let value): self = value == value.rounded() && abs(value) < 9e15 ? .int(Int(value)) : .float(value)
        case .string(let value): self = .string(value)
        case .array(let items): self = .list(items.map(Value.init(json:)))
        case .object(let members): self = .map(members.mapValues(Value.init(json:)))
        }
    }

    /// The value as a request body fragment. Nil when any part is unknown: a provider must never
    /// send a value that is not known yet.
    public var wireJSON: JSONValue? {
        switch self {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .int(let value): return .int(value)
        case .float(let value): return .double(value)
        case .string(let value): return .string(value)
        case .list(let items):
            var out: [JSONValue] = []
            for item in items {
                guard let json = item.wireJSON else { return nil }
                out.append(json)
            }
            return .array(out)
        case .map(let members):
            var out: [String: JSONValue] = [:]
            for (key, member) in members {
                guard let json = member.wireJSON else { return nil }
                out[key] = json
            }
            return .object(out)
        case .unknown: return nil
        }
    }

    /// A `map(string)` attribute (tags, labels) as a dictionary; non-string members are dropped.
    public var stringMap: [String: String] {
        guard case .map(let members) = self else { return [:] }
        return members.compactMapValues(\.textForm)
    }

    /// A `list(string)` attribute as strings; non-string items are dropped.
    public var stringList: [String] {
        guard case .list(let items) = self else { return [] }
        return items.compactMap(\.textForm)
    }
}

extension Dictionary where Key == String, Value == StrataModel.Value {
    /// A string attribute, or nil when absent, null or unknown.
    public func string(_ name: String) -> String? { self[name]?.stringValue }
    public func int(_ name: String) -> Int? { self[name]?.intValue }
    public func bool(_ name: String) -> Bool? {
        if case .bool(let value)? = self[name] { return value }
        return nil
    }
}
