import Foundation

/// The wire protocol a service speaks (botocore's `metadata.protocol`).
public enum AWSProtocol: Sendable, Equatable {
    /// EC2's dialect of query: form body, lists flattened as `Name.N`, XML responses, `<Response><Errors>`.
    case ec2
    /// The query protocol (IAM, STS): form body, lists as `Name.member.N`, XML, `<ErrorResponse>`.
    case query
    /// JSON 1.0 or 1.1: POST `/`, `X-Amz-Target: <prefix>.<Action>`, JSON both ways.
    case json(version: String)
    /// REST-JSON: the operation is the method and path; JSON bodies (EKS).
    case restJSON
}

/// What strata needs to know about one AWS service to address, sign and encode a call. The values
/// come from botocore's `service-2.json` metadata for the API version named.
public struct AWSService: Sendable, Equatable, Hashable {
    /// botocore's name (`ec2`, `events`, `elbv2`): what `strata aws request` and errors call it.
    public var name: String
    /// botocore's `endpointPrefix`, the host's first label: the name, except where two APIs
    /// share one endpoint (`elb` and `elbv2` both answer at `elasticloadbalancing`, told
    /// apart by the query's `Version`).
    public var endpointPrefix: String
    /// The SigV4 scope's service (`signingName`, defaulting to the endpoint prefix).
    public var signingName: String
    /// botocore's `serviceId` (`EventBridge`, `CloudWatch Logs`); `AWS_ENDPOINT_URL_<ID>` uses it.
    public var serviceID: String
    public var apiVersion: String
    public var wireProtocol: AWSProtocol
    /// The `X-Amz-Target` prefix for the JSON protocols.
    public var targetPrefix: String?
    /// The one global endpoint host (IAM), signed for us-east-1; nil for regional services.
    public var globalEndpoint: String?

    public init(
        name: String, endpointPrefix: String? = nil, signingName: String, serviceID: String, apiVersion: String,
        wireProtocol: AWSProtocol, targetPrefix: String? = nil, globalEndpoint: String? = nil
    ) {
        self.name = name
        self.endpointPrefix = endpointPrefix ?? name
        self.signingName = signingName
        self.serviceID = serviceID
        self.apiVersion = apiVersion
        self.wireProtocol = wireProtocol
        self.targetPrefix = targetPrefix
        self.globalEndpoint = globalEndpoint
    }

    public static func == (lhs: AWSService, rhs: AWSService) -> Bool { lhs.name == rhs.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }

    /// The suffix of `AWS_ENDPOINT_URL_<SERVICE>`: the service id, upper-cased, spaces to underscores.
    public var endpointEnvironmentSuffix: String {
        serviceID.uppercased().replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "-", with: "_")
    }

    /// The region to sign for: IAM's global endpoint is signed for us-east-1.
    public func signingRegion(for region: String) -> String {
        globalEndpoint != nil ? "us-east-1" : region
    }

    /// The public AWS endpoint for a region (standard partition).
    public func defaultEndpoint(region: String) -> URL {
        let host = globalEndpoint ?? "\(endpointPrefix).\(region).amazonaws.com"
        return URL(string: "https://\(host)") ?? URL(fileURLWithPath: "/")
    }

    public static let ec2 = AWSService(
        name: "ec2", signingName: "ec2", serviceID: "EC2", apiVersion: "2016-11-15", wireProtocol: .ec2)
    public static let iam = AWSService(
        name: "iam", signingName: "iam", serviceID: "IAM", apiVersion: "2010-05-08", wireProtocol: .query,
        globalEndpoint: "iam.amazonaws.com")
    public static let sts = AWSService(
        name: "sts", signingName: "sts", serviceID: "STS", apiVersion: "2011-06-15", wireProtocol: .query)
    public static let eks = AWSService(
        name: "eks", signingName: "eks", serviceID: "EKS", apiVersion: "2017-11-01", wireProtocol: .restJSON)
    public static let sqs = AWSService(
        name: "sqs", signingName: "sqs", serviceID: "SQS", apiVersion: "2012-11-05", wireProtocol: .json(version: "1.0"),
        targetPrefix: "AmazonSQS")
    public static let events = AWSService(
        name: "events", signingName: "events", serviceID: "EventBridge", apiVersion: "2015-10-07",
        wireProtocol: .json(version: "1.1"), targetPrefix: "AWSEvents")
    public static let ssm = AWSService(
        name: "ssm", signingName: "ssm", serviceID: "SSM", apiVersion: "2014-11-06", wireProtocol: .json(version: "1.1"),
        targetPrefix: "AmazonSSM")
    public static let dynamodb = AWSService(
        name: "dynamodb", signingName: "dynamodb", serviceID: "DynamoDB", apiVersion: "2012-08-10",
        wireProtocol: .json(version: "1.0"), targetPrefix: "DynamoDB_20120810")
    public static let kms = AWSService(
        name: "kms", signingName: "kms", serviceID: "KMS", apiVersion: "2014-11-01", wireProtocol: .json(version: "1.1"),
        targetPrefix: "TrentService")
    public static let logs = AWSService(
        name: "logs", signingName: "logs", serviceID: "CloudWatch Logs", apiVersion: "2014-03-28",
        wireProtocol: .json(version: "1.1"), targetPrefix: "Logs_20140328")
    /// Application, Network and Gateway Load Balancers (what the AWS Load Balancer Controller creates).
    public static let elbv2 = AWSService(
        name: "elbv2", endpointPrefix: "elasticloadbalancing", signingName: "elasticloadbalancing",
        serviceID: "Elastic Load Balancing v2", apiVersion: "2015-12-01", wireProtocol: .query)
    /// Classic Load Balancers (what Kubernetes' in-tree AWS cloud provider creates for a
    /// `Service` of type `LoadBalancer` the controller does not take).
    public static let elb = AWSService(
        name: "elb", endpointPrefix: "elasticloadbalancing", signingName: "elasticloadbalancing",
        serviceID: "Elastic Load Balancing", apiVersion: "2012-06-01", wireProtocol: .query)
    /// The Resource Groups Tagging API (endpoint prefix and signing name `tagging`): the one
    /// tag-filtered listing across services whose own listings have none.
    public static let tagging = AWSService(
        name: "resourcegroupstaggingapi", endpointPrefix: "tagging", signingName: "tagging",
        serviceID: "Resource Groups Tagging API", apiVersion: "2017-01-26", wireProtocol: .json(version: "1.1"),
        targetPrefix: "ResourceGroupsTaggingAPI_20170126")

    /// Every service strata talks to.
    public static let all: [AWSService] = [.ec2, .iam, .sts, .eks, .sqs, .events, .ssm, .dynamodb, .kms, .logs, .elbv2, .elb, .tagging]

    /// Looks a service up by botocore name, botocore's hyphenated alias (`eventbridge`,
    /// `cloudwatch-logs`) or service id (`elastic-load-balancing-v2`), case-insensitively.
    public static func named(_ name: String) -> AWSService? {
        let key = name.lowercased().replacingOccurrences(of: "_", with: "-")
        let aliases = [
            "eventbridge": "events", "cloudwatch-logs": "logs", "cloudwatchlogs": "logs", "tagging": "resourcegroupstaggingapi",
        ]
        let canonical = aliases[key] ?? key
        return all.first {
            $0.name == canonical || $0.serviceID.lowercased().replacingOccurrences(of: " ", with: "-") == canonical
        }
    }
}
