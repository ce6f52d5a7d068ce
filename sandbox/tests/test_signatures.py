"""The sandbox started with --verify-signatures, against botocore's signer as the reference."""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
from unittest import mock
from urllib.parse import urlsplit

import pytest
from botocore import UNSIGNED
from botocore.exceptions import ClientError


def err(excinfo) -> tuple[str, int]:
    r = excinfo.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_botocore_signed_requests_pass_for_every_protocol(signed_sbx):
    s = signed_sbx
    s.client("ec2").describe_vpcs()
    s.client("iam").list_roles()
    s.client("sts").get_caller_identity()
    s.client("ssm").describe_parameters()
    s.client("dynamodb").list_tables()
    s.client("sqs").list_queues()
    s.client("kms").list_keys()
    s.client("events").list_rules()
    s.client("logs").describe_log_groups()
    eks = s.client("eks")
    # Body-less GETs (moto's own checker rejects these), with and without a query string,
    # and with a percent-encoded ARN in the path.
    assert eks.list_clusters(maxResults=10)["clusters"] == []
    with pytest.raises(ClientError) as e:
        eks.describe_cluster(name="nope")
    assert err(e) == ("ResourceNotFoundException", 404)
    with pytest.raises(ClientError) as e:
        eks.list_tags_for_resource(resourceArn="arn:aws:eks:us-east-1:123456789012:cluster/nope")
    assert err(e) == ("NotFoundException", 404)


def test_wrong_secret_is_refused_per_protocol(signed_sbx):
    expected = {
        "ec2": (lambda c: c.describe_vpcs(), ("SignatureDoesNotMatch", 403)),
        "iam": (lambda c: c.list_roles(), ("SignatureDoesNotMatch", 403)),
        "sts": (lambda c: c.get_caller_identity(), ("SignatureDoesNotMatch", 403)),
        "eks": (lambda c: c.list_clusters(), ("InvalidSignatureException", 403)),
        "ssm": (lambda c: c.describe_parameters(), ("InvalidSignatureException", 400)),
        "dynamodb": (lambda c: c.list_tables(), ("InvalidSignatureException", 400)),
    }
    for service, (call, want) in expected.items():
        with pytest.raises(ClientError) as e:
            call(signed_sbx.client(service, secret="not-the-secret"))
        assert err(e) == want, service
        assert e.value.response["ResponseMetadata"]["RequestId"]


def test_unknown_key_is_refused(signed_sbx):
    with pytest.raises(ClientError) as e:
        signed_sbx.client("ec2", key="AKIANOBODYATALL00000").describe_vpcs()
    assert err(e) == ("AuthFailure", 401)
    with pytest.raises(ClientError) as e:
        signed_sbx.client("sts", key="AKIANOBODYATALL00000").get_caller_identity()
    assert err(e) == ("InvalidClientTokenId", 403)
    with pytest.raises(ClientError) as e:
        signed_sbx.client("ssm", key="AKIANOBODYATALL00000").describe_parameters()
    assert err(e) == ("UnrecognizedClientException", 400)


def tamper(client, event: str, old: bytes, new: bytes, declare_hash: bool = False):
    """Change the body after botocore signed it (optionally signing x-amz-content-sha256 too)."""
    assert len(old) == len(new)

    def add_hash(request, **_):
        body = request.body.encode() if isinstance(request.body, str) else request.body
        request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()

    def swap(request, **_):
        body = request.body.encode() if isinstance(request.body, str) else request.body
        request.body = body.replace(old, new)

    if declare_hash:
        client.meta.events.register_first(f"before-sign.{event}", add_hash)
    client.meta.events.register(f"before-send.{event}", swap)
    return client


def test_body_tampered_after_signing_is_refused(signed_sbx):
    ec2 = tamper(signed_sbx.client("ec2", fresh=True), "ec2.DescribeVpcs", b"DescribeVpcs", b"DescribeTags")
    with pytest.raises(ClientError) as e:
        ec2.describe_vpcs()
    assert err(e) == ("SignatureDoesNotMatch", 403)
    # moto executes this one: the signed x-amz-content-sha256 still names the original body.
    ec2 = tamper(signed_sbx.client("ec2", fresh=True), "ec2.DescribeVpcs", b"DescribeVpcs", b"DescribeTags",
                 declare_hash=True)
    with pytest.raises(ClientError) as e:
        ec2.describe_vpcs()
    assert err(e) == ("SignatureDoesNotMatch", 403)
    eks = tamper(signed_sbx.client("eks", fresh=True), "eks.CreateCluster", b'"name": "good"', b'"name": "evil"',
                 declare_hash=True)
    with pytest.raises(ClientError) as e:
        eks.create_cluster(name="good", roleArn="arn:aws:iam::123456789012:role/x",
                           resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    assert err(e) == ("InvalidSignatureException", 403)
    assert signed_sbx.client("eks").list_clusters()["clusters"] == []


def test_iam_and_sts_credentials_are_known(signed_sbx):
    iam = signed_sbx.client("iam")
    iam.create_user(UserName="ci")
    key = iam.create_access_key(UserName="ci")["AccessKey"]
    sts = signed_sbx.client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:user/ci"
    iam.delete_access_key(UserName="ci", AccessKeyId=key["AccessKeyId"])
    with pytest.raises(ClientError) as e:
        sts.get_caller_identity()
    assert err(e) == ("InvalidClientTokenId", 403)

    creds = signed_sbx.client("sts").assume_role(RoleArn="arn:aws:iam::123456789012:role/deployer",
                                                 RoleSessionName="apply")["Credentials"]
    ok = signed_sbx.client("ec2", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"],
                           token=creds["SessionToken"])
    ok.describe_vpcs()
    with pytest.raises(ClientError) as e:
        signed_sbx.client("ec2", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"]).describe_vpcs()
    assert err(e) == ("AuthFailure", 401)

    # Web identity needs no signature on AWS either (the token is the credential).
    anon = signed_sbx.client("sts", signature_version=UNSIGNED)
    web = anon.assume_role_with_web_identity(RoleArn="arn:aws:iam::123456789012:role/ci", RoleSessionName="gha",
                                             WebIdentityToken="eyJ" + "a" * 40)["Credentials"]
    signed_sbx.client("eks", key=web["AccessKeyId"], secret=web["SecretAccessKey"],
                      token=web["SessionToken"]).list_clusters()


def test_unsigned_skewed_and_bad_region(signed_sbx):
    conn = http.client.HTTPConnection("127.0.0.1", signed_sbx.proc.port, timeout=10)
    conn.request("POST", "/", body="Action=DescribeVpcs&Version=2016-11-15",
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    resp = conn.getresponse()
    assert resp.status == 401 and b"<Code>MissingAuthenticationToken</Code>" in resp.read()

    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=20)
    with mock.patch("botocore.auth.get_current_datetime", return_value=past.replace(tzinfo=None)):
        with pytest.raises(ClientError) as e:
            signed_sbx.client("ec2").describe_vpcs()
        assert err(e) == ("RequestExpired", 400)
        with pytest.raises(ClientError) as e:
            signed_sbx.client("dynamodb").list_tables()
        assert err(e)[0] == "InvalidSignatureException" and "expired" in str(e.value)

    with pytest.raises(ClientError) as e:
        signed_sbx.client("ec2", region="xx-fake-9").describe_vpcs()
    assert err(e) == ("SignatureDoesNotMatch", 403)


def test_presigned_query_auth(signed_sbx):
    sts = signed_sbx.client("sts")
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    parts = urlsplit(url)
    conn = http.client.HTTPConnection("127.0.0.1", signed_sbx.proc.port, timeout=10)
    conn.request("GET", f"{parts.path}?{parts.query}")
    resp = conn.getresponse()
    body = resp.read()
    assert resp.status == 200 and b"<Arn>" in body
    conn.request("GET", f"{parts.path}?{parts.query.replace('X-Amz-Expires=60', 'X-Amz-Expires=61')}")
    resp = conn.getresponse()
    assert resp.status == 403 and b"SignatureDoesNotMatch" in resp.read()


def test_s3_conditional_write_lock_signed(signed_sbx):
    s3 = signed_sbx.client("s3")
    s3.create_bucket(Bucket="strata-locks")
    s3.put_object(Bucket="strata-locks", Key="prod.lock", Body=b"run-1", IfNoneMatch="*")
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="strata-locks", Key="prod.lock", Body=b"run-2", IfNoneMatch="*")
    assert err(e) == ("PreconditionFailed", 412)
    assert e.value.response["ResponseMetadata"]["RequestId"]
    assert s3.get_object(Bucket="strata-locks", Key="prod.lock")["Body"].read() == b"run-1"
    page = b"<html><body><RequestId>mine</RequestId></body></html>"
    s3.put_object(Bucket="strata-locks", Key="index.html", Body=page, ContentType="text/html")
    assert s3.get_object(Bucket="strata-locks", Key="index.html")["Body"].read() == page  # untouched
    with pytest.raises(ClientError) as e:
        signed_sbx.client("s3", secret="nope").list_buckets()
    assert err(e) == ("SignatureDoesNotMatch", 403)
    with pytest.raises(ClientError) as e:
        signed_sbx.client("s3", key="AKIANOBODYATALL00000").list_buckets()
    assert err(e) == ("InvalidAccessKeyId", 403)
