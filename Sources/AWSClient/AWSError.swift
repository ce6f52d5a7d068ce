import Foundation

/// An error answer from an AWS service, read from whichever error shape its protocol uses.
/// Classify it with ``isNotFound``, ``isThrottling``, ``isAlreadyExists`` and
/// ``isDependencyViolation`` rather than comparing codes at call sites.
public struct AWSError: Error, Sendable, CustomStringConvertible {
    /// botocore's service name (`ec2`, `iam`, ...).
    public var service: String
    /// The AWS error code without namespace (`InvalidVpcID.NotFound`, `ResourceNotFoundException`).
    public var code: String
    public var message: String
    public var httpStatus: Int
    /// The request id AWS gave the call, when it gave one.
    public var requestID: String?

    public init(service: String, code: String, message: String, httpStatus: Int, requestID: String?) {
        self.service = service
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
        self.requestID = requestID
    }

    /// `<Code>: <message> (service <s>, HTTP <n>, request id <id>)`.
    public var description: String {
        var text = message.isEmpty ? code : "\(code): \(message)"
        text += " (service \(service), HTTP \(httpStatus)"
        if let requestID { text += ", request id \(requestID)" }
        return text + ")"
    }

    // MARK: - The one classifier

    /// The error codes AWS uses for "slow down"; the union botocore's standard retry mode knows.
    public static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled", "SlowDown",
        "PriorRequestNotComplete", "EC2ThrottledException",
    ]

    /// Transient server-side codes worth retrying (botocore's transient list).
    public static let transientCodes: Set<String> = [
        "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete", "InternalError",
        "InternalFailure", "ServiceUnavailable", "ServiceUnavailableException", "Unavailable",
    ]

    /// AWS asked the caller to slow down (a throttling code, or HTTP 429). IAM's quota error
    /// `LimitExceeded` is not one: it is not in the list, as in botocore.
    public var isThrottling: Bool {
        Self.throttlingCodes.contains(code) || httpStatus == 429
    }

    /// The thing named does not exist: EC2's `*.NotFound` family, IAM `NoSuchEntity`, the JSON
    /// services' `ResourceNotFoundException`, SSM `ParameterNotFound`, SQS's missing queue.
    public var isNotFound: Bool {
        if code.hasSuffix(".NotFound") || code.hasSuffix("NotFound") || code.hasSuffix("NotFoundException") { return true }
        return [
            "NoSuchEntity", "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue", "InvalidGroup.NotFound",
            "InvalidAllocationID.NotFound", "NatGatewayNotFound", "ResourceNotFound",
        ].contains(code)
    }

    /// The thing is already there: EC2 `*.Duplicate`/`*AlreadyExists*`, IAM `EntityAlreadyExists`,
    /// `ResourceInUseException` for EKS creates, `ResourceAlreadyExistsException`.
    public var isAlreadyExists: Bool {
        if code.hasSuffix(".Duplicate") || code.contains("AlreadyExists") { return true }
        return [
            "EntityAlreadyExists", "ResourceInUseException", "RouteAlreadyExists", "Resource.AlreadyAssociated",
            "QueueAlreadyExists", "ParameterAlreadyExists", "ResourceAlreadyExistsException",
        ].contains(code)
    }

    /// The thing cannot be deleted yet because something still uses it (EC2 `DependencyViolation`,
    /// IAM `DeleteConflict`, ELBv2 `ResourceInUse` for a target group a listener still uses).
    public var isDependencyViolation: Bool {
        ["DependencyViolation", "DeleteConflict", "InvalidGroup.InUse", "ResourceInUse"].contains(code)
    }

    /// A transient server-side failure (5xx or a transient code) that a retry may cure.
    public var isTransient: Bool {
        Self.transientCodes.contains(code) || [500, 502, 503, 504].contains(httpStatus)
    }

    /// The signature or the credentials were rejected; retrying the same request cannot help.
    public var isAuthFailure: Bool {
        [
            "SignatureDoesNotMatch", "InvalidSignatureException", "IncompleteSignature", "InvalidClientTokenId",
            "UnrecognizedClientException", "AuthFailure", "MissingAuthenticationToken", "ExpiredToken",
            "ExpiredTokenException", "RequestExpired", "InvalidAccessKeyId",
        ].contains(code)
    }
}
