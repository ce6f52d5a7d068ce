import Foundation

/// An endpoint override (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`, `endpoint_url` in the
/// shared config file), checked before it is used. botocore's `is_valid_endpoint_url` is the
/// model: a scheme and a host whose labels are letters, digits and hyphens (or an IP address),
/// any path kept as a base path. strata is stricter where leniency would send a request somewhere
/// the user did not write: the scheme must be http or https, and whitespace, a user, a query or
/// a fragment make the value malformed instead of being trimmed or dropped.
public enum EndpointURL {
    /// The URL the text names, or why it names none.
    public static func parse(_ text: String) -> Result<URL, Problem> {
        if let problem = problem(text) { return .failure(problem) }
        guard let url = URL(string: text) else { return .failure(Problem("it does not parse as a URL")) }
        return .success(url)
    }

    /// Why a text is not an endpoint URL.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    private static func problem(_ text: String) -> Problem? {
        if text.unicodeScalars.contains(where: {
            CharacterSet.whitespacesAndNewlines.contains($0) || CharacterSet.controlCharacters.contains($0)
        }) {
            return Problem("it contains whitespace")
        }
        guard let separator = text.range(of: "://") else {
            return Problem("it has no scheme")
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            return Problem("the scheme must be http or https")
        }
        guard let components = URLComponents(string: text) else { return Problem("it does not parse as a URL") }
        if components.user != nil || components.password != nil { return Problem("it names a user") }
        if components.query != nil || components.fragment != nil { return Problem("it has a query or a fragment") }
        guard let host = components.host, !host.isEmpty else { return Problem("it has no host") }
        guard isHost(host) else { return Problem("\"\(host)\" is not a host name or IP address") }
        // URLComponents accepts `host:` (an empty port) and ports past 65535.
        let authority = text[separator.upperBound...].prefix { $0 != "/" }
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            let port = authority[authority.index(after: colon)...]
            guard let number = Int(port), port.allSatisfy(\.isASCII), (1...65535).contains(number) else {
                return Problem("the port must be a number from 1 to 65535")
            }
        }
        return nil
    }

    /// botocore's host rule: dot-separated labels of 1 to 63 letters, digits and hyphens, not
    /// starting or ending with a hyphen, 255 characters in all, a trailing dot allowed. An IPv4
    /// address passes it; an IPv6 one is written in brackets.
    static func isHost(_ host: String) -> Bool {
        if host.hasPrefix("[") || host.contains(":") {
            let inner = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            let allowed = CharacterSet(charactersIn: "0123456789abcdefABCDEF:.")
            return inner.contains(":") && inner.unicodeScalars.allSatisfy(allowed.contains)
        }
        guard host.count <= 255 else { return false }
        var name = Substring(host)
        if name.hasSuffix(".") { name = name.dropLast() }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}
