/// Splits the inside of `${...}` into tokens, on demand: the template scanner stops at the `}`
/// that closes the expression, so text after it is never lexed as code.
struct ExpressionLexer {
    enum Kind: Equatable {
        case identifier(String)
        case int(Int)
        case float(Double)
        case string(String)
        /// Operators and punctuation: `.`, `[`, `==`, `&&`, `?`, ...
        case symbol(String)
        case end
        case invalid(String)
    }

    struct Token {
        var kind: Kind
        /// Offsets into the scalar's text, `[start, end)`.
        var start: Int
        var end: Int
    }

    let text: [Unicode.Scalar]
    private(set) var offset: Int
    let positions: ScalarPositions

    private static let symbols2: Set<String> = ["==", "!=", "<=", ">=", "&&", "||", "=>"]
    private static let symbols1: Set<Unicode.Scalar> = [
        ".", ",", "[", "]", "(", ")", "{", "}", "?", ":", "=", "+", "-", "*", "/", "%", "<", ">", "!",
    ]

    mutating func next() -> Token {
        while offset < text.count,
            text[offset] == " " || text[offset] == "\t" || text[offset] == "\n" || text[offset] == "\r"
        {
            offset += 1
        }
        let start = offset
        guard offset < text.count else { return Token(kind: .end, start: start, end: start) }
        let c = text[offset]
        if c.properties.isAlphabetic || c == "_" {
            var name = String.UnicodeScalarView()
            while offset < text.count,
                text[offset].properties.isAlphabetic || text[offset] == "_" || text[offset] == "-"
                    || ("0"..."9").contains(text[offset])
            {
                name.append(text[offset])
                offset += 1
            }
            // A trailing `-` belongs to an operator (`a-1` is rare; `a - 1` is the style).
            while name.last == "-" {
                name.removeLast()
                offset -= 1
            }
            return Token(kind: .identifier(String(name)), start: start, end: offset)
        }
        if ("0"..."9").contains(c) {
            var digits = ""
            var isFloat = false
            while offset < text.count, ("0"..."9").contains(text[offset]) {
                digits.unicodeScalars.append(text[offset])
                offset += 1
            }
            if offset + 1 < text.count, text[offset] == ".", ("0"..."9").contains(text[offset + 1]) {
                isFloat = true
                digits += "."
                offset += 1
                while offset < text.count, ("0"..."9").contains(text[offset]) {
                    digits.unicodeScalars.append(text[offset])
                    offset += 1
                }
            }
            if isFloat, let value = Double(digits) { return Token(kind: .float(value), start: start, end: offset) }
            if let value = Int(digits) { return Token(kind: .int(value), start: start, end: offset) }
            return Token(kind: .invalid("number `\(digits)` is too large"), start: start, end: offset)
        }
        if c == "\"" {
            offset += 1
            var value = String.UnicodeScalarView()
            while offset < text.count, text[offset] != "\"" {
                if text[offset] == "\\", offset + 1 < text.count {
                    offset += 1
                    switch text[offset] {
                    case "n": value.append("\n")
                    case "t": value.append("\t")
                    case "r": value.append("\r")
                    default: value.append(text[offset])
                    }
                } else {
                    value.append(text[offset])
                }
                offset += 1
            }
            guard offset < text.count else {
                return Token(kind: .invalid("unterminated string literal"), start: start, end: start + 1)
            }
            offset += 1
            return Token(kind: .string(String(value)), start: start, end: offset)
        }
        if offset + 1 < text.count {
            let pair = String(String.UnicodeScalarView([c, text[offset + 1]]))
            if Self.symbols2.contains(pair) {
                offset += 2
                return Token(kind: .symbol(pair), start: start, end: offset)
            }
        }
        if Self.symbols1.contains(c) {
            offset += 1
            return Token(kind: .symbol(String(c)), start: start, end: offset)
        }
        offset += 1
        return Token(kind: .invalid("unexpected character `\(c)`"), start: start, end: offset)
    }
}
