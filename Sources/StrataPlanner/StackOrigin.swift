import StrataCompiler
import StrataModel
import StrataSyntax

/// Where in the stack file a module resource's attribute gets its value: the line a user edits.
/// A module's `version: ${inputs.version}` is set by the stack's `with: { version: "1.31" }`,
/// and a pool's `${lookup(each.value, "version", inputs.version)}` by its own entry in
/// `node_pools` when it has one. Findings point there rather than into the module.
enum StackOrigin {
    /// The span of what sets `attribute` of `address` in the stack file, or nil when the
    /// attribute is not fed by a module argument (then its own span is the place).
    static func span(of attribute: String, at address: ResourceAddress, in program: Program) -> SourceSpan? {
        guard let module = address.module, let call = program.stack.modules.first(where: { $0.name.name == module }),
            let block = call.module?.resources.first(where: { $0.name.name == address.name }),
            let expression = block.attributes.first(where: { $0.name.name == attribute })?.value
        else { return nil }
        // The pool's own entry first (`node_pools: { system: { version: "1.30" } }`).
        if expression.reads(variable: "each"), let forEach = block.forEach, case .name(let key)? = address.key {
            for input in forEach.inputs {
                guard let argument = call.arguments.first(where: { $0.name.name == input })?.value, let entry = argument.member(key)
                else { continue }
                if let value = entry.member(attribute) { return value.span }
                // A map of plain values (`addons: { vpc-cni: "v1.19.2" }`): the entry is the value.
                if case .map = entry.kind { continue }
                return entry.span
            }
        }
        for input in expression.inputs {
            if let argument = call.arguments.first(where: { $0.name.name == input }) { return argument.value.span }
        }
        return nil
    }
}

extension Expression {
    /// The module inputs the expression reads (`inputs.version` → `version`), in order.
    var inputs: [String] {
        var found: [String] = []
        visit { expression in
            if case .traversal(let base, let accessors) = expression.kind, case .variable("inputs") = base.kind,
                case .attribute(let name, _)? = accessors.first, !found.contains(name)
            {
                found.append(name)
            }
        }
        return found
    }

    func reads(variable name: String) -> Bool {
        var found = false
        visit { if case .variable(let variable) = $0.kind, variable == name { found = true } }
        return found
    }

    /// The value of `key` in a literal map.
    func member(_ key: String) -> Expression? {
        guard case .map(let entries) = kind else { return nil }
        return entries.first { if case .string(let text) = $0.key.kind { text == key } else { false } }?.value
    }

    /// Calls `body` on this expression and every sub-expression.
    func visit(_ body: (Expression) -> Void) {
        body(self)
        switch kind {
        case .null, .bool, .int, .float, .string, .variable: break
        case .template(let parts):
            for case .interpolation(let inner) in parts { inner.visit(body) }
        case .traversal(let base, let accessors):
            base.visit(body)
            for case .index(let index) in accessors { index.visit(body) }
        case .call(_, _, let arguments): for argument in arguments { argument.visit(body) }
        case .unary(_, let operand): operand.visit(body)
        case .binary(_, let lhs, let rhs):
            lhs.visit(body)
            rhs.visit(body)
        case .conditional(let condition, let then, let otherwise):
            condition.visit(body)
            then.visit(body)
            otherwise.visit(body)
        case .list(let items): for item in items { item.visit(body) }
        case .map(let entries):
            for entry in entries {
                entry.key.visit(body)
                entry.value.visit(body)
            }
        case .forExpression(let clause):
            clause.collection.visit(body)
            clause.key?.visit(body)
            clause.value.visit(body)
            clause.condition?.visit(body)
        }
    }
}
