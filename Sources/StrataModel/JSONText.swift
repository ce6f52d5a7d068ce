/// JSON text in and out, for `jsonencode`, `jsondecode` and IAM policy documents. A small strict
/// parser of its own: Foundation's cannot tell `true` from `1` on every platform and gives no
/// position for what is wrong.
public enum JSONText {
    public static func encode(_ value: Value) -> String? {
        guard value.isKnown else { return nil }
        return value.json.compact
    }

    /// Parses JSON text, or says what is wrong and at which character offset.
    public static func decode(_ text: String) -> Result<Value, Message> {
        var parser = Parser(scalars: Array(text.unicodeScalars))
        do throws(Failure) {
            parser.skipSpace()
            let value = try parser.parseValue(depth: 0)
            parser.skipSpace()
            guard parser.offset == parser.scalars.count else {
                throw parser.failure("unexpected text after the document")
            }
            return .success(value)
        } catch {
            return .failure(Message(error.message))
        }
    }

    public struct Failure: Error {
        public var message: String
    }

    private struct Parser {
        public let scalars: [Unicode.Scalar]
        public var offset = 0

        public func failure(_ message: String) -> Failure { Failure(message: "\(message) at character \(offset + 1)") }

        public mutating func skipSpace() {
            while offset < scalars.count, [" ", "\n", "\r", "\t"].contains(scalars[offset]) { offset += 1 }
        }

        public mutating func expect(_ scalar: Unicode.Scalar) throws(Failure) {
            guard offset < scalars.count, scalars[offset] == scalar else { throw failure("expected `\(scalar)`") }
            offset += 1
        }

        public mutating func parseValue(depth: Int) throws(Failure) -> Value {
            guard depth < 128 else { throw failure("nested too deeply") }
            guard offset < scalars.count else { throw failure("unexpected end of JSON") }
            switch scalars[offset] {
            case "{":
                offset += 1
                var members: [String: Value] = [:]
                skipSpace()
                if offset < scalars.count, scalars[offset] == "}" {
                    offset += 1
                    return .map(members)
                }
                while true {
                    skipSpace()
                    guard offset < scalars.count, scalars[offset] == "\"" else {
                        throw failure("expected a string key")
                    }
                    let key = try parseString()
                    skipSpace()
                    try expect(":")
                    skipSpace()
                    members[key] = try parseValue(depth: depth + 1)
                    skipSpace()
                    if offset < scalars.count, scalars[offset] == "," {
                        offset += 1
                        continue
                    }
                    try expect("}")
                    return .map(members)
                }
            case "[":
                offset += 1
                var items: [Value] = []
                skipSpace()
                if offset < scalars.count, scalars[offset] == "]" {
                    offset += 1
                    return .list(items)
                }
                while true {
                    skipSpace()
                    items.append(try parseValue(depth: depth + 1))
                    skipSpace()
                    if offset < scalars.count, scalars[offset] == "," {
                        offset += 1
                        continue
                    }
                    try expect("]")
                    return .list(items)
                }
            case "\"":
                return .string(try parseString())
            default:
                var word = ""
                while offset < scalars.count, !",]} \n\r\t".unicodeScalars.contains(scalars[offset]) {
                    word.unicodeScalars.append(scalars[offset])
                    offset += 1
                }
                switch word {
                case "true": return .bool(true)
                case "false": return .bool(false)
                case "null": return .null
                default:
                    if let int = Int(word) { return .int(int) }
                    if let double = Double(word), word.first != "+", word.first != "." { return .float(double) }
                    throw failure(word.isEmpty ? "expected a value" : "unexpected `\(word)`")
                }
            }
        }

        public mutating func parseString() throws(Failure) -> String {
            offset += 1
            var text = String.UnicodeScalarView()
            while offset < scalars.count {
                let scalar = scalars[offset]
                offset += 1
                switch scalar {
                case "\"": return String(text)
                case "\\":
                    guard offset < scalars.count else { throw failure("unterminated escape") }
                    let escaped = scalars[offset]
                    offset += 1
                    switch escaped {
                    case "n": text.append("\n")
                    case "t": text.append("\t")
                    case "r": text.append("\r")
                    case "b": text.append("\u{8}")
                    case "f": text.append("\u{C}")
                    case "u":
                        guard offset + 4 <= scalars.count,
                            let code = UInt32(
                                String(String.UnicodeScalarView(scalars[offset..<(offset + 4)])), radix: 16)
                        else { throw failure("bad \\u escape") }
                        offset += 4
                        text.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                    default: text.append(escaped)
                    }
                default:
                    guard scalar.value >= 0x20 else { throw failure("control character in string") }
                    text.append(scalar)
                }
            }
            throw failure("unterminated string")
        }
    }
}
