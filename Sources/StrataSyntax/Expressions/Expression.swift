import StrataModel

/// An expression from inside `${...}` (or a whole YAML value turned into one), with the span of
/// every sub-expression in the file.
public struct Expression: Sendable {
    public indirect enum Kind: Sendable {
        case null
        case bool(Bool)
        case int(Int)
        case float(Double)
        case string(String)
        /// Text mixed with `${}` parts: always a string.
        case template([TemplatePart])
        /// A bare name: `vpc`, `inputs`, `each`, `zones`.
        case variable(String)
        /// `base.name`, `base[index]`, `base[*].rest`: accessors applied left to right; after a
        /// splat the rest apply to every element.
        case traversal(Expression, [Accessor])
        case call(name: String, nameSpan: SourceSpan, arguments: [Expression])
        case unary(UnaryOperator, Expression)
        case binary(BinaryOperator, Expression, Expression)
        case conditional(Expression, Expression, Expression)
        case list([Expression])
        /// Keys are expressions (usually string literals); entries keep their order.
        case map([(key: Expression, value: Expression)])
        /// `[for v in c : e]` (a list) or `{for k, v in c : k => e}` (a map, `key` set).
        case forExpression(ForClause)
    }

    /// The parts of a `for` expression. Over a list, `keyName` names the index; over a map, the key.
    public struct ForClause: Sendable, Codable {
        public var keyName: String?
        public var valueName: String
        public var collection: Expression
        /// The key of each entry, for a map `for`; nil for a list `for`.
        public var key: Expression?
        public var value: Expression
        public var condition: Expression?
    }

    public enum TemplatePart: Sendable {
        case text(String)
        case interpolation(Expression)
    }

    public enum Accessor: Sendable {
        case attribute(String, SourceSpan)
        case index(Expression)
        case splat(SourceSpan)
    }

    public enum UnaryOperator: String, Sendable { case not = "!", negate = "-" }

    public enum BinaryOperator: String, Sendable {
        case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%"
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case and = "&&", or = "||"
    }

    public var kind: Kind
    public var span: SourceSpan

    public init(_ kind: Kind, _ span: SourceSpan) {
        self.kind = kind
        self.span = span
    }

    /// Every reference root in the expression (`vpc` in `vpc.id`, `network` in
    /// `network.private_subnet_ids`) with its first accessor, for dependency analysis before
    /// evaluation.
    public func references() -> [Reference] {
        var found: [Reference] = []
        collect(into: &found, bound: [])
        return found
    }

    /// A use of a name: the root, its span, and the attribute or literal key right after it.
    public struct Reference: Sendable {
        public var root: String
        public var span: SourceSpan
        /// The first `.name` after the root (`id` in `vpc.id`, `private_subnet_ids` in
        /// `network.private_subnet_ids`).
        public var attribute: String?
        public var attributeSpan: SourceSpan?
        /// The span of the whole traversal, for "refers to" notes.
        public var fullSpan: SourceSpan
    }

    private func collect(into found: inout [Reference], bound: Set<String>) {
        switch kind {
        case .null, .bool, .int, .float, .string: break
        case .template(let parts):
            for case .interpolation(let expression) in parts { expression.collect(into: &found, bound: bound) }
        case .variable(let name):
            // A `for` expression's own variables are not references to anything outside it.
            if bound.contains(name) { return }
            found.append(Reference(root: name, span: span, attribute: nil, attributeSpan: nil, fullSpan: span))
        case .traversal(let base, let accessors):
            if case .variable(let name) = base.kind, bound.contains(name) {
                for case .index(let index) in accessors { index.collect(into: &found, bound: bound) }
                return
            }
            if case .variable(let name) = base.kind {
                // Only a `.name` right after the root names an input, variable or output.
                var attribute: String?
                var attributeSpan: SourceSpan?
                if case .attribute(let a, let s)? = accessors.first {
                    attribute = a
                    attributeSpan = s
                }
                found.append(
                    Reference(
                        root: name, span: base.span, attribute: attribute, attributeSpan: attributeSpan, fullSpan: span)
                )
            } else {
                base.collect(into: &found, bound: bound)
            }
            for case .index(let index) in accessors { index.collect(into: &found, bound: bound) }
        case .call(_, _, let arguments):
            for argument in arguments { argument.collect(into: &found, bound: bound) }
        case .unary(_, let operand): operand.collect(into: &found, bound: bound)
        case .binary:
            // Long operator chains lean left (one level per operator): walk that side with a
            // loop, so a chain of thousands needs no deeper recursion than one operator.
            var rights: [Expression] = []
            var leftmost = self
            while case .binary(_, let lhs, let rhs) = leftmost.kind {
                rights.append(rhs)
                leftmost = lhs
            }
            leftmost.collect(into: &found, bound: bound)
            for rhs in rights.reversed() { rhs.collect(into: &found, bound: bound) }
        case .conditional(let c, let t, let f):
            c.collect(into: &found, bound: bound)
            t.collect(into: &found, bound: bound)
            f.collect(into: &found, bound: bound)
        case .list(let items):
            for item in items { item.collect(into: &found, bound: bound) }
        case .map(let entries):
            for entry in entries {
                entry.key.collect(into: &found, bound: bound)
                entry.value.collect(into: &found, bound: bound)
            }
        case .forExpression(let clause):
            clause.collection.collect(into: &found, bound: bound)
            let inner = bound.union([clause.valueName] + (clause.keyName.map { [$0] } ?? []))
            clause.key?.collect(into: &found, bound: inner)
            clause.value.collect(into: &found, bound: inner)
            clause.condition?.collect(into: &found, bound: inner)
        }
    }
}
