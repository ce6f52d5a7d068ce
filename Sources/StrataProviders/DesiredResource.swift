import StrataModel

/// One resource as the stack wants it, with every reference resolved against live state: what a
/// provider creates or updates to. Attributes the stack did not set are absent.
public struct DesiredResource: Sendable {
    public var address: ResourceAddress
    public var type: String
    public var attributes: [String: Value]
    /// Tags to write, ownership tags (`strata:stack`, `strata:address`) included.
    public var tags: [String: String]
    /// Derived from stack, address and desired content: the same create sends the same token, so
    /// a retried or re-run create is answered with the first result instead of a duplicate.
    public var idempotencyToken: String

    public init(address: ResourceAddress, type: String, attributes: [String: Value], tags: [String: String], idempotencyToken: String) {
        self.address = address
        self.type = type
        self.attributes = attributes
        self.tags = tags
        self.idempotencyToken = idempotencyToken
    }
}

extension DesiredResource {
    /// An attribute the call cannot do without, as text (a number reads as its digits).
    func required(_ name: String) throws -> String {
        guard let value = attributes[name], value != .null else {
            throw ProviderError.invalidAttribute(type: type, address: address, attribute: name, problem: "is required")
        }
        guard let text = value.textForm else {
            let problem = value.isUnknown ? "is not known yet" : "must be a string"
            throw ProviderError.invalidAttribute(type: type, address: address, attribute: name, problem: problem)
        }
        return text
    }
}
