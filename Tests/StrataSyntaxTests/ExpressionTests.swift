import StrataModel
import Testing

@testable import StrataSyntax

@Suite struct ExpressionTests {
    private func parse(_ yaml: String) -> (Expression, [Diagnostic]) {
        let (node, diagnostics) = YAMLLoader.load("v: \(yaml)\n", file: "e.yaml")
        guard let value = node?["v"] else {
            return (Expression(.null, SourceSpan(file: "e.yaml", line: 1, column: 1)), diagnostics)
        }
        return Template.expression(from: value)
    }

    @Test func wholeInterpolationKeepsTheExpression() {
        let (expression, diagnostics) = parse("${cidrsubnet(inputs.cidr, 4, each.index)}")
        #expect(diagnostics.isEmpty)
        guard case .call(let name, let nameSpan, let arguments) = expression.kind else {
            Issue.record("expected a call")
            return
        }
        #expect(name == "cidrsubnet")
        #expect(arguments.count == 3)
        #expect(nameSpan.start == SourcePosition(line: 1, column: 6))
        #expect(arguments[1].span.start == SourcePosition(line: 1, column: 30))
    }

    @Test func mixedTextIsATemplate() {
        let (expression, diagnostics) = parse("\"eks-${stack.name}-nodes\"")
        #expect(diagnostics.isEmpty)
        guard case .template(let parts) = expression.kind else {
            Issue.record("expected a template")
            return
        }
        #expect(parts.count == 3)
        if case .interpolation(let inner) = parts[1] {
            #expect(inner.span.start == SourcePosition(line: 1, column: 11))
            #expect(inner.span.end == SourcePosition(line: 1, column: 21))
        }
    }

    @Test func precedenceAndConditionals() {
        let (expression, diagnostics) = parse("\"${a + 2 * 3 > 4 && !b ? x[*].id : {k = 1}}\"")
        #expect(diagnostics.isEmpty)
        guard case .conditional(let condition, let whenTrue, let whenFalse) = expression.kind else {
            Issue.record("expected a conditional")
            return
        }
        guard case .binary(.and, let lhs, _) = condition.kind, case .binary(.greater, let sum, _) = lhs.kind,
            case .binary(.add, _, let product) = sum.kind, case .binary(.multiply, _, _) = product.kind
        else {
            Issue.record("wrong precedence")
            return
        }
        guard case .traversal(_, let accessors) = whenTrue.kind, case .splat = accessors[0] else {
            Issue.record("expected a splat")
            return
        }
        guard case .map = whenFalse.kind else {
            Issue.record("expected a map")
            return
        }
    }

    @Test func unclosedInterpolationPointsAtTheOpening() {
        let (_, diagnostics) = parse("\"name-${stack.name\"")
        #expect(diagnostics.contains { $0.summary.hasPrefix("unclosed `${`") && $0.span?.start.column == 10 })
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
        let (_, diagnostics) = parse("\"${\(deep)}\"")
        #expect(diagnostics.contains { $0.summary.contains("nested too deeply") })
    }

    @Test func plainScalarsResolveAsYAMLCoreTypes() {
        if case .int(3) = parse("3").0.kind {} else { Issue.record("3 is an int") }
        if case .bool(true) = parse("true").0.kind {} else { Issue.record("true is a bool") }
        if case .string("1.31") = parse("\"1.31\"").0.kind {} else { Issue.record("quoted stays a string") }
        if case .float = parse("1.5").0.kind {} else { Issue.record("1.5 is a float") }
    }

    @Test func suggestionsByEditDistance() {
        #expect(Suggestion.closest(to: "cidr_blok", in: ["cidr_block", "vpc_id", "tags"]) == "cidr_block")
        #expect(Suggestion.closest(to: "zzz", in: ["cidr_block"]) == nil)
    }
}

@Suite struct ScalarPositionTests {
    /// Where the first `${` expression of `key`'s value starts, as the parser reports it.
    private func expressionStart(_ yaml: String, _ key: String) -> SourcePosition? {
        let (node, _) = YAMLLoader.load(yaml, file: "p.yaml")
        guard let value = node?[key] else { return nil }
        let (expression, _) = Template.expression(from: value)
        switch expression.kind {
        case .template(let parts):
            for case .interpolation(let inner) in parts { return inner.span.start }
            return nil
        default:
            return expression.span.start
        }
    }

    @Test func escapesInDoubleQuotesDoNotShiftColumns() {
        #expect(expressionStart("a: \"x\\ty-${stack.name}\"\n", "a") == SourcePosition(line: 1, column: 12))
    }

    @Test func singleQuotesWithDoubledQuotes() {
        #expect(expressionStart("a: 'it''s ${stack.name}'\n", "a") == SourcePosition(line: 1, column: 13))
    }

    @Test func literalBlockScalarsMapToTheirLines() {
        #expect(expressionStart("a: |\n  line one\n  two ${stack.name}\n", "a") == SourcePosition(line: 3, column: 9))
    }

    @Test func foldedPlainScalarsOverSeveralLines() {
        #expect(expressionStart("a: first\n  second ${stack.name}\n", "a") == SourcePosition(line: 2, column: 12))
    }
}
