import AWSClient

/// The Elastic Load Balancing calls strata makes, and only those: both APIs, ELBv2 (`elbv2`,
/// application and network load balancers, target groups) and classic (`elb`). strata declares
/// no load balancer; these read and delete what the Load Balancer Controller and the in-tree
/// cloud provider made for a stack's clusters (the destroy's sweep) and name what blocks a
/// refused network delete. Answers stay in wire form (`<member>` elements); errors are
/// ``AWSError`` unchanged.
public struct ELB: Sendable {
    /// Which of the two APIs.
    public enum API: Sendable, Hashable {
        case v2, classic

        var service: AWSService { self == .v2 ? .elbv2 : .elb }
        /// The parameter naming a load balancer in this API's calls.
        var balancerKey: String { self == .v2 ? "LoadBalancerArn" : "LoadBalancerName" }
    }

    let client: AWSClient
    /// Load balancers and target groups per describe page: AWS's maximum (tests page smaller).
    public var pageSize: Int

    /// AWS's maximum page size for both APIs' describes.
    public static let defaultPageSize = 400

    public init(_ client: AWSClient, pageSize: Int = ELB.defaultPageSize) {
        self.client = client
        self.pageSize = pageSize
    }

    /// Every load balancer of `api` (`DescribeLoadBalancers`, all pages).
    public func loadBalancers(_ api: API) async throws -> [XMLNode] {
        try await listed(api.service, "DescribeLoadBalancers", list: api == .v2 ? "LoadBalancers" : "LoadBalancerDescriptions")
    }

    /// Every ELBv2 target group (`DescribeTargetGroups`, all pages).
    public func targetGroups() async throws -> [XMLNode] {
        try await listed(.elbv2, "DescribeTargetGroups", list: "TargetGroups")
    }

    /// `DescribeTags` of up to 20 load balancers or target groups (ARNs for ELBv2, names for
    /// classic): the `TagDescriptions` members.
    public func tags(_ api: API, of keys: [String]) async throws -> [XMLNode] {
        let list = api == .v2 ? "ResourceArns" : "LoadBalancerNames"
        let parameters = keys.enumerated().map { (name: "\(list).member.\($0.offset + 1)", value: $0.element) }
        return try await client.query(api.service, action: "DescribeTags", parameters: parameters).first(named: "TagDescriptions")?.items
            ?? []
    }

    /// `DeleteLoadBalancer` (an ELBv2 one's listeners and rules go with it); deleting one already
    /// gone succeeds, so a resend after a lost answer is safe.
    public func deleteLoadBalancer(_ api: API, _ key: String) async throws {
        _ = try await client.query(api.service, action: "DeleteLoadBalancer", parameters: [(api.balancerKey, key)], idempotent: true)
    }

    /// `DeleteTargetGroup`; one already gone counts as deleted.
    public func deleteTargetGroup(_ arn: String) async throws {
        do {
            _ = try await client.query(.elbv2, action: "DeleteTargetGroup", parameters: [("TargetGroupArn", arn)])
        } catch let error as AWSError where error.isNotFound {
        }
    }

    /// The `<member>`s of a paginated list, following `NextMarker`.
    private func listed(_ service: AWSService, _ action: String, list: String) async throws -> [XMLNode] {
        try await client.queryItems(
            service, action, [(name: "PageSize", value: String(pageSize))], token: "Marker",
            nextToken: { response in
                let marker = try response.xml().first(named: "NextMarker")?.text
                return marker?.isEmpty == false ? marker : nil
            },
            items: { $0.first(named: list)?.items ?? [] })
    }
}
