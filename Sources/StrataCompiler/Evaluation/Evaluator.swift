import StrataModel
import StrataSyntax

/// Evaluates expressions in one scope (the stack root or a module instance), recording the
/// resource instances each value came from. Values not known before apply come back as
/// `.unknown(type)`. Names the bind pass already reported resolve silently to unknown, so one
/// mistake is reported once.
struct Evaluator {
    struct EachBinding {
        var key: Value
        var value: Value
        var index: Int
    }

    let scopes: ScopeTable
    let module: String?
    let vars: [String: Value]
    let sensitiveVars: Set<String>
    let stackName: String
    let region: String
    let zones: [String]
    /// Defaults and variables: only `stack` and `zones` may be used (and `vars`, when
    /// `allowVars`: the stack's name, region and tags).
    let constantsOnly: Bool
    var allowVars = false
    var each: EachBinding?
    var countIndex: Int?
    /// The variables of the `for` expressions being evaluated, innermost last written.
    var locals: [String: Value] = [:]
    var diagnostics: [Diagnostic] = []
    /// `for` bodies evaluated so far by this evaluator (one expression, or one resource's
    /// attributes), against ``maximumIterations``.
    private var iterations = 0
    /// At most this many `for` bodies in one evaluation: `range` stops at 100000 elements, but
    /// two nested `for`s over it would run 10¹⁰ times. Ten times the largest single `range`.
    static let maximumIterations = 1_000_000
    var dependencies: Set<ResourceAddress> = []
    /// What the expression referred to, as Terraform's plan JSON names references in order
    /// (`aws_kms_key.key.arn`, `aws_kms_key.key`, `var.subnets`, `each.value`): module-local,
    /// a module's input as `var.<input>`. Only the plan's `configuration` uses them.
    var references: [String] = []
    /// Whether to record ``references``: only a resource attribute's evaluation needs them.
    var recordsReferences = false
    /// Whether the evaluation read something sensitive (a variable, input or output declared
    /// so, a secret attribute of a resource, or a value computed from one): its result is then
    /// sensitive as a whole. A taint over one evaluation rather than a mark on each value, so
    /// `Value` stays plain; it is coarser than Terraform's marks (a map built from one secret is
    /// sensitive as a whole) and errs on the side of hiding.
    var readsSensitive = false

    /// The module inputs the expression read, so a problem it finds can also name the stack
    /// line that passed the value (`zones: 100`), not only the module line that used it.
    var inputsUsed: Set<String> = []

    /// Refers to `base` followed by the static part of `accessors` (attributes and literal
    /// indexes, up to the first dynamic one), longest first down to `base`, as Terraform lists
    /// `aws_eip.nat[0].id`, `aws_eip.nat[0]`, `aws_eip.nat`. `minimum` accessors must be static
    /// for anything to be named (`each` alone is no reference; `each.value` is).
    private mutating func referTraversal(_ base: @autoclosure () -> String, _ accessors: ArraySlice<Expression.Accessor>, minimum: Int = 0)
    {
        guard recordsReferences else { return }
        var names = [base()]
        walk: for accessor in accessors {
            let last = names[names.count - 1]
            switch accessor {
            case .attribute(let name, _): names.append("\(last).\(name)")
            case .index(let key):
                switch key.kind {
                case .int(let index): names.append("\(last)[\(index)]")
                case .string(let text): names.append("\(last)[\"\(text)\"]")
                default: break walk
                }
            case .splat: break walk
            }
        }
        guard names.count > minimum else { return }
        refer(names[minimum...].reversed())
    }

    private mutating func refer(_ names: [String]) {
        for name in names where !references.contains(name) { references.append(name) }
    }

    init(compilation c: Compilation, module: String?, constantsOnly: Bool = false) {
        scopes = c.scopes
        self.module = module
        vars = c.vars
        sensitiveVars = c.sensitiveVars
        stackName = c.stackName
        region = c.region
        zones = c.zones
        self.constantsOnly = constantsOnly
    }

    private var scope: Scope? { scopes[module] }

    mutating func evaluate(_ expression: Expression) -> Value {
        switch expression.kind {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .int(let value): return .int(value)
        case .float(let value): return .float(value)
        case .string(let value): return .string(value)
        case .template(let parts): return template(parts)
        case .variable(let name): return root(name, span: expression.span, accessors: [])
        case .traversal(let base, let accessors):
            if case .variable(let name) = base.kind {
                return root(name, span: base.span, accessors: accessors[...])
            }
            return apply(evaluate(base), accessors[...], label: nil)
        case .call(let name, let nameSpan, let arguments):
            let values = arguments.map { evaluate($0) }
            return Functions.call(
                name, nameSpan: nameSpan, callSpan: expression.span, arguments: values,
                argumentSpans: arguments.map(\.span), diagnostics: &diagnostics)
        case .unary(let op, let operand):
            return unary(op, evaluate(operand), span: expression.span)
        case .binary:
            return binaryChain(expression)
        case .conditional(let condition, let whenTrue, let whenFalse):
            let test = evaluate(condition)
            let a = evaluate(whenTrue)
            let b = evaluate(whenFalse)
            switch test {
            case .bool(let value): return value ? a : b
            case .unknown: return .unknown(a.inferredType)
            default:
                diagnostics.append(.error("a condition must be a bool, got \(test.typeName)", at: condition.span))
                return .unknown(.any)
            }
        case .list(let items):
            return .list(items.map { evaluate($0) })
        case .map(let entries):
            var members: [String: Value] = [:]
            for entry in entries {
                let key = evaluate(entry.key)
                let value = evaluate(entry.value)
                guard let name = key.textForm else {
                    if !key.isUnknown {
                        diagnostics.append(
                            .error("a map key must be a string, got \(key.typeName)", at: entry.key.span))
                    }
                    return .unknown(.map(.any))
                }
                members[name] = value
            }
            return .map(members)
        case .forExpression(let clause):
            return forExpression(clause, span: expression.span)
        }
    }

    /// `[for ...]` and `{for ...}`: the body evaluated once per element, with the loop's
    /// variables bound; elements whose condition is false are left out.
    private mutating func forExpression(_ clause: Expression.ForClause, span: SourceSpan) -> Value {
        let collection = evaluate(clause.collection)
        let elements: [(key: Value, value: Value)]
        switch collection {
        case .list(let items): elements = items.enumerated().map { (.int($0.offset), $0.element) }
        case .map(let members): elements = members.keys.sorted().map { (.string($0), members[$0] ?? .null) }
        case .unknown: return .unknown(clause.key == nil ? .list(.any) : .map(.any))
        case .null: elements = []
        default:
            diagnostics.append(
                .error("a `for` needs a list or a map, got \(collection.typeName)", at: clause.collection.span))
            return .unknown(.any)
        }
        let saved = locals
        defer { locals = saved }
        var items: [Value] = []
        var members: [String: Value] = [:]
        var unknown = false
        for element in elements {
            iterations += 1
            guard iterations <= Self.maximumIterations else {
                if iterations == Self.maximumIterations + 1 { diagnostics.append(.tooManyIterations(at: span)) }
                return .unknown(clause.key == nil ? .list(.any) : .map(.any))
            }
            locals[clause.valueName] = element.value
            if let keyName = clause.keyName { locals[keyName] = element.key }
            if let condition = clause.condition {
                switch evaluate(condition) {
                case .bool(true): break
                case .bool(false): continue
                case .unknown:
                    unknown = true
                    continue
                case let other:
                    diagnostics.append(
                        .error("a `for` condition must be a bool, got \(other.typeName)", at: condition.span))
                    return .unknown(.any)
                }
            }
            let value = evaluate(clause.value)
            guard let keyExpression = clause.key else {
                items.append(value)
                continue
            }
            let key = evaluate(keyExpression)
            guard let name = key.textForm else {
                if key.isUnknown {
                    unknown = true
                    continue
                }
                diagnostics.append(.error("a map key must be a string, got \(key.typeName)", at: keyExpression.span))
                return .unknown(.any)
            }
            if members[name] != nil {
                diagnostics.append(.error("the `for` produces the key \"\(name)\" twice", at: keyExpression.span))
                return .unknown(.any)
            }
            members[name] = value
        }
        if unknown { return .unknown(clause.key == nil ? .list(.any) : .map(.any)) }
        return clause.key == nil ? .list(items) : .map(members)
    }

    // MARK: - Names

    private mutating func root(_ name: String, span: SourceSpan, accessors: ArraySlice<Expression.Accessor>) -> Value {
        if let local = locals[name] { return apply(local, accessors, label: nil) }
        if constantsOnly, name != "stack", name != "zones", !(allowVars && name == "vars") {
            diagnostics.append(
                .error("a default or variable must be a constant; it cannot refer to `\(name)`", at: span))
            return .unknown(.any)
        }
        /// Consumes `.name` after a builtin; the bind pass reported bad names.
        func member(_ members: [String: Value]) -> (Value, ArraySlice<Expression.Accessor>) {
            guard case .attribute(let attribute, _)? = accessors.first else { return (.map(members), accessors) }
            return (members[attribute] ?? .unknown(.any), accessors.dropFirst())
        }
        switch name {
        case "each":
            referTraversal("each", accessors, minimum: 1)
            guard let each else { return .unknown(.any) }
            let (value, rest) = member(["key": each.key, "value": each.value, "index": .int(each.index)])
            return apply(value, rest, label: nil)
        case "count":
            referTraversal("count", accessors, minimum: 1)
            guard let countIndex else { return .unknown(.any) }
            let (value, rest) = member(["index": .int(countIndex)])
            return apply(value, rest, label: nil)
        case "stack":
            let (value, rest) = member(["name": .string(stackName), "region": .string(region)])
            return apply(value, rest, label: nil)
        case "zones":
            return apply(.list(zones.map(Value.string)), accessors, label: nil)
        case "vars" where module == nil:
            referTraversal("var", accessors, minimum: 1)
            if case .attribute(let variable, _)? = accessors.first {
                if sensitiveVars.contains(variable) { readsSensitive = true }
            } else if !sensitiveVars.isEmpty {
                readsSensitive = true
            }
            let (value, rest) = member(vars)
            return apply(value, rest, label: nil)
        case "inputs" where module != nil:
            guard let scope else { return .unknown(.any) }
            guard case .attribute(let input, _)? = accessors.first else {
                inputsUsed.formUnion(scope.inputValues.keys)
                for evaluated in scope.inputValues.values {
                    dependencies.formUnion(evaluated.dependencies)
                    if evaluated.sensitive { readsSensitive = true }
                }
                return apply(.map(scope.inputValues.mapValues(\.value)), accessors, label: nil)
            }
            guard let evaluated = scope.inputValues[input] else { return .unknown(.any) }
            inputsUsed.insert(input)
            referTraversal("var", accessors, minimum: 1)
            dependencies.formUnion(evaluated.dependencies)
            if evaluated.sensitive { readsSensitive = true }
            return apply(evaluated.value, accessors.dropFirst(), label: nil)
        default:
            if let result = scope?.blockResults[name] {
                return resource(result, accessors)
            }
            if scope?.blocks[name] != nil { return .unknown(.any) }
            if module == nil, let outputs = scopes[name]?.outputValues {
                guard case .attribute(let output, _)? = accessors.first, let evaluated = outputs[output] else {
                    return .unknown(.any)
                }
                referTraversal("module.\(name)", accessors)
                dependencies.formUnion(evaluated.dependencies)
                if evaluated.sensitive { readsSensitive = true }
                return apply(evaluated.value, accessors.dropFirst(), label: nil)
            }
            return .unknown(.any)
        }
    }

    /// A reference to a resource block: one instance, a chosen instance (`[key]`), all of them
    /// (`[*]`, or the bare name as a list or map).
    private mutating func resource(_ result: BlockResult, _ accessors: ArraySlice<Expression.Accessor>) -> Value {
        guard result.schema != nil else { return .unknown(.any) }
        let label = result.address.canonical
        let type = result.block.type.name, name = result.block.name.name
        let local = { "\(type).\(name)" }
        if case .single = result.expansion {
            guard let instance = result.instances.first else { return .unknown(.any) }
            referTraversal(local(), accessors)
            dependencies.insert(instance.address)
            noteSecrets(of: [instance], accessors)
            if case .index(let key)? = accessors.first {
                let block = result.block.name.name
                diagnostics.append(
                    .error(
                        "`\(block)` has neither `count` nor `for_each`: refer to it without an index, as in `\(block).id`",
                        at: key.span))
                return .unknown(.any)
            }
            return apply(instance.object, accessors, label: label)
        }
        let all = result.instances
        // Before the key is evaluated: Terraform lists `aws_eip.nat` before `count.index`.
        referTraversal(local(), accessors)
        switch accessors.first {
        case .index(let keyExpression)?:
            let key = evaluate(keyExpression)
            if key.isUnknown {
                dependencies.formUnion(all.map(\.address))
                noteSecrets(of: all, accessors.dropFirst())
                return apply(.unknown(.any), accessors.dropFirst(), label: nil)
            }
            let wanted: ResourceAddress.Key? =
                if case .forEach(isMap: true) = result.expansion { key.textForm.map { .name($0) } } else {
                    key.intValue.map { .index($0) } ?? key.stringValue.map { .name($0) }
                }
            guard let position = wanted.flatMap({ result.positions[$0] }) else {
                let known = all.prefix(6).compactMap { $0.address.key?.canonical }.joined(separator: ", ")
                diagnostics.append(
                    .error(
                        "`\(label)` has no instance \(wanted?.canonical ?? "[\(key.textForm ?? key.typeName)]")",
                        at: keyExpression.span,
                        detail: all.isEmpty
                            ? "it has no instances" : "its instances are \(known)\(all.count > 6 ? ", …" : "")"))
                return .unknown(.any)
            }
            let instance = all[position]
            dependencies.insert(instance.address)
            noteSecrets(of: [instance], accessors.dropFirst())
            return apply(instance.object, accessors.dropFirst(), label: label)
        case .attribute(let name, let span)?:
            let how = if case .count = result.expansion { "count" } else { "for_each" }
            let block = result.block.name.name
            let example = all.first?.address.key?.canonical ?? "[0]"
            diagnostics.append(
                .error(
                    "`\(block)` has `\(how)`: pick an instance, as in `\(block)\(example).\(name)`, or all of them with `\(block)[*].\(name)`",
                    at: span))
            return .unknown(.any)
        default:
            dependencies.formUnion(all.map(\.address))
            noteSecrets(of: all, accessors)
            if case .forEach(isMap: true) = result.expansion {
                var members: [String: Value] = [:]
                for instance in all {
                    if case .name(let key)? = instance.address.key { members[key] = instance.object }
                }
                if case .splat? = accessors.first { return apply(.list(all.map(\.object)), accessors, label: label) }
                return apply(.map(members), accessors, label: label)
            }
            return apply(.list(all.map(\.object)), accessors, label: label)
        }
    }

    /// Notes a read of a secret of `instances`: a read whose path (the attributes and literal
    /// keys the accessors name, past a first `[*]` or index choosing instances) leads into a
    /// secret's path or contains one. `vpc.tags.token` and `vpc.tags` read the secret at
    /// `tags.token`; `vpc.tags.team` and `vpc.id` do not.
    private mutating func noteSecrets(of instances: [InstanceResult], _ accessors: ArraySlice<Expression.Accessor>) {
        var read: [String] = []
        walk: for accessor in accessors.drop(while: { if case .attribute = $0 { false } else { true } }) {
            switch accessor {
            case .attribute(let name, _): read.append(name)
            case .index(let key):
                guard case .string(let text) = key.kind else { break walk }
                read.append(text)
            case .splat: break walk
            }
        }
        for instance in instances {
            for secret in instance.sensitiveAttributes {
                let path = secret.split(separator: ".")
                if zip(path, read).allSatisfy({ $0 == $1 }) {
                    readsSensitive = true
                    return
                }
            }
        }
    }

    // MARK: - Accessors

    mutating func apply(_ value: Value, _ accessors: ArraySlice<Expression.Accessor>, label: String?) -> Value {
        var current = value
        var label = label
        var index = accessors.startIndex
        while index < accessors.endIndex {
            let accessor = accessors[index]
            index += 1
            switch accessor {
            case .attribute(let name, let span):
                current = attribute(current, name, span, label: label)
                label = nil
            case .index(let keyExpression):
                current = element(current, evaluate(keyExpression), span: keyExpression.span)
                label = nil
            case .splat:
                let rest = accessors[index...]
                let items: [Value]
                switch current {
                case .list(let list): items = list
                case .map(let members): items = members.keys.sorted().compactMap { members[$0] }
                case .null: items = []
                case .unknown: return .unknown(.list(.any))
                default: items = [current]
                }
                var results: [Value] = []
                results.reserveCapacity(items.count)
                for item in items { results.append(apply(item, rest, label: label)) }
                return .list(results)
            }
        }
        return current
    }

    private mutating func attribute(_ value: Value, _ name: String, _ span: SourceSpan, label: String?) -> Value {
        switch value {
        case .map(let members):
            if let member = members[name] { return member }
            let on = label.map { " on `\($0)`" } ?? ""
            diagnostics.append(
                Diagnostic.error("unknown attribute `\(name)`\(on)", at: span)
                    .suggesting(Suggestion.closest(to: name, in: members.keys.sorted())))
            return .unknown(.any)
        case .unknown(let type):
            switch type {
            case .object(let fields) where !fields.isEmpty:
                if let field = fields[name] { return .unknown(field.type) }
                diagnostics.append(
                    Diagnostic.error("unknown attribute `\(name)`", at: span)
                        .suggesting(Suggestion.closest(to: name, in: fields.keys.sorted())))
                return .unknown(.any)
            case .map(let element): return .unknown(element)
            default: return .unknown(.any)
            }
        case .null:
            diagnostics.append(.error("cannot read `\(name)` of null", at: span))
            return .unknown(.any)
        default:
            diagnostics.append(.error("cannot read attribute `\(name)` of \(value.typeName)", at: span))
            return .unknown(.any)
        }
    }

    private mutating func element(_ value: Value, _ key: Value, span: SourceSpan) -> Value {
        if key.isUnknown {
            if case .list(let items) = value, let first = items.first { return .unknown(first.inferredType) }
            return .unknown(.any)
        }
        switch value {
        case .list(let items):
            guard let index = key.intValue else {
                diagnostics.append(.error("a list index must be a whole number, got \(key.typeName)", at: span))
                return .unknown(.any)
            }
            guard index >= 0, index < items.count else {
                diagnostics.append(.error("index \(index) is out of range for a list of \(items.count)", at: span))
                return .unknown(.any)
            }
            return items[index]
        case .map(let members):
            guard let name = key.textForm else {
                diagnostics.append(.error("a map key must be a string, got \(key.typeName)", at: span))
                return .unknown(.any)
            }
            guard let member = members[name] else {
                diagnostics.append(
                    Diagnostic.error("no key \"\(name)\" in the map", at: span)
                        .suggesting(Suggestion.closest(to: name, in: members.keys.sorted())))
                return .unknown(.any)
            }
            return member
        case .unknown(let type):
            switch type {
            case .list(let element), .map(let element): return .unknown(element)
            default: return .unknown(.any)
            }
        default:
            diagnostics.append(.error("cannot index \(value.typeName)", at: span))
            return .unknown(.any)
        }
    }

    // MARK: - Operators and templates

    private mutating func template(_ parts: [Expression.TemplatePart]) -> Value {
        var text = ""
        var unknown = false
        for part in parts {
            switch part {
            case .text(let literal): text += literal
            case .interpolation(let expression):
                let value = evaluate(expression)
                if value.isUnknown {
                    unknown = true
                } else if let form = value.textForm {
                    text += form
                } else {
                    diagnostics.append(.error("cannot put \(value.typeName) into a string", at: expression.span))
                    unknown = true
                }
            }
        }
        return unknown ? .unknown(.string) : .string(text)
    }

    private mutating func unary(_ op: Expression.UnaryOperator, _ operand: Value, span: SourceSpan) -> Value {
        switch (op, operand) {
        case (.not, .bool(let value)): return .bool(!value)
        case (.negate, .int(let value)):
            guard value != .min else {
                diagnostics.append(.error("integer overflow: -(\(value)) is out of range", at: span))
                return .unknown(.number)
            }
            return .int(-value)
        case (.negate, .float(let value)): return .float(-value)
        case (.not, .unknown): return .unknown(.bool)
        case (.negate, .unknown(let type)): return .unknown(type)
        default:
            diagnostics.append(.error("`\(op.rawValue)` cannot apply to \(operand.typeName)", at: span))
            return .unknown(.any)
        }
    }

    /// `a + b + c ...`: the parser builds long operator chains leaning left, one level per
    /// operator, so they are walked down the left side with a loop, not recursion; a chain of
    /// thousands of operators needs no more stack than one.
    private mutating func binaryChain(_ expression: Expression) -> Value {
        var chain: [(op: Expression.BinaryOperator, rhs: Expression, span: SourceSpan)] = []
        var leftmost = expression
        while case .binary(let op, let lhs, let rhs) = leftmost.kind {
            chain.append((op, rhs, leftmost.span))
            leftmost = lhs
        }
        var value = evaluate(leftmost)
        var lhsSpan = leftmost.span
        for link in chain.reversed() {
            value = binary(link.op, value, evaluate(link.rhs), lhs: lhsSpan, rhs: link.rhs.span, span: link.span)
            lhsSpan = link.span
        }
        return value
    }

    private mutating func binary(
        _ op: Expression.BinaryOperator, _ a: Value, _ b: Value, lhs: SourceSpan, rhs: SourceSpan, span: SourceSpan
    ) -> Value {
        switch op {
        case .and, .or:
            for (value, side) in [(a, lhs), (b, rhs)] where !value.isUnknown {
                guard case .bool = value else {
                    diagnostics.append(.error("`\(op.rawValue)` needs bools, got \(value.typeName)", at: side))
                    return .unknown(.bool)
                }
            }
            guard case .bool(let x) = a, case .bool(let y) = b else { return .unknown(.bool) }
            return .bool(op == .and ? x && y : x || y)
        case .equal, .notEqual:
            guard !a.isUnknown, !b.isUnknown else { return .unknown(.bool) }
            return .bool(a.sameValue(as: b) == (op == .equal))
        default:
            break
        }
        for (value, side) in [(a, lhs), (b, rhs)] {
            switch value {
            case .int, .float, .unknown: continue
            default:
                let hint = op == .add && value.stringValue != nil ? "; join strings with a template: \"${a}${b}\"" : ""
                diagnostics.append(.error("`\(op.rawValue)` needs numbers, got \(value.typeName)\(hint)", at: side))
                return .unknown(.any)
            }
        }
        let comparison = [.less, .lessOrEqual, .greater, .greaterOrEqual].contains(op)
        guard let x = a.doubleValue, let y = b.doubleValue else {
            return .unknown(comparison ? .bool : .number)
        }
        if case .int(let i) = a, case .int(let j) = b {
            switch op {
            case .add, .subtract, .multiply:
                let (result, overflow) =
                    op == .add
                    ? i.addingReportingOverflow(j)
                    : op == .subtract ? i.subtractingReportingOverflow(j) : i.multipliedReportingOverflow(by: j)
                guard !overflow else {
                    diagnostics.append(.integerOverflow(op, i, j, at: span))
                    return .unknown(.number)
                }
                return .int(result)
            case .modulo, .divide:
                guard j != 0 else {
                    diagnostics.append(.error("division by zero", at: rhs))
                    return .unknown(.number)
                }
                // Int.min / -1 overflows: report it rather than trap.
                let (quotient, overflow) = i.dividedReportingOverflow(by: j)
                guard !overflow else {
                    diagnostics.append(.integerOverflow(op, i, j, at: span))
                    return .unknown(.number)
                }
                if op == .modulo { return .int(i.remainderReportingOverflow(dividingBy: j).partialValue) }
                return i % j == 0 ? .int(quotient) : .float(Double(i) / Double(j))
            default: break
            }
        }
        switch op {
        case .add: return .float(x + y)
        case .subtract: return .float(x - y)
        case .multiply: return .float(x * y)
        case .divide:
            guard y != 0 else {
                diagnostics.append(.error("division by zero", at: rhs))
                return .unknown(.number)
            }
            return .float(x / y)
        case .modulo:
            guard y != 0 else {
                diagnostics.append(.error("division by zero", at: rhs))
                return .unknown(.number)
            }
            return .float(x.truncatingRemainder(dividingBy: y))
        case .less: return .bool(x < y)
        case .lessOrEqual: return .bool(x <= y)
        case .greater: return .bool(x > y)
        case .greaterOrEqual: return .bool(x >= y)
        default: return .unknown(.any)
        }
    }
}

extension Value {
    /// The type a value has, for unknown results built from it.
    var inferredType: ValueType {
        switch self {
        case .null: .any
        case .bool: .bool
        case .int: .int
        case .float: .number
        case .string: .string
        case .list(let items): .list(items.first?.inferredType ?? .any)
        case .map: .map(.any)
        case .unknown(let type): type
        }
    }

    /// Equality for `==`: numbers compare by value (1 == 1.0).
    func sameValue(as other: Value) -> Bool {
        if let x = doubleValue, let y = other.doubleValue { return x == y }
        switch (self, other) {
        case (.list(let a), .list(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.sameValue(as: $1) }
        case (.map(let a), .map(let b)):
            return a.count == b.count && a.allSatisfy { key, value in b[key].map { value.sameValue(as: $0) } ?? false }
        default:
            return self == other
        }
    }
}

extension Diagnostic {
    static func tooManyIterations(at span: SourceSpan) -> Diagnostic {
        .error(
            "`for` expressions run more than \(Evaluator.maximumIterations) times in one evaluation",
            at: span, notes: [.init("nested `for`s multiply: each runs its body once per element of the one outside")])
    }

    static func integerOverflow(_ op: Expression.BinaryOperator, _ a: Int, _ b: Int, at span: SourceSpan) -> Diagnostic {
        .error(
            "integer overflow: \(a) \(op.rawValue) \(b) is out of range",
            at: span, notes: [.init("integers are 64-bit, from \(Int.min) to \(Int.max)")])
    }
}
