import StrataModel

/// Parses expressions from the text of a YAML scalar, with spans mapped back to file positions.
/// Recursion is bounded so hostile input cannot exhaust the stack.
struct ExpressionParser {
    static let maximumDepth = 64

    private var lexer: ExpressionLexer
    private var current: ExpressionLexer.Token
    private var depth = 0
    private(set) var diagnostics: [Diagnostic] = []
    let positions: ScalarPositions

    init(text: [Unicode.Scalar], offset: Int, positions: ScalarPositions) {
        lexer = ExpressionLexer(text: text, offset: offset, positions: positions)
        self.positions = positions
        current = lexer.next()
    }

    /// The token the parser is looking at (after a complete expression: the closing `}`).
    var token: ExpressionLexer.Token { current }

    struct Failure: Error {}

    private func span(_ start: Int, _ end: Int) -> SourceSpan { positions.span(from: start, to: end) }
    private func span(_ token: ExpressionLexer.Token) -> SourceSpan {
        positions.span(from: token.start, to: max(token.end, token.start + 1))
    }

    private mutating func advance() {
        current = lexer.next()
    }

    private func isSymbol(_ symbol: String) -> Bool {
        if case .symbol(let s) = current.kind { return s == symbol }
        return false
    }

    private mutating func fail(_ message: String, at token: ExpressionLexer.Token) -> Failure {
        diagnostics.append(.error(message, at: span(token)))
        return Failure()
    }

    private mutating func unexpected(_ expectation: String) -> Failure {
        let found: String
        switch current.kind {
        case .end: found = "end of expression"
        case .identifier(let name): found = "`\(name)`"
        case .int(let value): found = "`\(value)`"
        case .float(let value): found = "`\(value)`"
        case .string: found = "a string"
        case .symbol(let symbol): found = "`\(symbol)`"
        case .invalid(let message): return fail(message, at: current)
        }
        return fail("expected \(expectation), found \(found)", at: current)
    }

    private mutating func expect(_ symbol: String, _ what: String? = nil) throws(Failure) -> ExpressionLexer.Token {
        guard isSymbol(symbol) else { throw unexpected(what ?? "`\(symbol)`") }
        let token = current
        advance()
        return token
    }

    mutating func parseExpression() throws(Failure) -> Expression {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maximumDepth else {
            throw fail("expression nested too deeply (more than \(Self.maximumDepth) levels)", at: current)
        }
        let condition = try parseBinary(level: 0)
        guard isSymbol("?") else { return condition }
        advance()
        let whenTrue = try parseExpression()
        _ = try expect(":", "`:` in conditional expression")
        let whenFalse = try parseExpression()
        return Expression(.conditional(condition, whenTrue, whenFalse), condition.span.through(whenFalse.span))
    }

    private static let levels: [[Expression.BinaryOperator]] = [
        [.or], [.and], [.equal, .notEqual], [.less, .lessOrEqual, .greater, .greaterOrEqual],
        [.add, .subtract], [.multiply, .divide, .modulo],
    ]

    private mutating func parseBinary(level: Int) throws(Failure) -> Expression {
        guard level < Self.levels.count else { return try parseUnary() }
        var lhs = try parseBinary(level: level + 1)
        while case .symbol(let symbol) = current.kind,
            let op = Expression.BinaryOperator(rawValue: symbol), Self.levels[level].contains(op)
        {
            advance()
            let rhs = try parseBinary(level: level + 1)
            lhs = Expression(.binary(op, lhs, rhs), lhs.span.through(rhs.span))
        }
        return lhs
    }

    private mutating func parseUnary() throws(Failure) -> Expression {
        if case .symbol(let symbol) = current.kind, let op = Expression.UnaryOperator(rawValue: symbol) {
            let start = current
            advance()
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maximumDepth else {
                throw fail("expression nested too deeply (more than \(Self.maximumDepth) levels)", at: current)
            }
            let operand = try parseUnary()
            return Expression(.unary(op, operand), span(start).through(operand.span))
        }
        return try parsePostfix()
    }

    private mutating func parsePostfix() throws(Failure) -> Expression {
        let base = try parsePrimary()
        var accessors: [Expression.Accessor] = []
        var end = base.span
        while true {
            if isSymbol(".") {
                advance()
                switch current.kind {
                case .identifier(let name):
                    accessors.append(.attribute(name, span(current)))
                case .int(let index):
                    // `list.0` is legacy index syntax; keep it as an index.
                    accessors.append(.index(Expression(.int(index), span(current))))
                case .symbol("*"):
                    accessors.append(.splat(span(current)))
                default:
                    throw unexpected("an attribute name after `.`")
                }
                end = span(current)
                advance()
            } else if isSymbol("[") {
                let open = current
                advance()
                if isSymbol("*") {
                    advance()
                    let close = try expect("]")
                    accessors.append(.splat(span(open.start, close.end)))
                    end = span(close)
                } else {
                    let index = try parseExpression()
                    let close = try expect("]", "`]` to close the index")
                    accessors.append(.index(index))
                    end = span(close)
                }
            } else {
                break
            }
        }
        guard !accessors.isEmpty else { return base }
        return Expression(.traversal(base, accessors), base.span.through(end))
    }

    private mutating func parsePrimary() throws(Failure) -> Expression {
        let token = current
        switch token.kind {
        case .int(let value):
            advance()
            return Expression(.int(value), span(token))
        case .float(let value):
            advance()
            return Expression(.float(value), span(token))
        case .string(let value):
            advance()
            return Expression(.string(value), span(token))
        case .identifier(let name):
            advance()
            switch name {
            case "true": return Expression(.bool(true), span(token))
            case "false": return Expression(.bool(false), span(token))
            case "null": return Expression(.null, span(token))
            default: break
            }
            guard isSymbol("(") else { return Expression(.variable(name), span(token)) }
            advance()
            var arguments: [Expression] = []
            while !isSymbol(")") {
                arguments.append(try parseExpression())
                guard isSymbol(",") else { break }
                advance()
            }
            let close = try expect(")", "`,` or `)` in the arguments of `\(name)`")
            return Expression(
                .call(name: name, nameSpan: span(token), arguments: arguments), span(token.start, close.end))
        case .symbol("("):
            advance()
            let inner = try parseExpression()
            let close = try expect(")")
            return Expression(inner.kind, span(token.start, close.end))
        case .symbol("["):
            advance()
            if case .identifier("for") = current.kind { return try parseFor(opening: token, isMap: false) }
            var items: [Expression] = []
            while !isSymbol("]") {
                items.append(try parseExpression())
                guard isSymbol(",") else { break }
                advance()
            }
            let close = try expect("]", "`,` or `]` in list")
            return Expression(.list(items), span(token.start, close.end))
        case .symbol("{"):
            advance()
            if case .identifier("for") = current.kind { return try parseFor(opening: token, isMap: true) }
            var entries: [(key: Expression, value: Expression)] = []
            while !isSymbol("}") {
                let key: Expression
                if case .identifier(let name) = current.kind {
                    key = Expression(.string(name), span(current))
                    advance()
                } else {
                    key = try parseExpression()
                }
                guard isSymbol("=") || isSymbol(":") else { throw unexpected("`=` or `:` after a map key") }
                advance()
                let value = try parseExpression()
                entries.append((key, value))
                guard isSymbol(",") else { break }
                advance()
            }
            let close = try expect("}", "`,` or `}` in map")
            return Expression(.map(entries), span(token.start, close.end))
        default:
            throw unexpected("an expression")
        }
    }

    /// `[for v in c : e if cond]`, `[for i, v in c : e]`, `{for k, v in c : key => value}`;
    /// the opening bracket is consumed, `for` is current.
    private mutating func parseFor(opening: ExpressionLexer.Token, isMap: Bool) throws(Failure) -> Expression {
        advance()
        func name() throws(Failure) -> String {
            guard case .identifier(let name) = current.kind else { throw unexpected("a variable name after `for`") }
            advance()
            return name
        }
        var keyName: String?
        var valueName = try name()
        if isSymbol(",") {
            advance()
            keyName = valueName
            valueName = try name()
        }
        guard case .identifier("in") = current.kind else { throw unexpected("`in`") }
        advance()
        let collection = try parseExpression()
        _ = try expect(":", "`:` after the collection of a `for`")
        var key: Expression?
        if isMap {
            key = try parseExpression()
            _ = try expect("=>", "`=>` between key and value in a map `for`")
        }
        let value = try parseExpression()
        var condition: Expression?
        if case .identifier("if") = current.kind {
            advance()
            condition = try parseExpression()
        }
        let close = try expect(isMap ? "}" : "]", isMap ? "`}` to close the `for`" : "`]` to close the `for`")
        let clause = Expression.ForClause(
            keyName: keyName, valueName: valueName, collection: collection, key: key, value: value,
            condition: condition)
        return Expression(.forExpression(clause), span(opening.start, close.end))
    }
}
