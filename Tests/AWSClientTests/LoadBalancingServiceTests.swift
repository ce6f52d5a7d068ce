import AWSClient
import Foundation
import Testing

/// ELBv2 and classic ELB: two APIs on one endpoint and one signing name, told apart by the
/// query's Version; each with its own service id for `AWS_ENDPOINT_URL_<SERVICE>` (botocore's
/// `elbv2`/2015-12-01 and `elb`/2012-06-01 metadata).
@Suite struct LoadBalancingServiceTests {
    @Test func bothAPIsShareTheEndpointAndSigningNameButNotTheVersion() throws {
        #expect(
            AWSService.elbv2.defaultEndpoint(region: "eu-west-1").absoluteString
                == "https://elasticloadbalancing.eu-west-1.amazonaws.com")
        #expect(
            AWSService.elb.defaultEndpoint(region: "eu-west-1").absoluteString
                == "https://elasticloadbalancing.eu-west-1.amazonaws.com")
        #expect(
            AWSService.elbv2.signingName == "elasticloadbalancing"
                && AWSService.elb.signingName == "elasticloadbalancing")
        #expect(AWSService.elbv2.signingRegion(for: "eu-west-1") == "eu-west-1")
        #expect(AWSService.elbv2 != AWSService.elb)
        let body = String(decoding: AWSOperation.query(.elbv2, action: "DescribeLoadBalancers").body, as: UTF8.self)
        #expect(body == "Action=DescribeLoadBalancers&Version=2015-12-01")
        let classic = String(decoding: AWSOperation.query(.elb, action: "DescribeLoadBalancers").body, as: UTF8.self)
        #expect(classic == "Action=DescribeLoadBalancers&Version=2012-06-01")
    }

    @Test func lookedUpByBotocoreNameOrServiceID() {
        #expect(AWSService.named("elbv2") == .elbv2)
        #expect(AWSService.named("elastic-load-balancing-v2") == .elbv2)
        #expect(AWSService.named("elb") == .elb)
        #expect(AWSService.named("Elastic-Load-Balancing") == .elb)
        #expect(AWSService.elbv2.endpointEnvironmentSuffix == "ELASTIC_LOAD_BALANCING_V2")
        #expect(AWSService.elb.endpointEnvironmentSuffix == "ELASTIC_LOAD_BALANCING")
    }

    @Test func endpointOverridesFollowTheSDKsNames() throws {
        let config = SharedConfig(
            configText: """
                [profile lb]
                services = local-lb
                [services local-lb]
                elastic_load_balancing_v2 =
                  endpoint_url = http://127.0.0.1:4713
                """, credentialsText: "")
        let settings = AWSSettings(
            environment: [
                "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2": "http://127.0.0.1:4711",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:4710",
            ],
            config: config)
        #expect(try settings.endpoint(for: .elbv2, region: "us-east-1").absoluteString == "http://127.0.0.1:4711")
        #expect(try settings.endpoint(for: .elb, region: "us-east-1").absoluteString == "http://127.0.0.1:4710")
        let profile = AWSSettings(environment: ["AWS_PROFILE": "lb"], config: config)
        #expect(try profile.endpoint(for: .elbv2, region: "us-east-1").absoluteString == "http://127.0.0.1:4713")
        #expect(
            try profile.endpoint(for: .elb, region: "us-east-1").absoluteString
                == "https://elasticloadbalancing.us-east-1.amazonaws.com")
        #expect(
            try AWSSettings(environment: [:], config: SharedConfig()).endpoint(for: .elbv2, region: "cn-north-1")
                .absoluteString
                == "https://elasticloadbalancing.cn-north-1.amazonaws.com.cn")
    }
}
