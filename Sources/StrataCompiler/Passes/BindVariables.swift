import StrataModel
import StrataSyntax

/// Pass 2: the stack's `vars` (defaults, then `--var K=V` overrides converted to the declared
/// type), then the stack's name, region and `tags`, which may use them.
enum BindVariables {
    /// Stack names: what an IAM path segment and every service's tag value accept, short
    /// enough to leave room in the names modules build from it (`${stack.name}-nodes`).
    static let stackName = TextLimit(
        "a stack name", length: 1...64, characters: "A-Za-z0-9_.-", said: "letters, digits and `._-`",
        first: ("A-Za-z0-9", "a letter or digit"))

    static func run(_ c: inout Compilation) {
        var declared: [String: VariableDeclaration] = [:]
        for variable in c.stack.vars {
            declared[variable.name.name] = variable
            if variable.sensitive { c.sensitiveVars.insert(variable.name.name) }
            guard let defaultValue = variable.defaultValue else { continue }
            var evaluator = Evaluator(compilation: c, module: nil, constantsOnly: true)
            var value = evaluator.evaluate(defaultValue)
            c.diagnostics += evaluator.diagnostics
            if let type = variable.type {
                var checker = SchemaChecker()
                value = checker.check(value, against: type, expression: defaultValue, path: variable.name.name)
                c.diagnostics += checker.diagnostics
            }
            c.vars[variable.name.name] = value
        }
        for (name, text) in c.overrides.sorted(by: { $0.key < $1.key }) {
            guard let variable = declared[name] else {
                c.diagnostics.append(
                    Diagnostic.error(
                        "--var \(name)=…: the stack declares no variable `\(name)`", at: nil,
                        detail: "declare it under `vars:` in the stack file"
                    ).suggesting(Suggestion.closest(to: name, in: declared.keys.sorted())))
                continue
            }
            switch convert(text, to: variable.type, like: c.vars[name]) {
            case .success(let value): c.vars[name] = value
            case .failure(let message):
                c.diagnostics.append(
                    .error(
                        "--var \(name)=\(variable.sensitive ? "(sensitive value)" : text): \(message.text)", at: nil,
                        notes: [.init("declared here", at: variable.name.span)]))
                c.vars[name] = .unknown(variable.type ?? .any)
            }
        }
        for variable in c.stack.vars where c.vars[variable.name.name] == nil {
            c.diagnostics.append(
                .error(
                    "variable `\(variable.name.name)` has no default and no value; pass `--var \(variable.name.name)=…`",
                    at: variable.name.span))
            c.vars[variable.name.name] = .unknown(variable.type ?? .any)
        }
        c.stackName = text(c.stack.nameExpression, what: "the stack name", fallback: c.stack.name.name, &c)
        c.region = text(c.stack.regionExpression, what: "the region", fallback: c.stack.region.name, &c)
        if let span = c.stack.regionExpression?.span, !AWSRegions.all.contains(c.region) {
            c.diagnostics.append(
                Diagnostic.error("`\(c.region)` is not a known AWS region", at: span)
                    .suggesting(Suggestion.closest(to: c.region, in: AWSRegions.all.sorted())))
        }
        if let span = c.stack.nameExpression?.span, let problem = stackName.problem(c.stackName) {
            c.diagnostics.append(
                .error(
                    "stack name `\(c.stackName)`: \(problem)", at: span,
                    detail: "the name goes into every resource's `strata:stack` tag and IAM path `/strata/<stack>/`"))
        }
        if let tags = c.stack.tags {
            var evaluator = Evaluator(compilation: c, module: nil, constantsOnly: true)
            evaluator.allowVars = true
            let value = evaluator.evaluate(tags)
            c.diagnostics += evaluator.diagnostics
            c.stackTagsSensitive = evaluator.readsSensitive
            switch value {
            case .map(let members):
                for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                    if member.textForm == nil && !member.isUnknown {
                        c.diagnostics.append(
                            .error("stack tag `\(key)` must be a string, got \(member.typeName)", at: tags.span))
                    } else if let problem = TagLimits.problem(key: key, value: member.textForm) {
                        c.diagnostics.append(.error(problem, at: tags.span))
                    }
                }
                c.stackTags = members.mapValues { $0.textForm.map(Value.string) ?? $0 }
            case .unknown: break
            default:
                c.diagnostics.append(
                    .error("`tags` must be a mapping of strings, got \(value.typeName)", at: tags.span))
            }
        }
    }

    /// The stack's name or region, with `${vars.…}` resolved.
    private static func text(_ expression: Expression?, what: String, fallback: String, _ c: inout Compilation)
        -> String
    {
        guard let expression else { return fallback }
        var evaluator = Evaluator(compilation: c, module: nil, constantsOnly: true)
        evaluator.allowVars = true
        let value = evaluator.evaluate(expression)
        c.diagnostics += evaluator.diagnostics
        if evaluator.readsSensitive {
            // Both are in every address, tag and event.
            c.diagnostics.append(.error("\(what) cannot use a sensitive variable", at: expression.span))
            return fallback
        }
        if let text = value.textForm, !text.isEmpty { return text }
        if !value.isUnknown {
            c.diagnostics.append(
                .error("\(what) must be a non-empty string, got \(value.typeName)", at: expression.span))
        }
        return fallback
    }

    /// A command-line value takes the variable's declared type, or its default's: `--var pr=12`
    /// is an int when the variable is one.
    static func convert(_ text: String, to type: ValueType?, like example: Value?) -> Result<Value, Message> {
        let target: ValueType = type ?? example?.inferredType ?? .string
        switch target {
        case .int:
            guard let value = Int(text) else { return .failure(Message("expected a whole number")) }
            return .success(.int(value))
        case .number:
            guard let value = Double(text) else { return .failure(Message("expected a number")) }
            return .success(Int(text).map(Value.int) ?? .float(value))
        case .bool:
            switch text {
            case "true": return .success(.bool(true))
            case "false": return .success(.bool(false))
            default: return .failure(Message("expected true or false"))
            }
        case .list, .map, .object:
            switch JSONText.decode(text) {
            case .success(let value): return .success(value)
            case .failure(let message): return .failure(Message("expected JSON for a \(target): \(message.text)"))
            }
        case .cidr:
            if case .failure(let problem) = CIDR.parse(text) { return .failure(Message(problem.description)) }
            return .success(.string(text))
        default:
            return .success(.string(text))
        }
    }
}
