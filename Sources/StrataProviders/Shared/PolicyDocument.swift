import Foundation
import StrataModel

/// Policy documents (IAM, KMS, SQS) and other JSON attributes: the stack may give a JSON string or
/// a map; AWS gets, and live state reports, one canonical text (keys sorted, no spaces) so that
/// equal documents compare equal.
enum PolicyDocument {
    /// The canonical JSON text of a desired document; nil when absent or null.
    static func canonical(_ value: Value?, type: String, attribute: String) throws -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?:
            guard let json = try? JSONValue.parse(Data(text.utf8)) else {
                throw ProviderError.invalidAttribute(type: type, attribute: attribute, problem: "not a JSON document")
            }
            return String(decoding: json.encoded(), as: UTF8.self)
        case .unknown?:
            throw ProviderError.invalidAttribute(type: type, attribute: attribute, problem: "not known yet")
        case let other?:
            guard let json = other.wireJSON else {
                throw ProviderError.invalidAttribute(type: type, attribute: attribute, problem: "holds an unknown value")
            }
            return String(decoding: json.encoded(), as: UTF8.self)
        }
    }

    /// A required document.
    static func required(_ desired: DesiredResource, _ attribute: String) throws -> String {
        guard let text = try canonical(desired.attributes[attribute], type: desired.type, attribute: attribute) else {
            throw ProviderError.invalidAttribute(type: desired.type, attribute: attribute, problem: "is required")
        }
        return text
    }

    /// A document AWS returned, as the live attribute: canonical JSON text (as given when it is
    /// not JSON, so a diff shows what AWS holds).
    static func live(_ text: String) -> Value {
        guard let json = try? JSONValue.parse(Data(text.utf8)) else { return .string(text) }
        return .string(String(decoding: json.encoded(), as: UTF8.self))
    }
}
