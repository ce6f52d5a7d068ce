import StrataModel

/// Turns YAML values into expressions: a scalar may be a literal, exactly one `${...}` (which
/// keeps the expression's type), or text mixed with `${...}` parts (always a string). `$${`
/// writes a literal `${`.
public enum Template {
    /// Parses one scalar. Plain scalars without `${` resolve as YAML 1.2 core types (null, bool,
    /// int, float); quoted and block scalars are strings.
    public static func parse(_ scalar: YAMLNode.Scalar, span: SourceSpan) -> (Expression, [Diagnostic]) {
        let text = Array(scalar.text.unicodeScalars)
        var diagnostics: [Diagnostic] = []
        var parts: [Expression.TemplatePart] = []
        var literal = String.UnicodeScalarView()
        var index = 0
        var sawInterpolation = false
        while index < text.count {
            if text[index] == "$", index + 2 < text.count, text[index + 1] == "$", text[index + 2] == "{" {
                literal.append("$")
                literal.append("{")
                index += 3
                continue
            }
            guard text[index] == "$", index + 1 < text.count, text[index + 1] == "{" else {
                literal.append(text[index])
                index += 1
                continue
            }
            sawInterpolation = true
            if !literal.isEmpty {
                parts.append(.text(String(literal)))
                literal = String.UnicodeScalarView()
            }
            let open = index
            var parser = ExpressionParser(text: text, offset: index + 2, positions: scalar.positions)
            do {
                let expression = try parser.parseExpression()
                let closing = parser.token
                if case .symbol("}") = closing.kind {
                    parts.append(.interpolation(expression))
                    index = closing.end
                    continue
                }
                diagnostics += parser.diagnostics
                if case .end = closing.kind {
                    diagnostics.append(.unclosedInterpolation(at: scalar.positions.span(from: open, to: open + 2)))
                } else {
                    diagnostics.append(
                        .error(
                            "expected `}` to close `${`",
                            at: scalar.positions.span(from: closing.start, to: max(closing.end, closing.start + 1)),
                            notes: [.init("`${` opened here", at: scalar.positions.span(from: open, to: open + 2))]))
                }
            } catch {
                diagnostics += parser.diagnostics
                if case .end = parser.token.kind {
                    diagnostics.append(.unclosedInterpolation(at: scalar.positions.span(from: open, to: open + 2)))
                }
            }
            // Recover at the next `}` so later parts of the string are still checked.
            var resume = index + 2
            while resume < text.count, text[resume] != "}" { resume += 1 }
            index = resume + 1
            parts.append(
                .interpolation(Expression(.null, scalar.positions.span(from: open, to: min(resume + 1, text.count)))))
        }
        if !literal.isEmpty { parts.append(.text(String(literal))) }
        if !sawInterpolation {
            let value = scalar.text
            if scalar.style == .plain { return (resolvePlain(value, span: span), diagnostics) }
            return (Expression(.string(value), span), diagnostics)
        }
        if diagnostics.hasErrors { return (Expression(.null, span), diagnostics) }
        if parts.count == 1, case .interpolation(let only) = parts[0] {
            return (only, diagnostics)
        }
        return (Expression(.template(parts), span), diagnostics)
    }

    /// YAML 1.2 core schema resolution for plain scalars.
    static func resolvePlain(_ text: String, span: SourceSpan) -> Expression {
        switch text {
        case "", "~", "null", "Null", "NULL": return Expression(.null, span)
        case "true", "True", "TRUE": return Expression(.bool(true), span)
        case "false", "False", "FALSE": return Expression(.bool(false), span)
        default: break
        }
        if let value = Int(text), text.first != "+" { return Expression(.int(value), span) }
        if text.hasPrefix("0x"), let value = Int(text.dropFirst(2), radix: 16) { return Expression(.int(value), span) }
        let isNumeric = text.unicodeScalars.allSatisfy {
            ("0"..."9").contains($0) || "+-.eE".unicodeScalars.contains($0)
        }
        if isNumeric, text.contains(where: \.isNumber), let value = Double(text) {
            return Expression(.float(value), span)
        }
        return Expression(.string(text), span)
    }

    /// A whole YAML tree as one expression: mappings become map literals with string keys,
    /// sequences list literals, scalars as `parse` reads them.
    public static func expression(from node: YAMLNode) -> (Expression, [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        let expression = convert(node, &diagnostics)
        return (expression, diagnostics)
    }

    private static func convert(_ node: YAMLNode, _ diagnostics: inout [Diagnostic]) -> Expression {
        switch node.kind {
        case .scalar(let scalar):
            let (expression, found) = parse(scalar, span: node.span)
            diagnostics += found
            return expression
        case .sequence(let items):
            return Expression(.list(items.map { convert($0, &diagnostics) }), node.span)
        case .mapping(let pairs):
            let entries = pairs.map { pair -> (key: Expression, value: Expression) in
                (Expression(.string(pair.name), pair.key.span), convert(pair.value, &diagnostics))
            }
            return Expression(.map(entries), node.span)
        }
    }
}

extension Diagnostic {
    static func unclosedInterpolation(at span: SourceSpan) -> Diagnostic {
        .error("unclosed `${`: expected `}`", at: span)
    }
}
