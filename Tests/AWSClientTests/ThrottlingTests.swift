import AWSClient
import Foundation
import Testing

/// Which of EC2's buckets a call draws from: one per action, sized by the action's category.
@Suite struct EC2RequestBucketTests {
    let ec2 = EC2RequestBuckets.documented

    func bucket(_ action: String, _ parameters: [(name: String, value: String)] = []) -> (key: String, limit: RateLimit)
    {
        RateLimits.standard.bucket(for: .query(.ec2, action: action, parameters: parameters))
    }

    @Test func eachActionHasABucketOfItsOwnSizedByItsCategory() {
        #expect(bucket("CreateSubnet").key == "ec2/CreateSubnet")
        #expect(bucket("CreateSecurityGroup").key == "ec2/CreateSecurityGroup")
        #expect(bucket("CreateSubnet").limit == RateLimit(ratePerSecond: 5, burst: 50))
        #expect(bucket("DescribeVpcs").key == "ec2/DescribeVpcs")
        #expect(bucket("DescribeVpcs").limit == RateLimit(ratePerSecond: 20, burst: 100))
        #expect(ec2.category(of: "DescribeVpcs", filteredOrPaginated: false) == .nonMutating)
        #expect(ec2.category(of: "CreateVpc", filteredOrPaginated: false) == .mutating)
        #expect(ec2.category(of: "AuthorizeSecurityGroupIngress", filteredOrPaginated: false) == .resourceIntensive)
        #expect(ec2.category(of: "CreateTags", filteredOrPaginated: false) == .uncategorized)
    }

    @Test func uncategorizedActionsHaveTheirOwnSizes() {
        #expect(bucket("CreateTags").limit == RateLimit(ratePerSecond: 10, burst: 100))
        #expect(bucket("CreateNatGateway").limit == RateLimit(ratePerSecond: 1, burst: 10))
        #expect(bucket("DeleteNatGateway").limit == RateLimit(ratePerSecond: 1, burst: 10))
        #expect(bucket("RunInstances").limit == RateLimit(ratePerSecond: 2, burst: 5))
        #expect(bucket("TerminateInstances").limit == RateLimit(ratePerSecond: 5, burst: 100))
        #expect(bucket("CreateVpcEndpoint").limit == RateLimit(ratePerSecond: 0.3, burst: 4))
        // A describe of its own size is not a non-mutating one.
        #expect(bucket("DescribeSpotFleetRequests").limit == RateLimit(ratePerSecond: 3, burst: 50))
    }

    @Test func theSevenDescribesUseTheSmallerBucketOnlyWithoutFilterOrPages() {
        let unfiltered = bucket("DescribeSecurityGroups")
        #expect(unfiltered.key == "ec2/DescribeSecurityGroups (unfiltered)")
        #expect(unfiltered.limit == RateLimit(ratePerSecond: 10, burst: 50))
        let filtered = bucket(
            "DescribeSecurityGroups",
            [(name: "Filter.1.Name", value: "vpc-id"), (name: "Filter.1.Value.1", value: "vpc-1")])
        #expect(filtered.key == "ec2/DescribeSecurityGroups")
        #expect(filtered.limit == RateLimit(ratePerSecond: 20, burst: 100))
        #expect(
            bucket("DescribeInstances", [(name: "MaxResults", value: "1000")]).limit
                == RateLimit(ratePerSecond: 20, burst: 100))
        #expect(
            bucket("DescribeInstances", [(name: "NextToken", value: "t")]).limit
                == RateLimit(ratePerSecond: 20, burst: 100))
        // Ids alone are neither a filter nor pagination.
        #expect(
            bucket("DescribeInstances", [(name: "InstanceId.1", value: "i-1")]).limit
                == RateLimit(ratePerSecond: 10, burst: 50))
        // Other describes never use it.
        #expect(bucket("DescribeSubnets").limit == RateLimit(ratePerSecond: 20, burst: 100))
    }

    @Test func otherServicesKeepOneBucketPerServiceAndKind() {
        #expect(RateLimits.standard.bucket(for: .query(.iam, action: "CreateRole")).key == "iam/write")
        #expect(RateLimits.standard.bucket(for: .query(.iam, action: "ListRoles")).key == "iam/read")
        #expect(
            RateLimits.standard.bucket(for: .rest(.eks, action: "ListClusters", method: "GET", path: "/clusters")).key
                == "eks/read")
        let withoutPerAction = RateLimits(
            perService: [
                "ec2": (reads: RateLimit(ratePerSecond: 1, burst: 1), writes: RateLimit(ratePerSecond: 2, burst: 2))
            ],
            fallback: (reads: RateLimit(ratePerSecond: 9, burst: 9), writes: RateLimit(ratePerSecond: 9, burst: 9)))
        #expect(withoutPerAction.bucket(for: .query(.ec2, action: "CreateSubnet")).key == "ec2/write")
        #expect(RateLimits.unlimited.ec2 == nil)
    }

    /// The defect: every EC2 write shared one 5/s bucket, so 160 subnets held back 160 security
    /// groups. Now each action spends its own burst.
    @Test func oneActionsBurstDoesNotHoldAnotherBack() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(limits: .standard, now: { clock.now }, sleep: { clock.advance(by: $0) })
        let subnet = AWSOperation.query(.ec2, action: "CreateSubnet")
        for _ in 0..<50 { #expect(try await limiter.acquire(for: subnet) == .zero) }
        #expect(try await limiter.acquire(for: subnet) == .milliseconds(200))
        let group = AWSOperation.query(.ec2, action: "CreateSecurityGroup")
        for _ in 0..<50 { #expect(try await limiter.acquire(for: group) == .zero) }
        let tags = AWSOperation.query(.ec2, action: "CreateTags")
        for _ in 0..<100 { #expect(try await limiter.acquire(for: tags) == .zero) }
        #expect(try await limiter.acquire(for: tags) == .milliseconds(100))
        #expect(clock.now == .milliseconds(300))
    }
}
