import Foundation
import StrataModel

extension AWSError {
    /// Reads an error response in whatever shape it came: EC2's `<Response><Errors><Error>` with
    /// `<RequestID>`, query's `<ErrorResponse><Error>` with `<RequestId>`, JSON's `__type` and
    /// `message`, REST-JSON's `x-amzn-ErrorType` header; anything else (an HTML page from a proxy
    /// or a half-implemented emulator) becomes the HTTP status as the code, like botocore.
    public static func parse(_ response: HTTPResponse, service: AWSService) -> AWSError {
        let headerRequestID = response.header("x-amzn-RequestId") ?? response.header("x-amz-request-id")
        let headerType = response.header("x-amzn-ErrorType").map(cleanCode)
        let trimmed = response.body.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }

        if trimmed.first == UInt8(ascii: "<"), let xml = try? XMLNode.parse(Data(trimmed)), xml.name != "html" {
            let error = xml.first(named: "Error")
            if let code = error?.child("Code")?.text, !code.isEmpty {
                let requestID =
                    xml.child("RequestID")?.text ?? xml.child("RequestId")?.text
                    ?? error?.child("RequestId")?.text ?? headerRequestID
                return AWSError(
                    service: service.name, code: code, message: error?.child("Message")?.text ?? "",
                    httpStatus: response.status, requestID: nonEmpty(requestID))
            }
        }
        if trimmed.first == UInt8(ascii: "{"), let json = try? JSONValue.parse(Data(trimmed)) {
            let bodyType = (json["__type"] ?? json["code"] ?? json["Code"])?.stringValue.map(cleanCode)
            let message = (json["message"] ?? json["Message"] ?? json["errorMessage"])?.stringValue ?? ""
            let code: String?
            switch service.wireProtocol {
            case .restJSON: code = headerType ?? bodyType
            default: code = bodyType ?? headerType
            }
            if let code, !code.isEmpty {
                return AWSError(
                    service: service.name, code: code, message: message, httpStatus: response.status,
                    requestID: nonEmpty(headerRequestID))
            }
        }
        if let headerType, !headerType.isEmpty {
            return AWSError(
                service: service.name, code: headerType, message: "", httpStatus: response.status,
                requestID: nonEmpty(headerRequestID))
        }
        return AWSError(
            service: service.name, code: "\(response.status)", message: summary(of: response.body),
            httpStatus: response.status, requestID: nonEmpty(headerRequestID))
    }

    /// `com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException` and
    /// `ResourceNotFoundException:http://internal.amazon.com/...` both name the bare code.
    static func cleanCode(_ raw: String) -> String {
        var code = Substring(raw.trimmingCharacters(in: .whitespaces))
        if let colon = code.firstIndex(of: ":") { code = code[..<colon] }
        if let hash = code.lastIndex(of: "#") { code = code[code.index(after: hash)...] }
        return String(code)
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    /// A short, single-line description of a body that is not an AWS error document.
    private static func summary(of body: Data) -> String {
        let text = String(decoding: body.prefix(2000), as: UTF8.self)
        if let start = text.range(of: "<title>"), let end = text.range(of: "</title>", range: start.upperBound..<text.endIndex) {
            return String(text[start.upperBound..<end.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let stripped = text.replacingOccurrences(of: "<[^>]+>", with: " ", options: .regularExpression)
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return String(stripped.prefix(200))
    }
}
