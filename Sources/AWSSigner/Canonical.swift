import Foundation

/// The canonicalisation rules of SigV4: URI encoding, path normalisation, the canonical query
/// string and the canonical headers. Pure functions over strings and bytes.
enum Canonical {
    /// How the canonical URI is derived from the path as sent on the wire (percent-encoded).
    struct PathRules: Sendable, Equatable {
        /// Remove `.`/`..` segments and empty segments (`//`), as every service but S3 requires.
        var normalize: Bool
        /// URI-encode the wire path once more ("double encoding"), as every service but S3 requires.
        var encode: Bool

        /// S3 signs the path exactly as sent.
        static let s3 = PathRules(normalize: false, encode: false)
        /// Every other service normalises and encodes the already-encoded path again.
        static let standard = PathRules(normalize: true, encode: true)

        /// The rules the AWS SDKs apply for a signing name.
        static func forService(_ service: String) -> PathRules {
            service == "s3" || service == "s3-object-lambda" || service == "s3-outposts" || service == "s3express"
                ? .s3 : .standard
        }
    }

    /// RFC 3986 unreserved characters: never percent-encoded by SigV4.
    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// SigV4 URI encoding: every byte but the unreserved ones as `%XX` (upper-case hex);
    /// `/` too unless `keepSlash`.
    static func uriEncode<Bytes: Sequence<UInt8>>(_ bytes: Bytes, keepSlash: Bool = false) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        for byte in bytes {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0f)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// URI-encodes a string's UTF-8 bytes.
    static func uriEncode(_ string: String, keepSlash: Bool = false) -> String {
        uriEncode(string.utf8, keepSlash: keepSlash)
    }

    /// Decodes `%XX` escapes to bytes; anything else (including `+` and malformed escapes) is kept.
    static func percentDecode(_ string: String) -> [UInt8] {
        let bytes = Array(string.utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Removes `.` and `..` segments and collapses repeated slashes. The result starts with `/`
    /// and ends with `/` only when the input did and segments remain (botocore's rule).
    static func normalizePath(_ path: String) -> String {
        if path.isEmpty { return "/" }
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": if !segments.isEmpty { segments.removeLast() }
            default: segments.append(segment)
            }
        }
        let trailing = path.hasSuffix("/") && !segments.isEmpty ? "/" : ""
        return "/" + segments.joined(separator: "/") + trailing
    }

    /// The canonical URI of a wire path (the percent-encoded path of the request line).
    static func canonicalURI(path: String, rules: PathRules) -> String {
        var result = path.isEmpty ? "/" : path
        if rules.normalize { result = normalizePath(result) }
        if rules.encode { result = uriEncode(result.utf8, keepSlash: true) }
        return result
    }

    /// One query parameter, decoded to bytes.
    struct QueryItem: Equatable {
        var name: [UInt8]
        var value: [UInt8]
    }

    /// Parses a wire query string (`a=1&b=%20`) into decoded items, in order. `+` is a literal plus.
    static func parseQuery(_ query: String?) -> [QueryItem] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let eq = pair.firstIndex(of: "=") {
                return QueryItem(
                    name: percentDecode(String(pair[..<eq])), value: percentDecode(String(pair[pair.index(after: eq)...])))
            }
            return QueryItem(name: percentDecode(String(pair)), value: [])
        }
    }

    /// The canonical query string: each name and value URI-encoded, sorted by name then value
    /// (byte order), joined with `&`; a parameter without a value keeps its `=`.
    static func canonicalQuery(_ items: [QueryItem]) -> String {
        let encoded = items.map { (name: uriEncode($0.name), value: uriEncode($0.value)) }
        let sorted = encoded.sorted { lhs, rhs in
            if lhs.name != rhs.name { return Array(lhs.name.utf8).lexicographicallyPrecedes(rhs.name.utf8) }
            return Array(lhs.value.utf8).lexicographicallyPrecedes(rhs.value.utf8)
        }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// Headers never signed: hop-by-hop headers and those proxies and transports change on the way
    /// (the list botocore keeps), and `authorization`, which is the signature itself.
    static let unsignedHeaders: Set<String> = [
        "authorization", "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
    ]

    /// Trims a header value and folds every run of whitespace (spaces, tabs, line breaks of an
    /// obsolete multi-line value) to one space.
    static func trimHeaderValue(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
            .joined(separator: " ")
    }

    /// Canonical headers and the signed-header list: names lower-cased and sorted, values trimmed,
    /// repeated headers joined with `,` in the order given.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> (canonical: String, signed: String) {
        var order: [String] = []
        var values: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            if unsignedHeaders.contains(name) { continue }
            if values[name] == nil { order.append(name) }
            values[name, default: []].append(trimHeaderValue(header.value))
        }
        let names = order.sorted { Array($0.utf8).lexicographicallyPrecedes($1.utf8) }
        let canonical = names.map { "\($0):\(values[$0, default: []].joined(separator: ","))\n" }.joined()
        return (canonical, names.joined(separator: ";"))
    }
}
