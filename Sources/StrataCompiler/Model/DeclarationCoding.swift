import StrataModel
import StrataSyntax

// Declarations encode as part of a ``Program``. A declared type is written as the stack wrote
// it (`list(string)`) and read back with the same grammar: the only object type a declaration
// can name is `object`, with no fields, so nothing is lost. Inputs and variables share one form.

/// The encoded form of an input or a variable declaration.
private struct DeclaredValue: Codable {
    var name: Named
    var type: String?
    var typeSpan: SourceSpan?
    var defaultValue: Expression?
    var description: String?
    var sensitive: Bool

    func valueType() throws -> ValueType? {
        guard let type else { return nil }
        guard case .success(let parsed) = TypeExpression.parse(type) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not a type: `\(type)`"))
        }
        return parsed
    }
}

extension InputDeclaration: Codable {
    public init(from decoder: any Decoder) throws {
        let declared = try DeclaredValue(from: decoder)
        guard let type = try declared.valueType(), let typeSpan = declared.typeSpan else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "an input without a type"))
        }
        self.init(
            name: declared.name, type: type, typeSpan: typeSpan, defaultValue: declared.defaultValue,
            description: declared.description, sensitive: declared.sensitive)
    }

    public func encode(to encoder: any Encoder) throws {
        try DeclaredValue(
            name: name, type: type.description, typeSpan: typeSpan, defaultValue: defaultValue, description: description,
            sensitive: sensitive
        ).encode(to: encoder)
    }
}

extension VariableDeclaration: Codable {
    public init(from decoder: any Decoder) throws {
        let declared = try DeclaredValue(from: decoder)
        self.init(
            name: declared.name, type: try declared.valueType(), typeSpan: declared.typeSpan,
            defaultValue: declared.defaultValue, description: declared.description, sensitive: declared.sensitive)
    }

    public func encode(to encoder: any Encoder) throws {
        try DeclaredValue(
            name: name, type: type?.description, typeSpan: typeSpan, defaultValue: defaultValue, description: description,
            sensitive: sensitive
        ).encode(to: encoder)
    }
}
