import Foundation

/// A 2xx answer strata could not read: which call, why in a few words, and the first bytes of
/// the body escaped (never Swift's error dump, never raw bytes a terminal would interpret).
public struct ResponseDecodingError: Error, Sendable, CustomStringConvertible {
    /// What the body was read as: `XML`, `JSON`, or a part of an answer (`AssumeRole result`).
    public var what: String
    /// Why, in a few words: `malformed XML at line 1, column 7`.
    public var detail: String
    /// The body's first bytes, escaped: at most ``excerptLength`` characters.
    public var excerpt: String
    /// The call whose answer it was (`ec2 DescribeVpcs`), when known.
    public var call: String?

    /// Enough to recognise an HTML error page or a truncated document, short enough to keep
    /// anything an answer carries further in (credentials come well after the first tags).
    public static let excerptLength = 60

    public init(what: String, detail: String, body: Data) {
        self.what = what
        self.detail = detail
        self.excerpt = Self.escaped(body)
    }

    public var description: String {
        var text = "cannot read the \(call.map { "\($0) " } ?? "")response as \(what): \(detail)"
        if !excerpt.isEmpty { text += " (it begins \"\(excerpt)\")" }
        return text
    }

    /// A decoder's failure said briefly: the JSON decoder's own words without its coding path
    /// dump or underlying `NSError`.
    static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            return context.debugDescription
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.keyNotFound(_, let context):
            return context.debugDescription
        default:
            return "not valid \(error is DecodingError ? "JSON" : "input")"
        }
    }

    /// The first bytes as printable text: control characters and invalid UTF-8 as escapes.
    static func escaped(_ body: Data) -> String {
        var text = ""
        for scalar in String(decoding: body.prefix(excerptLength * 4), as: UTF8.self).unicodeScalars {
            guard text.count < excerptLength else {
                text += "…"
                break
            }
            switch scalar {
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\u{FFFD}": text += "\\u{FFFD}"
            default:
                if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format {
                    text += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        return text
    }
}
