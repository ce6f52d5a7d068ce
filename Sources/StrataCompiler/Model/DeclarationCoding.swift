import StrataModel
import StrataSyntax

// Declarations encode as part of a ``Program``. A declared type is written as the stack wrote
// it (`list(string)`) and read back with the same grammar: the only object type a declaration
// can name is `object`, with no fields, so nothing is lost.

extension InputDeclaration: Codable {
    private enum Key: String, CodingKey { case name, type, typeSpan, defaultValue, description, sensitive }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        name = try container.decode(Named.self, forKey: .name)
        type = try Self.decodeType(container.decode(String.self, forKey: .type), in: container, at: .type)
        typeSpan = try container.decode(SourceSpan.self, forKey: .typeSpan)
        defaultValue = try container.decodeIfPresent(Expression.self, forKey: .defaultValue)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        sensitive = try container.decode(Bool.self, forKey: .sensitive)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(name, forKey: .name)
        try container.encode(type.description, forKey: .type)
        try container.encode(typeSpan, forKey: .typeSpan)
        try container.encodeIfPresent(defaultValue, forKey: .defaultValue)
        try container.encodeIfPresent(description, forKey: .description)
        try container.encode(sensitive, forKey: .sensitive)
    }
}

extension VariableDeclaration: Codable {
    private enum Key: String, CodingKey { case name, type, typeSpan, defaultValue, description, sensitive }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        name = try container.decode(Named.self, forKey: .name)
        type = try container.decodeIfPresent(String.self, forKey: .type).map {
            try InputDeclaration.decodeType($0, in: container, at: .type)
        }
        typeSpan = try container.decodeIfPresent(SourceSpan.self, forKey: .typeSpan)
        defaultValue = try container.decodeIfPresent(Expression.self, forKey: .defaultValue)
        description = try container.decodeIfPresent(String.self, forKey: .description)
        sensitive = try container.decode(Bool.self, forKey: .sensitive)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(name, forKey: .name)
        try container.encodeIfPresent(type?.description, forKey: .type)
        try container.encodeIfPresent(typeSpan, forKey: .typeSpan)
        try container.encodeIfPresent(defaultValue, forKey: .defaultValue)
        try container.encodeIfPresent(description, forKey: .description)
        try container.encode(sensitive, forKey: .sensitive)
    }
}

extension InputDeclaration {
    fileprivate static func decodeType<K: CodingKey>(_ text: String, in container: KeyedDecodingContainer<K>, at key: K) throws
        -> ValueType
    {
        guard case .success(let type) = TypeExpression.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not a type: `\(text)`")
        }
        return type
    }
}
