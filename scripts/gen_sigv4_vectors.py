#!/usr/bin/env python3
"""Generate SigV4 test vectors with botocore as the reference signer.

Writes Tests/AWSSignerTests/Fixtures/botocore-vectors.json: requests varied over services (S3
among them), regions, methods, paths with reserved characters and Unicode, query parameters with
reserved characters, headers with odd whitespace and repeats, session tokens, bodies, and both
header signing and query presigning; each with botocore's canonical request, string to sign,
signature and signed result. The generator is deterministic (fixed seed): rerunning it with the
same botocore gives the same file.

    python3 scripts/gen_sigv4_vectors.py [--count N] [--seed S] [--out PATH]
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import random
import sys
from unittest import mock

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.utils import percent_encode

SERVICES = [
    ("ec2", "ec2.{region}.amazonaws.com"),
    ("iam", "iam.amazonaws.com"),
    ("sts", "sts.{region}.amazonaws.com"),
    ("eks", "eks.{region}.amazonaws.com"),
    ("sqs", "sqs.{region}.amazonaws.com"),
    ("dynamodb", "dynamodb.{region}.amazonaws.com"),
    ("ssm", "ssm.{region}.amazonaws.com"),
    ("kms", "kms.{region}.amazonaws.com"),
    ("events", "events.{region}.amazonaws.com"),
    ("execute-api", "abc123.execute-api.{region}.amazonaws.com"),
    ("lambda", "lambda.{region}.amazonaws.com"),
    ("autoscaling", "autoscaling.{region}.amazonaws.com"),
    ("s3", "s3.{region}.amazonaws.com"),
    ("s3", "my-bucket.s3.{region}.amazonaws.com"),
    ("s3", "s3.amazonaws.com"),
]
LOCAL_HOSTS = ["127.0.0.1:4599", "localhost:4566", "127.0.0.1:80", "EXAMPLE.Amazonaws.COM"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "us-gov-west-1",
           "cn-north-1", "sa-east-1"]
METHODS = ["GET", "GET", "POST", "POST", "PUT", "DELETE", "HEAD", "PATCH"]
PATH_SEGMENTS = [
    "clusters", "my-cluster", "2015-11-01", "a b", "key+with+plus", "ünïcödé", "ключ", "日本語", "😀",
    "~user", "file.tar.gz", "!*'()", "semi;colon", "colon:at@", "amp&eq=", "dollar$comma,", "percent%41",
    "tilde~dash-under_score.dot", "UPPER", "..", ".", "", "[brackets]", "quote\"", "back\\slash", "hash#",
    "question?",
]
QUERY_NAMES = ["Action", "Version", "maxResults", "nextToken", "prefix", "list-type", "Filter.1.Name",
               "Filter.1.Value.1", "a b", "ünï", "key=with=eq", "amp&", "plus+", "tilde~", "Z", "a", "_x",
               "X-Custom", "empty"]
QUERY_VALUES = ["DescribeInstances", "2016-11-15", "10", "", "a b c", "tag:Name", "日本", "!*'();:@&=+$,/?#[]",
                "value/with/slashes", "eyJ0b2tlbiI6ICJhYmMifQ==", "~-._", "100%", "UPPER lower", "😀"]
HEADER_CHOICES = [
    ("Content-Type", ["application/x-amz-json-1.1", "application/json", "text/plain; charset=utf-8",
                      "application/x-www-form-urlencoded; charset=utf-8"]),
    ("X-Amz-Target", ["DynamoDB_20120810.ListTables", "AmazonSSM.GetParameter", "TrentService.Encrypt"]),
    ("X-Custom-Spaced", ["  leading and trailing  ", "inner   runs   of   spaces", "\ttabs\tinside\t",
                         "\"quoted   value\""]),
    ("x-amz-meta-Owner", ["Team Platform", "ops"]),
    ("My-Header", ["VALUE", "Mixed Case Value"]),
    ("User-Agent", ["strata/0.1 swift"]),
    ("X-Amzn-Trace-Id", ["Root=1-5759e988-bd862e3fe1be46a994272793"]),
    ("Expect", ["100-continue"]),
    ("Accept", ["application/json", "*/*"]),
    ("Content-Encoding", ["gzip", "identity"]),
    ("x-amz-acl", ["private", "bucket-owner-full-control"]),
    ("Range", ["bytes=0-99"]),
]
TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


class Recording:
    """Mixin that keeps what botocore computed at each stage."""

    def canonical_request(self, request):
        self.recorded_canonical_request = super().canonical_request(request)
        return self.recorded_canonical_request

    def string_to_sign(self, request, canonical_request):
        self.recorded_string_to_sign = super().string_to_sign(request, canonical_request)
        return self.recorded_string_to_sign

    def signature(self, string_to_sign, request):
        self.recorded_signature = super().signature(string_to_sign, request)
        return self.recorded_signature


class HeaderAuth(Recording, botocore.auth.SigV4Auth):
    pass


class S3HeaderAuth(Recording, botocore.auth.S3SigV4Auth):
    pass


class QueryAuth(Recording, botocore.auth.SigV4QueryAuth):
    pass


class S3QueryAuth(Recording, botocore.auth.S3SigV4QueryAuth):
    pass


def random_token(rng, length):
    return "".join(rng.choice(TOKEN_ALPHABET) for _ in range(length))


def random_credentials(rng, with_token):
    akid = ("ASIA" if with_token else "AKIA") + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
                                                       for _ in range(16))
    secret = random_token(rng, 40)
    token = None
    if with_token:
        token = "IQoJb3JpZ2luX2VjE" + random_token(rng, rng.randint(100, 400)) + "=="
    return akid, secret, token


def random_timestamp(rng):
    choices = [
        datetime.datetime(2024, 2, 29, 23, 59, 59),
        datetime.datetime(2015, 8, 30, 12, 36, 0),
        datetime.datetime(2030, 12, 31, 0, 0, 0),
        datetime.datetime(2026, 1, 1, 0, 0, 1),
    ]
    if rng.random() < 0.2:
        return rng.choice(choices)
    start = datetime.datetime(2015, 1, 1)
    return start + datetime.timedelta(seconds=rng.randint(0, 16 * 365 * 86400))


def random_path(rng, service):
    if rng.random() < 0.15:
        return "/"
    segments = [rng.choice(PATH_SEGMENTS) for _ in range(rng.randint(1, 4))]
    raw = "/" + "/".join(segments)
    if rng.random() < 0.2:
        raw += "/"
    if service != "s3" and rng.random() < 0.15:
        raw = "/" + raw  # a leading double slash, normalised away for every service but S3
    # The wire form, as botocore's serializers build it: everything but unreserved characters,
    # '/' and '~' percent-encoded. '.' and '..' segments are kept; the signer normalises them.
    return percent_encode(raw, safe="/~")


def random_query(rng, mode, service):
    if rng.random() < 0.3:
        return ""
    pairs = []
    names_used = set()
    for _ in range(rng.randint(1, 5)):
        name = rng.choice(QUERY_NAMES)
        if mode == "query" and name in names_used:
            continue  # botocore's presigner keeps one value per name
        names_used.add(name)
        pairs.append((name, rng.choice(QUERY_VALUES)))
    if mode == "header" and rng.random() < 0.2 and pairs:
        pairs.append((pairs[0][0], rng.choice(QUERY_VALUES)))  # a repeated name
    parts = []
    for name, value in pairs:
        if value == "" and rng.random() < 0.5 and mode == "header":
            parts.append(percent_encode(name))  # a bare name, e.g. S3's `?acl`
        else:
            parts.append(f"{percent_encode(name)}={percent_encode(value)}")
    return "&".join(parts)


def random_headers(rng):
    headers = []
    for name, values in rng.sample(HEADER_CHOICES, rng.randint(0, 5)):
        headers.append((name, rng.choice(values)))
    if rng.random() < 0.2:
        headers.append(("X-Dup", "first"))
        headers.append(("x-dup", "  second  "))
    return headers


def random_body(rng, method):
    if method in ("GET", "HEAD", "DELETE") or rng.random() < 0.25:
        return b""
    kind = rng.randrange(4)
    if kind == 0:
        return json.dumps({"name": "cluster-" + str(rng.randint(1, 999)), "tags": {"env": "prod"}}).encode()
    if kind == 1:
        return b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fx"
    if kind == 2:
        return bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
    return "ünïcödé body — 日本語 😀".encode()


def make_request(method, url, headers, body):
    request = AWSRequest(method=method, url=url, data=body)
    for name, value in headers:
        request.headers[name] = value  # HTTPHeaders appends: repeated names are kept
    return request


def vector(rng, index):
    service, host_template = rng.choice(SERVICES)
    region = rng.choice(REGIONS)
    scheme = "https"
    host = host_template.format(region=region)
    if rng.random() < 0.08:
        host = rng.choice(LOCAL_HOSTS)
        scheme = "http"
    mode = "query" if rng.random() < 0.35 else "header"
    method = rng.choice(METHODS)
    with_token = rng.random() < 0.45
    akid, secret, token = random_credentials(rng, with_token)
    timestamp = random_timestamp(rng)
    path = random_path(rng, service)
    query = random_query(rng, mode, service)
    headers = random_headers(rng)
    body = random_body(rng, method) if mode == "header" else b""
    url = f"{scheme}://{host}{path}" + (f"?{query}" if query else "")
    is_s3 = service == "s3"
    credentials = Credentials(akid, secret, token)

    case = {
        "name": f"{index:03d}-{mode}-{service}-{method.lower()}",
        "mode": mode,
        "service": service,
        "region": region,
        "method": method,
        "url": url,
        "headers": [[n, v] for n, v in headers],
        "body_base64": base64.b64encode(body).decode(),
        "credentials": {"access_key_id": akid, "secret_access_key": secret, "session_token": token},
        "timestamp": timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }

    request_headers = list(headers)
    context = {}
    if mode == "header":
        # What the Swift signer is asked to do, and how botocore is made to do the same.
        if is_s3:
            payload = "unsigned" if (scheme == "https" and rng.random() < 0.4) else "signed"
            sign_payload_header = True
            auth = S3HeaderAuth(credentials, service, region)
            context["client_config"] = Config(s3={"payload_signing_enabled": payload == "signed"})
        else:
            choice = rng.randrange(3) if scheme == "https" else rng.choice([0, 2])
            if choice == 0:
                payload, sign_payload_header = "signed", False
            elif choice == 1:
                payload, sign_payload_header = "unsigned", True
                context["payload_signing_enabled"] = False
            else:
                payload, sign_payload_header = "signed", True
                # botocore signs a present x-amz-content-sha256 like any header; the Swift signer
                # is asked to add it (signPayloadHeader), so it is not among the recorded inputs.
                request_headers.append(("X-Amz-Content-SHA256", hashlib.sha256(body).hexdigest()))
            auth = HeaderAuth(credentials, service, region)
        case["payload"] = payload
        case["sign_payload_header"] = sign_payload_header
    else:
        expires = rng.choice([60, 900, 3600, 86400, 604800, rng.randint(1, 604800)])
        if service == "sts" and rng.random() < 0.5:
            # The shape of an EKS token: presigned GetCallerIdentity with the cluster name signed.
            method = "GET"
            case["method"] = method
            url = f"https://sts.{region}.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"
            case["url"] = url
            request_headers = [("x-k8s-aws-id", f"cluster-{rng.randint(1, 99)}")]
            case["headers"] = [list(h) for h in request_headers]
            expires = 60
        # botocore's presigner drops this one content type (its own query-protocol default) before
        # signing; strata signs what the caller gives, so presign vectors leave it out.
        request_headers = [h for h in request_headers
                           if h != ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]
        case["headers"] = [list(h) for h in request_headers]
        case["expires"] = expires
        case["payload"] = "unsigned" if is_s3 else "signed"
        auth = (S3QueryAuth if is_s3 else QueryAuth)(credentials, service, region, expires=expires)

    request = make_request(method, url, request_headers, body)
    request.context.update(context)
    with mock.patch("botocore.auth.get_current_datetime", return_value=timestamp):
        auth.add_auth(request)

    expected = {
        "canonical_request": auth.recorded_canonical_request,
        "string_to_sign": auth.recorded_string_to_sign,
        "signature": auth.recorded_signature,
    }
    if mode == "header":
        expected["headers"] = [[n, v] for n, v in request.headers.items()]
    else:
        expected["url"] = request.url
    case["expected"] = expected
    return case


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=260)
    parser.add_argument("--seed", type=int, default=20261128)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--out", default=os.path.join(root, "Tests/AWSSignerTests/Fixtures/botocore-vectors.json"))
    args = parser.parse_args()

    rng = random.Random(args.seed)
    vectors = [vector(rng, i) for i in range(args.count)]
    document = {
        "generator": "scripts/gen_sigv4_vectors.py",
        "reference": f"botocore {botocore.__version__}",
        "seed": args.seed,
        "count": len(vectors),
        "vectors": vectors,
    }
    # One vector a line: small diffs when botocore or the generator changes.
    header = {k: v for k, v in document.items() if k != "vectors"}
    lines = [json.dumps(header, ensure_ascii=False)[:-1] + ', "vectors": [']
    lines += [json.dumps(v, ensure_ascii=False) + ("," if i + 1 < len(vectors) else "") for i, v in enumerate(vectors)]
    lines.append("]}")
    with open(args.out, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")
    modes = {m: sum(1 for v in vectors if v["mode"] == m) for m in ("header", "query")}
    s3 = sum(1 for v in vectors if v["service"] == "s3")
    print(f"wrote {len(vectors)} vectors ({modes['header']} header, {modes['query']} query, {s3} s3) to {args.out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
