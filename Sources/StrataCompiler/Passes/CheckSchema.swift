import StrataModel
import StrataSyntax

/// Checks values against the types the schema (or a module input) declares, walking the
/// expression alongside the value so a problem inside a YAML mapping is reported at its own key
/// or value. Returns the value converted to the declared type (`8080` → `"8080"` for a string,
/// a YAML map → JSON text for a `json` attribute).
///
/// Run by the expander on every instance as it is evaluated, because references to an instance
/// must see its converted values.
struct SchemaChecker {
    var diagnostics: [Diagnostic] = []

    static let durationPattern = #"^([0-9]+(ms|s|m|h))+$"#

    /// Checks one resource instance's attributes: unknown names (with a suggestion), computed
    /// attributes that were set, missing required ones, and each value's type.
    mutating func checkResource(
        _ attributes: inout [InstanceResult.Attribute], schema: ResourceSchema, block: ResourceBlock
    ) {
        var present = Set<String>()
        for index in attributes.indices {
            let entry = attributes[index].entry
            let name = entry.name.name
            guard let attribute = settableAttribute(entry.name, in: schema) else { continue }
            if case .null = attributes[index].value { continue }
            present.insert(name)
            attributes[index].value = check(
                attributes[index].value, against: attribute.type, expression: entry.value, path: name,
                key: entry.name.span)
        }
        for attribute in schema.attributes.values.sorted(by: { $0.name < $1.name })
        where attribute.presence == .required && !present.contains(attribute.name)
            && !attributes.contains(where: { $0.entry.name.name == attribute.name })
        {
            diagnostics.append(
                .missingAttribute(attribute.name, type: schema.type, block: block.name.name, at: block.name.span))
        }
    }

    /// For a block that expands to no instances (`count: 0`): its attribute names and the keys of
    /// its literal nested blocks are still checked, so a typo does not hide until count changes.
    mutating func checkNames(_ block: ResourceBlock, schema: ResourceSchema) {
        for entry in block.attributes {
            guard let attribute = settableAttribute(entry.name, in: schema) else { continue }
            checkShape(entry.value, type: attribute.type, path: entry.name.name)
        }
    }

    /// The schema of the attribute `name` names when the stack may set it; otherwise reports
    /// why not (no such attribute, with suggestions, or one AWS computes) and returns nil.
    private mutating func settableAttribute(_ name: Named, in schema: ResourceSchema) -> AttributeSchema? {
        guard let attribute = schema.attributes[name.name] else {
            diagnostics.append(.unknownAttribute(name.name, type: schema.type, candidates: settable(schema), at: name.span))
            return nil
        }
        guard attribute.presence != .computed else {
            diagnostics.append(.computedAttributeSet(name.name, type: schema.type, at: name.span))
            return nil
        }
        return attribute
    }

    private mutating func checkShape(_ expression: Expression, type: ValueType, path: String) {
        switch (type, expression.kind) {
        case (.object(let fields), .map(let entries)) where !fields.isEmpty:
            for entry in entries {
                guard case .string(let key) = entry.key.kind else { continue }
                guard let field = fields[key] else {
                    let candidates = fields.values.filter { $0.presence != .computed }.map(\.name).sorted()
                    diagnostics.append(
                        Diagnostic.error("unknown attribute `\(key)` in `\(path)`", at: entry.key.span)
                            .suggesting(Suggestion.closest(to: key, in: candidates)))
                    continue
                }
                checkShape(entry.value, type: field.type, path: "\(path).\(key)")
            }
        case (.list(let element), .list(let items)):
            for (index, item) in items.enumerated() { checkShape(item, type: element, path: "\(path)[\(index)]") }
        default:
            break
        }
    }

    private func settable(_ schema: ResourceSchema) -> [String] {
        schema.attributes.values.filter { $0.presence != .computed }.map(\.name).sorted()
    }

    /// Checks `value` against `type`; `expression` (when it is the literal that produced the
    /// value) gives nested spans.
    mutating func check(
        _ value: Value, against type: ValueType, expression: Expression, path: String, key: SourceSpan? = nil
    ) -> Value {
        let span = expression.span
        if case .unknown(let actual) = value {
            if !Self.compatible(actual, type) {
                diagnostics.append(.typeMismatch(path, expected: type, got: value.typeName, at: span))
            }
            return value
        }
        if case .null = value { return value }
        switch type {
        case .any:
            return value
        case .string:
            switch value {
            case .string: return value
            case .int, .bool: return .string(value.textForm ?? "")
            case .float:
                diagnostics.append(
                    .error(
                        "`\(path)` must be a string, got the number \(value.textForm ?? ""); quote it to keep it as written (YAML reads 1.30 unquoted as the number 1.3)",
                        at: span))
                return value
            default:
                diagnostics.append(.typeMismatch(path, expected: type, got: value.typeName, at: span))
                return value
            }
        case .int:
            if let int = value.intValue { return .int(int) }
            if case .string(let text) = value, let int = Int(text) { return .int(int) }
            diagnostics.append(.typeMismatch(path, expected: type, got: describe(value), at: span))
            return value
        case .number:
            if case .int = value { return value }
            if case .float = value { return value }
            if case .string(let text) = value, let number = Double(text) { return .float(number) }
            diagnostics.append(.typeMismatch(path, expected: type, got: describe(value), at: span))
            return value
        case .bool:
            if case .bool = value { return value }
            if case .string(let text) = value, text == "true" || text == "false" { return .bool(text == "true") }
            diagnostics.append(.typeMismatch(path, expected: type, got: describe(value), at: span))
            return value
        case .cidr:
            guard case .string(let text) = value else {
                diagnostics.append(.typeMismatch(path, expected: type, got: value.typeName, at: span))
                return value
            }
            if case .failure(let problem) = CIDR.parse(text) {
                diagnostics.append(.error("`\(path)`: \(problem)", at: span))
            }
            return value
        case .duration:
            guard case .string(let text) = value,
                text.range(of: Self.durationPattern, options: .regularExpression) != nil
            else {
                diagnostics.append(
                    .error(
                        "`\(path)` must be a duration like `90s`, `15m` or `1h30m`, got \(describe(value))", at: span))
                return value
            }
            return value
        case .json:
            switch value {
            case .string(let text):
                if case .failure(let message) = JSONText.decode(text) {
                    diagnostics.append(.error("`\(path)` is not valid JSON: \(message.text)", at: span))
                }
                return value
            case .map, .list:
                // A YAML mapping stands for the JSON document it spells.
                return JSONText.encode(value).map(Value.string) ?? value
            default:
                diagnostics.append(.typeMismatch(path, expected: type, got: value.typeName, at: span))
                return value
            }
        case .list(let element):
            guard case .list(let items) = value else {
                diagnostics.append(.typeMismatch(path, expected: type, got: value.typeName, at: span))
                return value
            }
            let literals: [Expression]? =
                if case .list(let exprs) = expression.kind, exprs.count == items.count { exprs } else { nil }
            var converted: [Value] = []
            for (index, item) in items.enumerated() {
                converted.append(
                    check(item, against: element, expression: literals?[index] ?? expression, path: "\(path)[\(index)]")
                )
            }
            return .list(converted)
        case .map(let element):
            guard case .map(let members) = value else {
                diagnostics.append(.typeMismatch(path, expected: type, got: value.typeName, at: span))
                return value
            }
            let literals = entries(expression)
            var converted: [String: Value] = [:]
            for key in members.keys.sorted() {
                guard let member = members[key] else { continue }
                converted[key] = check(
                    member, against: element, expression: literals[key]?.value ?? expression, path: "\(path).\(key)")
            }
            return .map(converted)
        case .object(let fields):
            guard case .map(let members) = value else {
                diagnostics.append(.typeMismatch(path, expected: type, got: value.typeName, at: span))
                return value
            }
            guard !fields.isEmpty else { return value }
            let literals = entries(expression)
            var converted: [String: Value] = [:]
            for key in members.keys.sorted() {
                guard let member = members[key] else { continue }
                let keySpan = literals[key]?.key ?? span
                guard let field = fields[key] else {
                    let candidates = fields.values.filter { $0.presence != .computed }.map(\.name).sorted()
                    diagnostics.append(
                        Diagnostic.error("unknown attribute `\(key)` in `\(path)`", at: keySpan)
                            .suggesting(Suggestion.closest(to: key, in: candidates)))
                    continue
                }
                if field.presence == .computed {
                    diagnostics.append(.error("`\(path).\(key)` is computed by AWS and cannot be set", at: keySpan))
                    continue
                }
                converted[key] = check(
                    member, against: field.type, expression: literals[key]?.value ?? expression, path: "\(path).\(key)",
                    key: literals[key]?.key)
            }
            for field in fields.values.sorted(by: { $0.name < $1.name })
            where field.presence == .required && (members[field.name] == nil || members[field.name] == .null) {
                diagnostics.append(.error("`\(path)` is missing required attribute `\(field.name)`", at: key ?? span))
            }
            return .map(converted)
        }
    }

    private func describe(_ value: Value) -> String {
        switch value {
        case .string(let text): "string \"\(text)\""
        default: value.typeName
        }
    }

    /// The literal map entries of an expression, by key: their key spans and value expressions.
    private func entries(_ expression: Expression) -> [String: (key: SourceSpan, value: Expression)] {
        guard case .map(let entries) = expression.kind else { return [:] }
        var result: [String: (key: SourceSpan, value: Expression)] = [:]
        for entry in entries {
            if case .string(let name) = entry.key.kind { result[name] = (entry.key.span, entry.value) }
        }
        return result
    }

    /// Whether a value known only by its type may turn out to fit `expected`.
    static func compatible(_ actual: ValueType, _ expected: ValueType) -> Bool {
        switch (actual, expected) {
        case (.any, _), (_, .any): return true
        case (.string, .string), (.string, .cidr), (.string, .duration), (.string, .json), (.cidr, .string),
            (.duration, .string), (.json, .string), (.cidr, .cidr), (.duration, .duration), (.json, .json):
            return true
        case (.int, .int), (.int, .number), (.number, .number), (.number, .int), (.int, .string), (.number, .string),
            (.bool, .bool), (.bool, .string):
            return true
        case (.list(let a), .list(let b)): return compatible(a, b)
        case (.map(let a), .map(let b)): return compatible(a, b)
        case (.map, .object), (.object, .map), (.object, .object), (.map, .json), (.object, .json), (.list, .json):
            return true
        default: return false
        }
    }
}

extension Diagnostic {
    static func unknownAttribute(_ name: String, type: String, candidates: [String], at span: SourceSpan) -> Diagnostic {
        Diagnostic.error("unknown attribute `\(name)` for resource type `\(type)`", at: span)
            .suggesting(Suggestion.closest(to: name, in: candidates))
    }

    static func computedAttributeSet(_ name: String, type: String, at span: SourceSpan) -> Diagnostic {
        .error(
            "`\(name)` of `\(type)` is computed by AWS and cannot be set", at: span,
            detail: "it is known after apply; refer to it from other resources instead")
    }

    static func missingAttribute(_ name: String, type: String, block: String, at span: SourceSpan) -> Diagnostic {
        .error("resource `\(block)` (\(type)) is missing required attribute `\(name)`", at: span)
    }

    static func typeMismatch(_ path: String, expected: ValueType, got: String, at span: SourceSpan) -> Diagnostic {
        .error("`\(path)` must be \(expected.article) \(expected), got \(got)", at: span)
    }
}

extension ValueType {
    var article: String {
        switch self {
        case .int, .object, .any: "an"
        default: "a"
        }
    }
}
