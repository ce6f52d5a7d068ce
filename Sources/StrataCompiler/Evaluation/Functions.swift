import Foundation
import StrataModel
import StrataSyntax

/// The standard library callable in `${...}`: each function declares its arity and argument
/// kinds, so calls are type-checked with the position of the offending argument.
enum Functions {
    enum Parameter {
        case string, number, bool, list, map, collection, any

        var name: String {
            switch self {
            case .string: "a string"
            case .number: "a number"
            case .bool: "a bool"
            case .list: "a list"
            case .map: "a map"
            case .collection: "a list, map or string"
            case .any: "a value"
            }
        }

        func accepts(_ value: Value) -> Bool {
            switch (self, value) {
            case (.any, _), (_, .null): return self == .any
            case (.string, .string), (.string, .int), (.string, .float), (.string, .bool): return true
            case (.number, .int), (.number, .float): return true
            case (.number, .string(let text)): return Double(text) != nil
            case (.bool, .bool): return true
            case (.list, .list): return true
            case (.map, .map): return true
            case (.collection, .list), (.collection, .map), (.collection, .string): return true
            case (_, .unknown(let type)): return accepts(type)
            default: return false
            }
        }

        /// Whether a value only known by its type could be acceptable.
        func accepts(_ type: ValueType) -> Bool {
            switch (self, type) {
            case (_, .any), (.any, _): return true
            case (.string, .string), (.string, .cidr), (.string, .duration), (.string, .json), (.string, .int),
                (.string, .number), (.string, .bool):
                return true
            case (.number, .int), (.number, .number): return true
            case (.bool, .bool): return true
            case (.list, .list): return true
            case (.map, .map), (.map, .object), (.map, .json): return true
            case (.collection, .list), (.collection, .map), (.collection, .object), (.collection, .string): return true
            default: return false
            }
        }
    }

    struct Signature {
        var parameters: [Parameter]
        /// The kind of any further arguments (`merge`, `concat`, `format`, ...).
        var variadic: Parameter?
        /// How many of `parameters` may be left out at the end.
        var optional: Int = 0
        var result: ValueType
    }

    static let signatures: [String: Signature] = [
        "cidrsubnet": Signature(parameters: [.string, .number, .number], result: .cidr),
        "cidrhost": Signature(parameters: [.string, .number], result: .string),
        "range": Signature(parameters: [.number, .number, .number], optional: 2, result: .list(.int)),
        "length": Signature(parameters: [.collection], result: .int),
        "merge": Signature(parameters: [], variadic: .map, result: .map(.any)),
        "concat": Signature(parameters: [], variadic: .list, result: .list(.any)),
        "format": Signature(parameters: [.string], variadic: .any, result: .string),
        "lookup": Signature(parameters: [.map, .string, .any], optional: 1, result: .any),
        "jsonencode": Signature(parameters: [.any], result: .string),
        "jsondecode": Signature(parameters: [.string], result: .any),
        "keys": Signature(parameters: [.map], result: .list(.string)),
        "values": Signature(parameters: [.map], result: .list(.any)),
        "element": Signature(parameters: [.list, .number], result: .any),
        "join": Signature(parameters: [.string, .list], result: .string),
        "split": Signature(parameters: [.string, .string], result: .list(.string)),
        "upper": Signature(parameters: [.string], result: .string),
        "lower": Signature(parameters: [.string], result: .string),
        "tostring": Signature(parameters: [.any], result: .string),
        "tonumber": Signature(parameters: [.any], result: .number),
        "min": Signature(parameters: [.number], variadic: .number, result: .number),
        "max": Signature(parameters: [.number], variadic: .number, result: .number),
        "contains": Signature(parameters: [.list, .any], result: .bool),
        "distinct": Signature(parameters: [.list], result: .list(.any)),
        "flatten": Signature(parameters: [.list], result: .list(.any)),
        "coalesce": Signature(parameters: [.any], variadic: .any, result: .any),
    ]

    /// Calls `name` with evaluated arguments; reports bad calls at the name, the call or the
    /// argument that is wrong, and returns an unknown value of the right type when an argument
    /// is not known yet.
    static func call(
        _ name: String, nameSpan: SourceSpan, callSpan: SourceSpan, arguments: [Value], argumentSpans: [SourceSpan],
        diagnostics: inout [Diagnostic]
    ) -> Value {
        guard let signature = signatures[name] else {
            diagnostics.append(
                Diagnostic.error("unknown function `\(name)`", at: nameSpan)
                    .suggesting(Suggestion.closest(to: name, in: signatures.keys.sorted())))
            return .unknown(.any)
        }
        let minimum = signature.parameters.count - signature.optional
        let maximum = signature.variadic == nil ? signature.parameters.count : Int.max
        guard arguments.count >= minimum, arguments.count <= maximum else {
            diagnostics.append(.wrongArity(name, expected: arityText(signature), got: arguments.count, at: callSpan))
            return .unknown(signature.result)
        }
        var typesOK = true
        for (index, argument) in arguments.enumerated() {
            let parameter =
                index < signature.parameters.count ? signature.parameters[index] : (signature.variadic ?? .any)
            if !parameter.accepts(argument) {
                diagnostics.append(
                    .error(
                        "argument \(index + 1) of `\(name)` must be \(parameter.name), got \(argument.typeName)",
                        at: argumentSpans[index]))
                typesOK = false
            }
        }
        guard typesOK else { return .unknown(signature.result) }
        // `coalesce`, `concat`, `merge`, `length` of a partly known list still need every element.
        guard arguments.allSatisfy({ !$0.isUnknown }) else { return .unknown(signature.result) }
        var context = Call(name: name, callSpan: callSpan, spans: argumentSpans, diagnostics: [])
        let result = context.run(arguments, signature: signature)
        diagnostics += context.diagnostics
        return result
    }

    private static func arityText(_ signature: Signature) -> String {
        let count = signature.parameters.count
        if signature.variadic != nil { return "at least \(count - signature.optional)" }
        if signature.optional > 0 { return "\(count - signature.optional) to \(count)" }
        return "\(count)"
    }

    private struct Call {
        let name: String
        let callSpan: SourceSpan
        let spans: [SourceSpan]
        var diagnostics: [Diagnostic]

        mutating func fail(_ message: String, argument: Int? = nil) -> Value {
            let span = argument.flatMap { $0 < spans.count ? spans[$0] : nil } ?? callSpan
            diagnostics.append(.error("`\(name)`: \(message)", at: span))
            return .unknown(signatures[name]?.result ?? .any)
        }

        func number(_ value: Value) -> Double? {
            if case .string(let text) = value { return Double(text) }
            return value.doubleValue
        }

        func int(_ value: Value) -> Int? {
            if case .string(let text) = value { return Int(text) }
            return value.intValue
        }

        mutating func run(_ a: [Value], signature: Signature) -> Value {
            switch name {
            case "cidrsubnet":
                guard let text = a[0].textForm else { return fail("expected a CIDR block", argument: 0) }
                guard case .success(let base) = CIDR.parse(text) else {
                    return fail(CIDR.parse(text).problem?.description ?? "invalid CIDR", argument: 0)
                }
                guard let bits = int(a[1]) else { return fail("new bits must be a whole number", argument: 1) }
                guard let number = int(a[2]) else { return fail("network number must be a whole number", argument: 2) }
                switch base.subnet(newBits: bits, number: number) {
                case .success(let subnet): return .string(subnet.description)
                case .failure(let message):
                    return fail(message.text, argument: bits > 32 - base.prefix || bits < 0 ? 1 : 2)
                }
            case "cidrhost":
                guard let text = a[0].textForm, case .success(let base) = CIDR.parse(text) else {
                    return fail("`\(a[0].textForm ?? "")` is not a valid IPv4 CIDR block", argument: 0)
                }
                guard let number = int(a[1]) else { return fail("host number must be a whole number", argument: 1) }
                switch base.host(number) {
                case .success(let host): return .string(host)
                case .failure(let message): return fail(message.text, argument: 1)
                }
            case "range":
                let numbers = a.map { int($0) }
                guard numbers.allSatisfy({ $0 != nil }) else { return fail("arguments must be whole numbers") }
                let n = numbers.compactMap { $0 }
                let (start, end, step) =
                    n.count == 1 ? (0, n[0], 1) : (n[0], n[1], n.count == 3 ? n[2] : (n[1] >= n[0] ? 1 : -1))
                guard step != 0 else { return fail("step must not be zero", argument: 2) }
                // In floating point: the extremes of Int must not trap.
                let count = max(0, ((Double(end) - Double(start)) / Double(step)).rounded(.up))
                guard count <= 100_000 else {
                    return fail("would produce \(Int(min(count, 1e15))) elements (at most 100000)")
                }
                return .list(stride(from: start, to: end, by: step).map { .int($0) })
            case "length":
                switch a[0] {
                case .list(let items): return .int(items.count)
                case .map(let members): return .int(members.count)
                case .string(let text): return .int(text.count)
                default: return fail("expected a collection", argument: 0)
                }
            case "merge":
                var merged: [String: Value] = [:]
                for case .map(let members) in a { merged.merge(members) { _, new in new } }
                return .map(merged)
            case "concat":
                var items: [Value] = []
                for case .list(let list) in a { items += list }
                return .list(items)
            case "format":
                return format(a)
            case "lookup":
                guard case .map(let members) = a[0], let key = a[1].textForm else { return .unknown(.any) }
                if let found = members[key] { return found }
                if a.count == 3 { return a[2] }
                return fail("no key `\(key)` in the map and no default given", argument: 1)
            case "jsonencode":
                return JSONText.encode(a[0]).map(Value.string) ?? .unknown(.string)
            case "jsondecode":
                guard case .string(let text) = a[0] else { return fail("expected a string", argument: 0) }
                switch JSONText.decode(text) {
                case .success(let value): return value
                case .failure(let message): return fail("invalid JSON: \(message.text)", argument: 0)
                }
            case "keys":
                guard case .map(let members) = a[0] else { return .unknown(.list(.string)) }
                return .list(members.keys.sorted().map(Value.string))
            case "values":
                guard case .map(let members) = a[0] else { return .unknown(.list(.any)) }
                return .list(members.keys.sorted().compactMap { members[$0] })
            case "element":
                guard case .list(let items) = a[0] else { return .unknown(.any) }
                guard !items.isEmpty else { return fail("cannot take an element of an empty list", argument: 0) }
                guard let index = int(a[1]), index >= 0 else {
                    return fail("index must be a non-negative whole number", argument: 1)
                }
                return items[index % items.count]
            case "join":
                guard case .list(let items) = a[1] else { return .unknown(.string) }
                guard items.allSatisfy({ !$0.isUnknown }) else { return .unknown(.string) }
                var parts: [String] = []
                for item in items {
                    guard let text = item.textForm else {
                        return fail("list elements must be strings, got \(item.typeName)", argument: 1)
                    }
                    parts.append(text)
                }
                return .string(parts.joined(separator: a[0].textForm ?? ""))
            case "split":
                guard let separator = a[0].textForm, let text = a[1].textForm else { return .unknown(.list(.string)) }
                guard !separator.isEmpty else { return fail("separator must not be empty", argument: 0) }
                return .list(text.components(separatedBy: separator).map(Value.string))
            case "upper": return .string((a[0].textForm ?? "").uppercased())
            case "lower": return .string((a[0].textForm ?? "").lowercased())
            case "tostring":
                guard let text = a[0].textForm else {
                    if case .null = a[0] { return .null }
                    return fail("cannot convert \(a[0].typeName) to a string", argument: 0)
                }
                return .string(text)
            case "tonumber":
                if case .null = a[0] { return .null }
                if let int = int(a[0]) { return .int(int) }
                if let double = number(a[0]) { return .float(double) }
                return fail("cannot convert `\(a[0].textForm ?? a[0].typeName)` to a number", argument: 0)
            case "min", "max":
                let ints = a.compactMap { int($0) }
                if ints.count == a.count, let result = name == "min" ? ints.min() : ints.max() { return .int(result) }
                let numbers = a.compactMap { number($0) }
                guard let result = name == "min" ? numbers.min() : numbers.max() else { return .unknown(.number) }
                return .float(result)
            case "contains":
                guard case .list(let items) = a[0] else { return .unknown(.bool) }
                if items.contains(where: \.isUnknown) { return .unknown(.bool) }
                return .bool(items.contains(a[1]))
            case "distinct":
                guard case .list(let items) = a[0] else { return .unknown(.list(.any)) }
                var seen: [Value] = []
                for item in items where !seen.contains(item) { seen.append(item) }
                return .list(seen)
            case "flatten":
                func flat(_ value: Value, depth: Int) -> [Value] {
                    guard depth < 64, case .list(let items) = value else { return [value] }
                    return items.flatMap { flat($0, depth: depth + 1) }
                }
                return .list(flat(a[0], depth: 0))
            case "coalesce":
                for value in a {
                    if case .null = value { continue }
                    if case .string("") = value { continue }
                    return value
                }
                return fail("no non-null, non-empty argument")
            default:
                return .unknown(.any)
            }
        }

        /// `format` with `%s`, `%d`, `%v` and `%%`; a wrong verb or count points at the call.
        mutating func format(_ a: [Value]) -> Value {
            guard let pattern = a[0].textForm else { return .unknown(.string) }
            var out = ""
            var next = 1
            var iterator = pattern.makeIterator()
            while let character = iterator.next() {
                guard character == "%" else {
                    out.append(character)
                    continue
                }
                guard let verb = iterator.next() else { return fail("format string ends with `%`", argument: 0) }
                if verb == "%" {
                    out.append("%")
                    continue
                }
                guard next < a.count else {
                    return fail("format string needs more arguments than the \(a.count - 1) given", argument: 0)
                }
                let argument = a[next]
                next += 1
                switch verb {
                case "s", "v":
                    guard let text = argument.textForm else {
                        if verb == "v" {
                            out += argument.json.compact
                            continue
                        }
                        return fail("`%s` cannot format \(argument.typeName)", argument: next - 1)
                    }
                    out += text
                case "d":
                    guard let value = int(argument) else {
                        return fail("`%d` needs a whole number, got \(argument.typeName)", argument: next - 1)
                    }
                    out += String(value)
                default:
                    return fail("unsupported verb `%\(verb)` (use %s, %d, %v or %%)", argument: 0)
                }
            }
            if next < a.count {
                return fail("\(a.count - next) argument(s) left over by the format string", argument: next)
            }
            return .string(out)
        }
    }
}

extension Result where Failure == CIDR.Problem {
    var problem: CIDR.Problem? {
        if case .failure(let problem) = self { return problem }
        return nil
    }
}

extension Diagnostic {
    static func wrongArity(_ name: String, expected: String, got: Int, at span: SourceSpan) -> Diagnostic {
        .error("function `\(name)` takes \(expected) argument\(expected == "1" ? "" : "s"), got \(got)", at: span)
    }
}
