import Foundation

/// A response body that could not be read as the protocol says it should be. What a user sees
/// names the call and says what is wrong in words, with a short escaped excerpt of the body:
/// never the parser's own types, nor raw bytes (the body may be megabytes, binary, or chosen by
/// whoever answers in place of AWS).
public struct ResponseDecodingError: Error, Sendable, CustomStringConvertible {
    /// The format the body should have been in (`XML`, `JSON`).
    public var what: String
    public var detail: String
    /// The body's size and its first bytes, escaped.
    public var excerpt: String
    /// The call whose answer it was (`ec2 DescribeVpcs`) and its request id, when known.
    public var call: String?
    public var requestID: String?

    /// How much of the body an error shows.
    static let excerptBytes = 64

    public init(what: String, detail: String, body: Data) {
        self.what = what
        self.detail = detail
        self.excerpt = Self.excerpt(of: body)
    }

    public var description: String {
        var text = "cannot read the answer"
        if let call { text += " to \(call)" }
        text += " as \(what): \(detail) (\(excerpt)"
        if let requestID { text += ", request id \(requestID)" }
        return text + ")"
    }

    /// `N bytes, starting "..."`: printable ASCII as is, every other byte as `\xNN`.
    static func excerpt(of body: Data) -> String {
        guard !body.isEmpty else { return "empty body" }
        let shown = body.prefix(excerptBytes).map { byte in
            (0x20..<0x7F).contains(byte) && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\")
                ? String(UnicodeScalar(byte)) : String(format: "\\x%02x", byte)
        }.joined()
        return "\(body.count) bytes, starting \"\(shown)\(body.count > excerptBytes ? "..." : "")\""
    }
}
