"""The sandbox process: startup, control endpoints, request ids, AWS-shaped errors, seeding."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys

import pytest
from botocore.exceptions import ClientError

from conftest import SANDBOX_DIR, free_port


def test_wait_ready_fails_after_its_timeout_when_nothing_listens():
    port = free_port()
    rc = subprocess.call([sys.executable, str(SANDBOX_DIR / "wait_ready.py"), f"http://127.0.0.1:{port}", "0.5"],
                         stderr=subprocess.DEVNULL)
    assert rc != 0


def test_health_and_unknown_control_endpoint(sbx):
    status, doc = sbx.control("GET", "health")
    assert status == 200 and doc["status"] == "ok" and doc["verify_signatures"] is False
    status, doc = sbx.control("GET", "nope")
    assert status == 404


def test_reset_clears_state_and_reseeds_ssm(sbx):
    ec2 = sbx.client("ec2")
    ec2.create_vpc(CidrBlock="10.1.0.0/16")
    assert len(ec2.describe_vpcs()["Vpcs"]) == 2  # plus the default VPC
    sbx.reset()
    assert len(ec2.describe_vpcs()["Vpcs"]) == 1
    ssm = sbx.client("ssm")
    for name in (
        "/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/image_id",
        "/aws/service/eks/optimized-ami/1.33/amazon-linux-2023/arm64/standard/recommended/release_version",
        "/aws/service/eks/optimized-ami/1.28/amazon-linux-2/recommended/image_id",
        "/aws/service/bottlerocket/aws-k8s-1.32/x86_64/latest/image_id",
    ):
        value = ssm.get_parameter(Name=name)["Parameter"]["Value"]
        assert value.startswith("ami-") or value.startswith("1.33.")
    # Other regions are seeded on first use, with their own AMI ids.
    other = sbx.client("ssm", region="eu-west-1").get_parameter(
        Name="/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/image_id")
    assert other["Parameter"]["Value"] != ssm.get_parameter(
        Name="/aws/service/eks/optimized-ami/1.31/amazon-linux-2023/x86_64/standard/recommended/image_id"
    )["Parameter"]["Value"]
    # The AMIs the parameters name exist in EC2 too, owned by the EKS AMI account.
    ami = ssm.get_parameter(
        Name="/aws/service/eks/optimized-ami/1.32/amazon-linux-2023/arm64/standard/recommended/image_id"
    )["Parameter"]["Value"]
    image = sbx.client("ec2").describe_images(ImageIds=[ami])["Images"][0]
    assert (image["OwnerId"], image["Architecture"]) == ("602401143452", "arm64")
    assert image["Name"] == "amazon-eks-node-al2023-arm64-standard-1.32-v20250715"
    by_path = ssm.get_parameters_by_path(Path="/aws/service/eks/optimized-ami/1.31", Recursive=True)
    assert len(by_path["Parameters"]) >= 4
    # No AL2 AMIs from 1.33 on, as on AWS.
    with pytest.raises(ClientError) as e:
        ssm.get_parameter(Name="/aws/service/eks/optimized-ami/1.33/amazon-linux-2/recommended/image_id")
    assert e.value.response["Error"]["Code"] == "ParameterNotFound"


def test_aws_managed_policy_attachable(sbx):
    iam = sbx.client("iam")
    iam.create_role(RoleName="eks", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"},
                                                "Action": "sts:AssumeRole"}]}))
    iam.attach_role_policy(RoleName="eks", PolicyArn="arn:aws:iam::aws:policy/AmazonEKSClusterPolicy")
    attached = iam.list_attached_role_policies(RoleName="eks")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonEKSClusterPolicy"]
    # Service-linked roles get AWS's names (moto's own would be AWSServiceRoleForeks, ...ForSpot).
    for service, name in (("eks.amazonaws.com", "AWSServiceRoleForAmazonEKS"),
                          ("eks-nodegroup.amazonaws.com", "AWSServiceRoleForAmazonEKSNodegroup"),
                          ("spot.amazonaws.com", "AWSServiceRoleForEC2Spot")):
        role = iam.create_service_linked_role(AWSServiceName=service)["Role"]
        assert role["RoleName"] == name and role["Path"] == f"/aws-service-role/{service}/"


def test_request_ids_in_header_and_xml_body(sbx):
    ec2 = sbx.client("ec2")
    ok = ec2.describe_vpcs()
    rid = ok["ResponseMetadata"]["RequestId"]
    assert len(rid) == 36 and ok["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"] == rid
    with pytest.raises(ClientError) as e:
        ec2.describe_vpcs(VpcIds=["vpc-0bad"])
    err = e.value.response
    assert err["Error"]["Code"] == "InvalidVpcID.NotFound"
    assert err["ResponseMetadata"]["RequestId"] not in ("", "request-id")
    assert len(err["ResponseMetadata"]["RequestId"]) == 36
    logged = {r["request_id"] for r in sbx.requests(service="ec2")}
    assert {rid, err["ResponseMetadata"]["RequestId"]} <= logged


def test_unimplemented_operations_answer_aws_errors_not_html(sbx):
    with pytest.raises(ClientError) as e:
        sbx.client("ec2").describe_capacity_reservations()
    assert e.value.response["Error"]["Code"] == "InvalidAction"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as e:
        sbx.client("iam").simulate_principal_policy(PolicySourceArn="arn:aws:iam::123456789012:role/x",
                                                    ActionNames=["s3:GetObject"])
    assert e.value.response["Error"]["Code"] == "InvalidAction"
    # A raw request nobody serves: still an AWS error, with a request id.
    conn = http.client.HTTPConnection("127.0.0.1", sbx.proc.port, timeout=10)
    conn.request("POST", "/", body="Action=NoSuchThing&Version=2016-11-15",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    resp = conn.getresponse()
    body = resp.read()
    assert resp.status == 400 and b"<Code>InvalidAction</Code>" in body and b"<html" not in body.lower()
    assert resp.getheader("x-amzn-RequestId")


def test_keep_alive_and_request_log(sbx):
    conn = http.client.HTTPConnection("127.0.0.1", sbx.proc.port, timeout=10)
    for _ in range(3):
        conn.request("GET", "/_sandbox/health")
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200 and resp.version == 11
    sock = conn.sock
    conn.request("GET", "/_sandbox/health")
    conn.getresponse().read()
    assert conn.sock is sock  # the same connection served all four

    sbx.control("DELETE", "requests")
    eks = sbx.client("eks")
    for _ in range(3):
        eks.list_clusters()
    sbx.client("sts").get_caller_identity()
    logged = sbx.requests()
    assert [(r["service"], r["action"]) for r in logged] == [("eks", "ListClusters")] * 3 + \
        [("sts", "GetCallerIdentity")]
    entry = logged[0]
    assert entry["status"] == 200 and entry["method"] == "GET" and entry["path"] == "/clusters"
    assert entry["access_key_id"] == "test" and "secret" not in json.dumps(entry).lower()
    assert "authorization" not in json.dumps(entry).lower()
    assert len(sbx.requests(action="ListClusters")) == 3
    sbx.control("DELETE", "requests")
    assert sbx.requests() == []


def test_clock_advance_drives_lifecycles(sbx):
    ec2 = sbx.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.2.0.0/24")["Subnet"]["SubnetId"]
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=alloc)["NatGateway"]["NatGatewayId"]
    status, doc = sbx.control("POST", "clock", {"advance_aws_seconds": 120})
    assert status == 200 and doc["offset_s"] > 0
    assert ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"] == "available"


def test_reset_clears_faults_and_log(sbx):
    sbx.control("POST", "faults", {"service": "ec2", "latency_ms": 1})
    sbx.client("sts").get_caller_identity()
    assert sbx.requests()
    sbx.reset()
    assert sbx.requests() == []
    assert sbx.control("GET", "faults")[1]["rules"] == []


def test_parallel_requests_are_all_served(sbx):
    from concurrent.futures import ThreadPoolExecutor

    ec2 = sbx.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]
    sbx.control("DELETE", "requests")

    def work(i: int) -> str:
        client = sbx.client("ec2")
        sid = client.create_subnet(VpcId=vpc, CidrBlock=f"10.70.{i}.0/24")["Subnet"]["SubnetId"]
        client.describe_subnets(SubnetIds=[sid])
        sbx.client("eks").list_clusters()
        return sid

    with ThreadPoolExecutor(max_workers=12) as pool:
        ids = list(pool.map(work, range(24)))
    assert len(set(ids)) == 24
    assert len(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]) == 24
    logged = sbx.requests()
    assert len(logged) == 72 + 1 and all(r["status"] == 200 for r in logged)
    assert len({r["request_id"] for r in logged}) == len(logged)


def test_unsigned_requests_use_the_default_region_in_process():
    """The WSGI app itself, without a server: an unsigned request (allowed without
    --verify-signatures) lands in --region-default, and is identified by its API version."""
    import os

    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    from werkzeug.test import Client

    from strata_sandbox.app import Sandbox

    app = Sandbox(time_scale=0.01, region_default="eu-west-1")
    try:
        app.reset()
        client = Client(app)
        resp = client.post("/", data="Action=DescribeAvailabilityZones&Version=2016-11-15",
                           content_type="application/x-www-form-urlencoded")
        assert resp.status_code == 200 and b"eu-west-1a" in resp.data
        assert resp.headers["x-amzn-RequestId"] in resp.get_data(as_text=True)
        entry = app.log.query()[-1]
        assert (entry["service"], entry["action"], entry["region"]) == ("ec2", "DescribeAvailabilityZones",
                                                                       "eu-west-1")
        resp = client.get("/clusters")  # EKS, known by its route
        assert resp.status_code == 200 and resp.json == {"clusters": []}
    finally:
        app.scheduler.stop()
        app.kube.reset()
