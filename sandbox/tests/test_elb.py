"""Elastic Load Balancing through the sandbox: ELBv2 and classic ELB routed by the signing scope
and the query's Version, signatures verified, logged under their botocore names; load balancers
hold their subnets, VPC and security groups against EC2 deletes, also for a while after deletion."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from strata_sandbox.elb_ext import ENI_RELEASE_SECONDS

CLUSTER_TAG = {"Key": "elbv2.k8s.aws/cluster", "Value": "prod"}


def code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def network(sbx):
    ec2 = sbx.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.60.{i}.0/24", AvailabilityZone=f"us-east-1{zone}")["Subnet"]["SubnetId"]
        for i, zone in enumerate("ab", start=1)
    ]
    group = ec2.create_security_group(VpcId=vpc, GroupName="k8s-default-web", Description="managed LB SG",
                                      TagSpecifications=[{"ResourceType": "security-group", "Tags": [CLUSTER_TAG]}])
    return ec2, vpc, subnets, group["GroupId"]


def test_elbv2_served_signed_and_logged(signed_sbx):
    ec2, vpc, subnets, group = network(signed_sbx)
    elbv2 = signed_sbx.client("elbv2")
    lb = elbv2.create_load_balancer(
        Name="k8s-default-web", Subnets=subnets, SecurityGroups=[group],
        Scheme="internet-facing", Type="application", Tags=[CLUSTER_TAG])["LoadBalancers"][0]
    assert lb["VpcId"] == vpc
    tg = elbv2.create_target_group(Name="k8s-default-web-80", Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip",
                                   Tags=[CLUSTER_TAG])["TargetGroups"][0]
    listed = elbv2.describe_load_balancers(PageSize=1)
    assert [b["LoadBalancerArn"] for b in listed["LoadBalancers"]] == [lb["LoadBalancerArn"]]
    tags = elbv2.describe_tags(ResourceArns=[lb["LoadBalancerArn"], tg["TargetGroupArn"]])["TagDescriptions"]
    assert {t["ResourceArn"]: t["Tags"] for t in tags} == {lb["LoadBalancerArn"]: [CLUSTER_TAG],
                                                          tg["TargetGroupArn"]: [CLUSTER_TAG]}

    # A wrong secret is refused with the query protocol's envelope, before moto sees it.
    forged = signed_sbx.client("elbv2", secret="not-the-secret")
    with pytest.raises(ClientError) as e:
        forged.describe_load_balancers()
    assert code(e) == "SignatureDoesNotMatch"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    # Logged as elbv2 (not the shared signing name), with the request id the answer carried.
    logged = signed_sbx.requests(service="elbv2")
    assert [r["action"] for r in logged] == ["CreateLoadBalancer", "CreateTargetGroup", "DescribeLoadBalancers",
                                            "DescribeTags", "DescribeLoadBalancers"]
    assert [r["status"] for r in logged][-1] == 403
    assert logged[2]["request_id"] == listed["ResponseMetadata"]["RequestId"]


def test_classic_elb_served_as_elb(signed_sbx):
    _, vpc, subnets, group = network(signed_sbx)
    elb = signed_sbx.client("elb")
    elb.create_load_balancer(LoadBalancerName="a1b2c3", Subnets=subnets[:1], SecurityGroups=[group],
                             Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 80, "InstancePort": 30080}],
                             Tags=[{"Key": "kubernetes.io/cluster/prod", "Value": "owned"}])
    described = elb.describe_load_balancers()["LoadBalancerDescriptions"]
    assert [(d["LoadBalancerName"], d["VPCId"]) for d in described] == [("a1b2c3", vpc)]
    tags = elb.describe_tags(LoadBalancerNames=["a1b2c3"])["TagDescriptions"][0]["Tags"]
    assert tags == [{"Key": "kubernetes.io/cluster/prod", "Value": "owned"}]
    assert [r["action"] for r in signed_sbx.requests(service="elb")] == [
        "CreateLoadBalancer", "DescribeLoadBalancers", "DescribeTags"]
    assert signed_sbx.requests(service="elbv2") == []


def test_throttling_uses_the_query_envelope(sbx):
    sbx.control("POST", "faults", {"service": "elbv2", "action": "DescribeLoadBalancers", "throttle_rate": 1.0,
                                   "count": 1})
    with pytest.raises(ClientError) as e:
        sbx.client("elbv2").describe_load_balancers()
    assert code(e) == "Throttling"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert sbx.client("elbv2").describe_load_balancers()["LoadBalancers"] == []


@pytest.mark.parametrize("kind", ["application", "network", "classic"])
def test_load_balancer_holds_its_network_until_released(sbx, kind):
    ec2, vpc, subnets, group = network(sbx)
    if kind == "classic":
        elb = sbx.client("elb")
        elb.create_load_balancer(LoadBalancerName="a1b2c3", Subnets=subnets, SecurityGroups=[group],
                                 Listeners=[{"Protocol": "TCP", "LoadBalancerPort": 80, "InstancePort": 30080}])
        delete = lambda: elb.delete_load_balancer(LoadBalancerName="a1b2c3")  # noqa: E731
    else:
        elbv2 = sbx.client("elbv2")
        arn = elbv2.create_load_balancer(Name="k8s-default-web", Subnets=subnets, SecurityGroups=[group],
                                         Type=kind)["LoadBalancers"][0]["LoadBalancerArn"]
        delete = lambda: elbv2.delete_load_balancer(LoadBalancerArn=arn)  # noqa: E731

    def refused_everywhere():
        for attempt in (lambda: ec2.delete_subnet(SubnetId=subnets[0]),
                        lambda: ec2.delete_security_group(GroupId=group)):
            with pytest.raises(ClientError) as e:
                attempt()
            assert code(e) == "DependencyViolation"

    refused_everywhere()
    # Deleted, but its network interfaces are still being released: still refused.
    sbx.control("POST", "clock", {"freeze": True})
    delete()
    refused_everywhere()
    sbx.control("POST", "clock", {"advance_aws_seconds": ENI_RELEASE_SECONDS + 1})
    ec2.delete_security_group(GroupId=group)
    for subnet in subnets:
        ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)
