import AWSClient
import StrataModel

/// Why a provider could not do what a change asked: the one error type every provider throws
/// for its own reasons, and what the executor turns an AWS error into once it knows which
/// resource the call was for. It names the resource, the attribute at fault when there is one,
/// and the stack line that set it (filled in by the executor from the plan), so a failure is
/// rendered like a compiler diagnostic: file:line:col, the AWS code and the request id.
public struct ProviderError: Error, Sendable, CustomStringConvertible {
    public enum Reason: Sendable {
        /// An attribute the call needs is absent, unknown or malformed.
        case invalidAttribute(problem: String)
        /// A name AWS already holds for something that is not this stack's at this address.
        case nameTaken(name: String, owner: String)
        /// AWS put the resource in a failed state (`CREATE_FAILED`, `DEGRADED`, an update
        /// `Failed`): nothing to wait for.
        case failed(status: String, detail: String)
        /// AWS refused the call.
        case aws(AWSError)
    }

    public var type: String
    public var address: ResourceAddress?
    /// The attribute at fault (`policy`, `cidr_block`), when one is.
    public var attribute: String?
    public var reason: Reason
    /// Where the stack set the attribute (or declared the resource), when known.
    public var span: SourceSpan?

    public init(type: String, address: ResourceAddress? = nil, attribute: String? = nil, reason: Reason, span: SourceSpan? = nil) {
        self.type = type
        self.address = address
        self.attribute = attribute
        self.reason = reason
        self.span = span
    }

    /// The AWS error code, when AWS refused the call.
    public var awsCode: String? {
        if case .aws(let error) = reason { return error.code }
        return nil
    }

    /// The request id of the refused call, when AWS gave one.
    public var requestID: String? {
        if case .aws(let error) = reason { return error.requestID }
        return nil
    }

    /// What went wrong, without the position (the renderer shows that).
    public var summary: String {
        let subject = address?.canonical ?? type
        let at = attribute.map { "\(subject).\($0)" } ?? subject
        switch reason {
        case .invalidAttribute(let problem): return "\(at): \(problem)"
        case .nameTaken(let name, let owner):
            return "\(type) '\(name)' already exists and is not strata's for this address (\(owner)); pick another name or delete it"
        case .failed(let status, let detail): return "\(at) is \(status)" + (detail.isEmpty ? "" : ": \(detail)")
        case .aws(let error): return "\(at): \(error)"
        }
    }

    public var description: String {
        span.map { "\($0.file):\($0.start.line):\($0.start.column): \(summary)" } ?? summary
    }
}
