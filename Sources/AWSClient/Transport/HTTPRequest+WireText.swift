import Foundation

extension HTTPRequest {
    /// The request as HTTP/1.1 text: request line, every header, a blank line, the body. Values
    /// of headers that carry secrets (`X-Amz-Security-Token`) are redacted; the signature is not
    /// a secret and is shown.
    public func wireText() -> String {
        let components = URLComponents(url: url, resolvingAgainstBaseURL: false)
        var target = components?.percentEncodedPath ?? "/"
        if target.isEmpty { target = "/" }
        if let query = components?.percentEncodedQuery, !query.isEmpty { target += "?" + query }
        var lines = ["\(method) \(target) HTTP/1.1"]
        for (name, value) in headers {
            let shown = name.lowercased() == "x-amz-security-token" ? "<redacted>" : value
            lines.append("\(name): \(shown)")
        }
        if header("Content-Length") == nil, !body.isEmpty { lines.append("Content-Length: \(body.count)") }
        lines.append("")
        lines.append(String(decoding: body, as: UTF8.self))
        return lines.joined(separator: "\n")
    }
}
