import StrataModel

// A compiled program (and so a saved plan) carries its expressions, so they encode. The form is
// a flat JSON array per expression — `[tag, file, line, column, endLine, endColumn, operands…]`
// — rather than the keyed objects Swift would synthesise: a plan file holds every expression of
// the stack, and JSON readers refuse documents nested past a few hundred levels, so each level
// of the syntax tree costs one level of JSON, not three.

extension Expression: Codable {
    private enum Tag: String, Codable {
        case null, bool, int, float, string, template, variable, traversal, call, unary, binary, conditional, list, map
        case forExpression = "for"
    }

    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        let tag = try container.decode(Tag.self)
        let span = try container.decodeSpan()
        let kind: Kind
        switch tag {
        case .null: kind = .null
        case .bool: kind = .bool(try container.decode(Bool.self))
        case .int: kind = .int(try container.decode(Int.self))
        case .float: kind = .float(try container.decode(Double.self))
        case .string: kind = .string(try container.decode(String.self))
        case .template: kind = .template(try container.decode([TemplatePart].self))
        case .variable: kind = .variable(try container.decode(String.self))
        case .traversal: kind = .traversal(try container.decode(Expression.self), try container.decode([Accessor].self))
        case .call:
            kind = .call(
                name: try container.decode(String.self), nameSpan: try container.decodeSpan(),
                arguments: try container.decode([Expression].self))
        case .unary:
            kind = .unary(try container.decode(UnaryOperator.self), try container.decode(Expression.self))
        case .binary:
            kind = .binary(
                try container.decode(BinaryOperator.self), try container.decode(Expression.self), try container.decode(Expression.self))
        case .conditional:
            kind = .conditional(
                try container.decode(Expression.self), try container.decode(Expression.self), try container.decode(Expression.self))
        case .list: kind = .list(try container.decode([Expression].self))
        case .map:
            // Keys and values alternate, so entries keep their order.
            var entries: [(key: Expression, value: Expression)] = []
            var flat = try container.nestedUnkeyedContainer()
            while !flat.isAtEnd { entries.append((try flat.decode(Expression.self), try flat.decode(Expression.self))) }
            kind = .map(entries)
        case .forExpression: kind = .forExpression(try container.decode(ForClause.self))
        }
        self.init(kind, span)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        func head(_ tag: Tag) throws {
            try container.encode(tag)
            try container.encodeSpan(span)
        }
        switch kind {
        case .null: try head(.null)
        case .bool(let value): try head(.bool); try container.encode(value)
        case .int(let value): try head(.int); try container.encode(value)
        case .float(let value): try head(.float); try container.encode(value)
        case .string(let value): try head(.string); try container.encode(value)
        case .template(let parts): try head(.template); try container.encode(parts)
        case .variable(let name): try head(.variable); try container.encode(name)
        case .traversal(let base, let accessors):
            try head(.traversal)
            try container.encode(base)
            try container.encode(accessors)
        case .call(let name, let nameSpan, let arguments):
            try head(.call)
            try container.encode(name)
            try container.encodeSpan(nameSpan)
            try container.encode(arguments)
        case .unary(let op, let operand):
            try head(.unary)
            try container.encode(op)
            try container.encode(operand)
        case .binary(let op, let lhs, let rhs):
            try head(.binary)
            try container.encode(op)
            try container.encode(lhs)
            try container.encode(rhs)
        case .conditional(let condition, let then, let otherwise):
            try head(.conditional)
            try container.encode(condition)
            try container.encode(then)
            try container.encode(otherwise)
        case .list(let items): try head(.list); try container.encode(items)
        case .map(let entries):
            try head(.map)
            var flat = container.nestedUnkeyedContainer()
            for entry in entries {
                try flat.encode(entry.key)
                try flat.encode(entry.value)
            }
        case .forExpression(let clause): try head(.forExpression); try container.encode(clause)
        }
    }
}

extension Expression.UnaryOperator: Codable {}
extension Expression.BinaryOperator: Codable {}

extension Expression.TemplatePart: Codable {
    // A text part is a JSON string; an interpolation is its expression (an array).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            self = .interpolation(try container.decode(Expression.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .interpolation(let expression): try container.encode(expression)
        }
    }
}

extension Expression.Accessor: Codable {
    // `["attribute", name, span…]`, `["index", expression]`, `["splat", span…]`.
    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        switch try container.decode(String.self) {
        case "attribute": self = .attribute(try container.decode(String.self), try container.decodeSpan())
        case "index": self = .index(try container.decode(Expression.self))
        case "splat": self = .splat(try container.decodeSpan())
        case let other:
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown accessor `\(other)`")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        switch self {
        case .attribute(let name, let span):
            try container.encode("attribute")
            try container.encode(name)
            try container.encodeSpan(span)
        case .index(let expression):
            try container.encode("index")
            try container.encode(expression)
        case .splat(let span):
            try container.encode("splat")
            try container.encodeSpan(span)
        }
    }
}

extension UnkeyedEncodingContainer {
    /// A span as five plain members of the enclosing array.
    mutating func encodeSpan(_ span: SourceSpan) throws {
        try encode(span.file)
        try encode(span.start.line)
        try encode(span.start.column)
        try encode(span.end.line)
        try encode(span.end.column)
    }
}

extension UnkeyedDecodingContainer {
    mutating func decodeSpan() throws -> SourceSpan {
        let file = try decode(String.self)
        let start = SourcePosition(line: try decode(Int.self), column: try decode(Int.self))
        let end = SourcePosition(line: try decode(Int.self), column: try decode(Int.self))
        return SourceSpan(file: file, start: start, end: end)
    }
}
