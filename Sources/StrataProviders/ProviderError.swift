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
    /// AWS's name or id for the resource (`prod/system`), when there is no address to name it.
    public var name: String?
    /// The attribute at fault (`policy`, `cidr_block`), when one is.
    public var attribute: String?
    public var reason: Reason
    /// Where the stack set the attribute (or declared the resource), when known.
    public var span: SourceSpan?

    public init(
        type: String, address: ResourceAddress? = nil, name: String? = nil, attribute: String? = nil, reason: Reason,
        span: SourceSpan? = nil
    ) {
        self.type = type
        self.address = address
        self.name = name
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

    /// The resource it is about: its address, else AWS's name for it, else its type.
    public var subject: String { address?.canonical ?? name.map { "\(type) '\($0)'" } ?? type }

    /// What went wrong, without the position (the renderer shows that).
    public var summary: String {
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

// The reasons providers throw, spelled once.
extension ProviderError {
    /// An attribute the call needs is absent, unknown or malformed (`aws_iam_role.assume_role_policy: not a JSON document`).
    static func invalidAttribute(type: String, address: ResourceAddress? = nil, attribute: String, problem: String) -> ProviderError {
        ProviderError(type: type, address: address, attribute: attribute, reason: .invalidAttribute(problem: problem))
    }

    /// A name AWS already holds for something that is not this stack's at this address.
    static func nameTaken(type: String, name: String, owner: String) -> ProviderError {
        ProviderError(type: type, name: name, reason: .nameTaken(name: name, owner: owner))
    }

    /// AWS put the resource in a failed state, or failed an update of it.
    static func failed(type: String, name: String, status: String, detail: String) -> ProviderError {
        ProviderError(type: type, name: name, reason: .failed(status: status, detail: detail))
    }

    /// A create AWS answered without what it always returns (the new resource's id): nothing to
    /// adopt or to delete later, so the apply stops here.
    static func missing(_ attribute: String, from call: String, _ desired: DesiredResource) -> ProviderError {
        invalidAttribute(type: desired.type, address: desired.address, attribute: attribute, problem: "missing from \(call)'s answer")
    }
}
