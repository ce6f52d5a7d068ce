import StrataModel
import StrataSyntax

/// Parses the types module inputs declare: `string`, `int`, `number`, `bool`, `cidr`,
/// `duration`, `json`, `object`, `any`, `list(T)`, `map(T)`.
enum TypeExpression {
    static let names = ["string", "int", "number", "bool", "cidr", "duration", "json", "object", "any", "list", "map"]

    /// The type, or a message and the offset in `text` where it goes wrong.
    static func parse(_ text: String) -> Result<ValueType, Message> {
        let scalars = Array(text.unicodeScalars.filter { $0 != " " })
        var offset = 0
        func parseType(depth: Int) -> Result<ValueType, Message> {
            guard depth < 16 else { return .failure(Message("type nested too deeply", offset: offset)) }
            let start = offset
            var name = ""
            while offset < scalars.count, scalars[offset].properties.isAlphabetic || scalars[offset] == "_" {
                name.unicodeScalars.append(scalars[offset])
                offset += 1
            }
            switch name {
            case "string": return .success(.string)
            case "int": return .success(.int)
            case "number": return .success(.number)
            case "bool": return .success(.bool)
            case "cidr": return .success(.cidr)
            case "duration": return .success(.duration)
            case "json": return .success(.json)
            case "object": return .success(.object([:]))
            case "any": return .success(.any)
            case "list", "map":
                guard offset < scalars.count, scalars[offset] == "(" else {
                    return .failure(Message("`\(name)` needs an element type, as in `\(name)(string)`", offset: offset))
                }
                offset += 1
                let element = parseType(depth: depth + 1)
                guard case .success(let inner) = element else { return element }
                guard offset < scalars.count, scalars[offset] == ")" else {
                    return .failure(Message("expected `)`", offset: offset))
                }
                offset += 1
                return .success(name == "list" ? .list(inner) : .map(inner))
            default:
                let suggestion = Suggestion.closest(to: name, in: names).map { "; did you mean `\($0)`?" } ?? ""
                return .failure(Message("unknown type `\(name)`\(suggestion)", offset: start))
            }
        }
        let result = parseType(depth: 0)
        if case .success = result, offset != scalars.count {
            return .failure(Message("unexpected text after the type", offset: offset))
        }
        return result
    }
}
