"""The SigV4 verifier against the AWS signing test suite and against botocore's signer.

These run in-process (no sandbox server): the verifier is a pure function of the request,
the known keys and the clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pathlib
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from strata_sandbox import sigv4_verify as v

SUITE = pathlib.Path(__file__).resolve().parents[3] / "shared" / "aws-sigv4-test-suite" / "v4"
if not SUITE.exists():  # the worktree may sit elsewhere; fall back to the shared checkout
    SUITE = pathlib.Path("/work/shared/aws-sigv4-test-suite/v4")
CASES = sorted(p.name for p in SUITE.iterdir()) if SUITE.exists() else []

KEYS = {
    "AKIDEXAMPLE": v.Credential("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
    "AKIDTOKEN": v.Credential("AKIDTOKEN", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ("tok-1",)),
    "test": v.Credential("test", "test", (), lenient_token=True),
}


@pytest.fixture(autouse=True)
def _keys():
    v.set_credential_resolver(KEYS.get)
    yield
    v.set_credential_resolver(v._default_resolver)


def parse_http(text: str):
    head, _, body = text.partition("\n\n")
    lines = head.split("\n")
    method, rest = lines[0].split(" ", 1)
    target = rest.rsplit(" ", 1)[0]
    headers: list[list[str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:
            headers[-1][1] += "\n" + line
        else:
            name, _, value = line.partition(":")
            headers.append([name, value])
    path, _, query = target.partition("?")
    return method, path, query, v.header_map((k, val) for k, val in headers), body.encode()


def suite_context(case: str):
    ctx = json.loads((SUITE / case / "context.json").read_text())
    now = dt.datetime.strptime(ctx["timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    creds = ctx["credentials"]
    key = creds["access_key_id"]
    if "token" in creds:
        v.set_credential_resolver(
            lambda k: v.Credential(key, creds["secret_access_key"], (creds["token"],)) if k == key else None
        )
    return ctx, now


@pytest.mark.skipif(not CASES, reason="AWS SigV4 test suite not present")
@pytest.mark.parametrize("case", CASES)
def test_suite_canonical_request_and_header_signature(case):
    ctx, now = suite_context(case)
    method, path, query, headers, body = parse_http((SUITE / case / "request.txt").read_text())
    expected = (SUITE / case / "header-canonical-request.txt").read_text()
    signed_text = (SUITE / case / "header-signed-request.txt").read_text()
    _, _, _, signed_headers, signed_body = parse_http(signed_text)
    auth = signed_headers["authorization"][0]
    signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    payload = expected.rstrip("\n").split("\n")[-1]
    creq = v.canonical_request(
        method, path, query, signed_headers, signed, payload, ctx["service"], normalize=ctx["normalize"]
    )
    assert creq == expected
    # The whole verification passes on the signed request...
    got = v.verify_request(method, path, query, signed_headers, signed_body, now, normalize=ctx["normalize"])
    assert got.access_key_id == ctx["credentials"]["access_key_id"]
    # ...and fails once the signature is off by one character.
    sig = auth.rsplit("Signature=", 1)[1]
    bad = dict(signed_headers)
    bad["authorization"] = [auth.replace(sig, ("0" if sig[0] != "0" else "1") + sig[1:])]
    with pytest.raises(v.SignatureError) as e:
        v.verify_request(method, path, query, bad, signed_body, now, normalize=ctx["normalize"])
    assert e.value.code == "SignatureDoesNotMatch"


@pytest.mark.skipif(not CASES, reason="AWS SigV4 test suite not present")
@pytest.mark.parametrize("case", CASES)
def test_suite_presigned(case):
    ctx, now = suite_context(case)
    if ctx.get("omit_session_token"):
        pytest.skip("token appended after presigning (IoT-style); AWS services sign X-Amz-Security-Token")
    method, path, query, headers, body = parse_http((SUITE / case / "query-signed-request.txt").read_text())
    got = v.verify_request(method, path, query, headers, body, now, normalize=ctx["normalize"])
    assert got.presigned
    later = now + dt.timedelta(seconds=ctx["expiration_in_seconds"] + 1)
    with pytest.raises(v.SignatureError) as e:
        v.verify_request(method, path, query, headers, body, later, normalize=ctx["normalize"])
    assert e.value.code == "RequestExpired"


# ------------------------------------------------------------------ botocore as reference


def botocore_sign(method, url, body=b"", headers=None, key="test", secret="test", token=None,
                  service="eks", region="us-east-1", when=None):
    req = AWSRequest(method=method, url=url, data=body, headers=headers or {})
    signer = SigV4Auth(Credentials(key, secret, token), service, region)
    if when is None:
        signer.add_auth(req)
    else:
        import unittest.mock as m

        with m.patch("botocore.auth.get_current_datetime", return_value=when.replace(tzinfo=None)):
            signer.add_auth(req)
    prepared = req.prepare()
    parts = urlsplit(prepared.url)
    hdrs = v.header_map(list(prepared.headers.items()) + [("host", parts.netloc)])
    return method, parts.path, parts.query, hdrs, prepared.body or b""


def now_utc():
    return dt.datetime.now(dt.timezone.utc)


@pytest.mark.parametrize(
    "method,url,body",
    [
        ("GET", "http://127.0.0.1:4599/clusters", b""),
        ("GET", "http://127.0.0.1:4599/clusters?maxResults=10&nextToken=a%2Fb%3D", b""),
        ("GET", "http://127.0.0.1:4599/tags/arn%3Aaws%3Aeks%3Aus-east-1%3A123456789012%3Acluster%2Fdemo", b""),
        ("POST", "http://127.0.0.1:4599/clusters", b'{"name":"demo","version":"1.31"}'),
        ("POST", "http://127.0.0.1:4599/", b"Action=DescribeVpcs&Version=2016-11-15&Filter.1.Name=tag%3AName"),
        ("DELETE", "http://127.0.0.1:4599/clusters/demo/node-groups/ng%201", b""),
    ],
)
def test_botocore_signed_requests_pass_and_wrong_secret_fails(method, url, body):
    req = botocore_sign(method, url, body)
    assert v.verify_request(*req, now_utc()).access_key_id == "test"
    wrong = botocore_sign(method, url, body, secret="not-the-secret")
    with pytest.raises(v.SignatureError) as e:
        v.verify_request(*wrong, now_utc())
    assert e.value.code == "SignatureDoesNotMatch"


def test_tampered_body_fails_even_with_declared_payload_hash():
    body = b'{"name":"demo"}'
    m, p, q, h, _ = botocore_sign("POST", "http://127.0.0.1:4599/clusters", body,
                                  headers={"x-amz-content-sha256": hashlib.sha256(body).hexdigest()})
    assert v.verify_request(m, p, q, h, body, now_utc())
    with pytest.raises(v.SignatureError) as e:
        v.verify_request(m, p, q, h, b'{"name":"tampered"}', now_utc())
    assert e.value.code == "SignatureDoesNotMatch"
    m, p, q, h, _ = botocore_sign("POST", "http://127.0.0.1:4599/clusters", body)
    with pytest.raises(v.SignatureError):
        v.verify_request(m, p, q, h, b'{"name":"tampered"}', now_utc())


def test_unknown_key_unsigned_and_bad_algorithm():
    with pytest.raises(v.SignatureError) as e:
        v.verify_request(*botocore_sign("GET", "http://h/clusters", key="AKIANOBODY"), now_utc())
    assert e.value.code == "InvalidClientTokenId"
    with pytest.raises(v.SignatureError) as e:
        v.verify_request("GET", "/clusters", "", v.header_map([("host", "h")]), b"", now_utc())
    assert e.value.code == "MissingAuthenticationToken"
    m, p, q, h, b = botocore_sign("GET", "http://h/clusters")
    h["authorization"] = [h["authorization"][0].replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512")]
    with pytest.raises(v.SignatureError) as e:
        v.verify_request(m, p, q, h, b, now_utc())
    assert e.value.code == "IncompleteSignature"
    h["authorization"] = ["AWS4-HMAC-SHA256 Credential=test/20200101/us-east-1/eks/aws4_request"]
    with pytest.raises(v.SignatureError) as e:
        v.verify_request(m, p, q, h, b, now_utc())
    assert e.value.code == "IncompleteSignature"


def test_clock_skew_is_refused_both_ways():
    for delta in (dt.timedelta(minutes=-16), dt.timedelta(minutes=16)):
        req = botocore_sign("GET", "http://h/clusters", when=now_utc() + delta)
        with pytest.raises(v.SignatureError) as e:
            v.verify_request(*req, now_utc())
        assert e.value.code == "RequestExpired"
    req = botocore_sign("GET", "http://h/clusters", when=now_utc() - dt.timedelta(minutes=14))
    assert v.verify_request(*req, now_utc())


def test_session_tokens_are_checked():
    ok = botocore_sign("GET", "http://h/clusters", key="AKIDTOKEN",
                       secret="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token="tok-1")
    assert v.verify_request(*ok, now_utc())
    for token in (None, "tok-2"):
        bad = botocore_sign("GET", "http://h/clusters", key="AKIDTOKEN",
                            secret="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token=token)
        with pytest.raises(v.SignatureError) as e:
            v.verify_request(*bad, now_utc())
        assert e.value.code == "InvalidClientTokenId"


def eks_token_url(key="test", secret="test", cluster="demo", expires=60, token=None):
    """What `aws eks get-token` builds: a presigned STS GetCallerIdentity with x-k8s-aws-id signed."""
    req = AWSRequest(
        method="GET",
        url="https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
        headers={"x-k8s-aws-id": cluster},
    )
    SigV4QueryAuth(Credentials(key, secret, token), "sts", "us-east-1", expires=expires).add_auth(req)
    return req.url


def test_verify_presigned_url_eks_token():
    url = eks_token_url()
    assert v.verify_presigned_url("GET", url, {"x-k8s-aws-id": "demo"}, now_utc()) == "test"
    with pytest.raises(v.SignatureError) as e:
        v.verify_presigned_url("GET", url, {"x-k8s-aws-id": "other"}, now_utc())
    assert e.value.code == "SignatureDoesNotMatch"
    with pytest.raises(v.SignatureError) as e:
        v.verify_presigned_url("GET", url, {"x-k8s-aws-id": "demo"}, now_utc() + dt.timedelta(seconds=61))
    assert e.value.code == "RequestExpired"
    with pytest.raises(v.SignatureError) as e:
        v.verify_presigned_url("GET", eks_token_url(secret="nope"), {"x-k8s-aws-id": "demo"}, now_utc())
    assert e.value.code == "SignatureDoesNotMatch"
    with pytest.raises(v.SignatureError) as e:
        v.verify_presigned_url("GET", eks_token_url(key="AKIANOBODY"), {"x-k8s-aws-id": "demo"}, now_utc())
    assert e.value.code == "InvalidClientTokenId"


def test_unsigned_payload_only_for_s3():
    headers = {"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}
    for service, ok in (("s3", True), ("eks", False)):
        req = botocore_sign("PUT", "http://h/bucket/key", b"data", headers=dict(headers), service=service)
        if ok:
            assert v.verify_request(*req, now_utc()).service == "s3"
        else:
            with pytest.raises(v.SignatureError) as e:
                v.verify_request(*req, now_utc())
            assert e.value.code == "SignatureDoesNotMatch"
