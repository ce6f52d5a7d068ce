"""Which AWS service a request is for, what it is called, and how that service spells an error.

Each service's wire protocol (botocore's ``metadata.protocol``) decides the error envelope:

* ``ec2``: ``<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>``
* ``query`` (IAM, STS, ELB, ELBv2, SQS when called form-encoded): ``<ErrorResponse><Error><Type/><Code/>
  <Message/></Error><RequestId/></ErrorResponse>``
* ``json`` (SSM, DynamoDB, KMS, Logs, EventBridge, SQS): ``{"__type": code, "message": ...}``
  plus ``x-amzn-ErrorType``; SQS (awsQueryCompatible) also sends ``x-amzn-query-error``.
* ``rest-json`` (EKS): ``{"message": ...}`` plus ``x-amzn-ErrorType``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping, Optional
from urllib.parse import parse_qs
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Service:
    name: str  # SigV4 signing name
    protocol: str  # ec2 | query | json | rest-json
    target_prefix: Optional[str] = None
    json_version: str = "1.1"
    xmlns: str = ""
    throttle: tuple[str, int] = ("ThrottlingException", 400)
    server_error: tuple[str, int] = ("InternalFailure", 500)
    unavailable: tuple[str, int] = ("ServiceUnavailable", 503)
    query_compatible: bool = False


SERVICES: dict[str, Service] = {
    "ec2": Service("ec2", "ec2", throttle=("RequestLimitExceeded", 503), server_error=("InternalError", 500),
                   unavailable=("Unavailable", 503)),
    "iam": Service("iam", "query", xmlns="https://iam.amazonaws.com/doc/2010-05-08/", throttle=("Throttling", 400),
                   server_error=("ServiceFailure", 500), unavailable=("ServiceUnavailable", 503)),
    "sts": Service("sts", "query", xmlns="https://sts.amazonaws.com/doc/2011-06-15/", throttle=("Throttling", 400),
                   server_error=("InternalFailure", 500), unavailable=("ServiceUnavailable", 503)),
    "sqs": Service("sqs", "json", target_prefix="AmazonSQS", json_version="1.0",
                   xmlns="http://queue.amazonaws.com/doc/2012-11-05/", throttle=("RequestThrottled", 403),
                   server_error=("InternalFailure", 500), unavailable=("ServiceUnavailable", 503),
                   query_compatible=True),
    "events": Service("events", "json", target_prefix="AWSEvents", server_error=("InternalException", 500)),
    "ssm": Service("ssm", "json", target_prefix="AmazonSSM", server_error=("InternalServerError", 500)),
    "dynamodb": Service("dynamodb", "json", target_prefix="DynamoDB_20120810", json_version="1.0",
                        server_error=("InternalServerError", 500)),
    "kms": Service("kms", "json", target_prefix="TrentService", server_error=("KMSInternalException", 500)),
    "logs": Service("logs", "json", target_prefix="Logs_20140328", server_error=("ServiceUnavailableException", 500)),
    "s3": Service("s3", "rest-xml", throttle=("SlowDown", 503), server_error=("InternalError", 500),
                  unavailable=("ServiceUnavailable", 503)),
    "eks": Service("eks", "rest-json", throttle=("ThrottlingException", 429), server_error=("ServerException", 500),
                   unavailable=("ServiceUnavailableException", 503)),
    "tagging": Service("tagging", "json", target_prefix="ResourceGroupsTaggingAPI_20170126",
                       throttle=("ThrottledException", 400), server_error=("InternalServiceException", 500)),
    # Both load-balancing APIs sign as ``elasticloadbalancing`` and share one endpoint; the
    # query's Version tells them apart (see ``ELB_VERSIONS``). Keyed by botocore's names.
    "elbv2": Service("elbv2", "query", xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
                     throttle=("Throttling", 400), server_error=("InternalFailure", 500),
                     unavailable=("ServiceUnavailable", 503)),
    "elb": Service("elb", "query", xmlns="http://elasticloadbalancing.amazonaws.com/doc/2012-06-01/",
                   throttle=("Throttling", 400), server_error=("InternalFailure", 500),
                   unavailable=("ServiceUnavailable", 503)),
}

# moto's module for a service whose signing name differs from it.
MOTO_MODULES = {"tagging": "resourcegroupstaggingapi"}

ELB_VERSIONS = {"2015-12-01": "elbv2", "2012-06-01": "elb"}
QUERY_VERSIONS = {"2016-11-15": "ec2", "2010-05-08": "iam", "2011-06-15": "sts", "2012-11-05": "sqs", **ELB_VERSIONS}
TARGET_PREFIXES = {s.target_prefix: s.name for s in SERVICES.values() if s.target_prefix}
SIGNING_ALIASES = {"eventbridge": "events"}


@dataclass
class RequestInfo:
    service: str
    region: Optional[str]
    action: str
    wire: str  # the protocol this request speaks: ec2 | query | json | rest-json
    access_key_id: Optional[str]
    # A "mangle" fault chosen for this request: (mutation or None for any, seed); and the
    # mutation its answer went through, for the request log.
    mangle: Optional[tuple[Optional[str], int]] = None
    mangled: Optional[str] = None


def _form(body: bytes, content_type: str) -> dict[str, list[str]]:
    if content_type.startswith("application/x-www-form-urlencoded") and body:
        try:
            return parse_qs(body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            return {}
    return {}


def _scope(environ: Mapping, query: dict[str, list[str]]) -> tuple[Optional[str], Optional[str], Optional[str]]:
    """(access key, region, service) from the Authorization header or a presigned query."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    cred = ""
    if "Credential=" in auth:
        cred = auth.split("Credential=", 1)[1].split(",", 1)[0].strip()
    elif query.get("X-Amz-Credential"):
        cred = query["X-Amz-Credential"][0]
    parts = cred.split("/")
    if len(parts) == 5:
        return parts[0], parts[2], SIGNING_ALIASES.get(parts[3], parts[3])
    return None, None, None


def raw_path(environ: Mapping) -> str:
    """The request path as sent, percent-encoding kept. PATH_INFO is decoded, so an EKS label
    holding an encoded '/' (an access entry's principal ARN, role/NAME) would split in two."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "/")
    return raw.encode("latin-1").decode("utf-8", "replace").split("?")[0]


def identify(environ: Mapping, body: bytes, eks_operation) -> RequestInfo:
    """Work out service, region and action, the way AWS's front door would from host + signature.

    The signing scope names the service (moto routes the same way); without a signature the
    X-Amz-Target prefix, the query API Version, or the path tells.
    """
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    content_type = environ.get("CONTENT_TYPE", "") or ""
    form = _form(body, content_type)
    key, region, service = _scope(environ, query)
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if service is None:
        if target:
            service = TARGET_PREFIXES.get(target.split(".", 1)[0])
        else:
            version = (form.get("Version") or query.get("Version") or [""])[0]
            service = QUERY_VERSIONS.get(version)
            if service is None and eks_operation(environ.get("REQUEST_METHOD", "GET"), raw_path(environ)):
                service = "eks"
    if service == "elasticloadbalancing":
        # One signing name, two APIs: the Version picks (an unknown one stays unserved).
        version = (form.get("Version") or query.get("Version") or [""])[0]
        service = ELB_VERSIONS.get(version, service)
    service = service or "unknown"
    svc = SERVICES.get(service)
    action = ""
    wire = svc.protocol if svc else "json"
    if target:
        action = target.split(".", 1)[-1]
        wire = "json" if svc is None or svc.protocol in ("json",) else svc.protocol
    elif form.get("Action") or query.get("Action"):
        action = (form.get("Action") or query.get("Action"))[0]
        wire = "ec2" if service == "ec2" else "query"
    elif service == "s3":
        action = _s3_action(environ)
        wire = "rest-xml"
    elif service == "eks":
        action = eks_operation(environ.get("REQUEST_METHOD", "GET"), raw_path(environ)) or ""
        wire = "rest-json"
    return RequestInfo(service, region, action, wire, key)


def _s3_action(environ: Mapping) -> str:
    """A coarse S3 operation name for logs and fault rules (path-style addressing)."""
    method = environ.get("REQUEST_METHOD", "GET")
    parts = [p for p in environ.get("PATH_INFO", "/").split("/") if p]
    query = environ.get("QUERY_STRING", "")
    if not parts:
        return "ListBuckets"
    if len(parts) == 1:
        if "list-type=2" in query:
            return "ListObjectsV2"
        return {"GET": "ListObjects", "PUT": "CreateBucket", "DELETE": "DeleteBucket", "HEAD": "HeadBucket"}.get(
            method, method + "Bucket")
    return {"GET": "GetObject", "PUT": "PutObject", "DELETE": "DeleteObject", "HEAD": "HeadObject"}.get(
        method, method + "Object")


def error_body(
    info: RequestInfo, code: str, message: str, status: int, request_id: str, sender: bool = True,
    extra: Optional[dict] = None,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Render an AWS error the way ``info.service`` does on ``info.wire``."""
    svc = SERVICES.get(info.service)
    headers = [("x-amzn-RequestId", request_id)]
    if info.wire == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        )
        headers.append(("Content-Type", "text/xml;charset=UTF-8"))
        return status, headers, body.encode()
    if info.wire == "rest-xml":
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(code)}</Code>'
            f"<Message>{escape(message)}</Message><RequestId>{request_id}</RequestId></Error>"
        )
        headers.append(("Content-Type", "application/xml"))
        headers.append(("x-amz-request-id", request_id))
        return status, headers, body.encode()
    if info.wire == "query":
        xmlns = f' xmlns="{svc.xmlns}"' if svc and svc.xmlns else ""
        kind = "Sender" if sender and status < 500 else "Receiver"
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse{xmlns}><Error><Type>{kind}</Type>'
            f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
        headers.append(("Content-Type", "text/xml"))
        return status, headers, body.encode()
    payload: dict = {"message": message}
    if extra:
        payload.update(extra)
    headers.append(("x-amzn-ErrorType", code))
    if info.wire == "rest-json":
        headers.append(("Content-Type", "application/json"))
    else:
        version = svc.json_version if svc else "1.1"
        if svc and svc.query_compatible:
            payload["__type"] = f"com.amazonaws.{info.service}#{code}"
            kind = "Sender" if status < 500 else "Receiver"
            headers.append(("x-amzn-query-error", f"{code};{kind}"))
        else:
            payload["__type"] = code
        headers.append(("Content-Type", f"application/x-amz-json-{version}"))
    return status, headers, json.dumps(payload).encode()


# Authentication failures, per wire protocol: generic code -> (code, status).
_AUTH = {
    "ec2": {
        "SignatureDoesNotMatch": ("SignatureDoesNotMatch", 403),
        "InvalidClientTokenId": ("AuthFailure", 401),
        "MissingAuthenticationToken": ("MissingAuthenticationToken", 401),
        "IncompleteSignature": ("IncompleteSignature", 400),
        "RequestExpired": ("RequestExpired", 400),
    },
    "query": {
        "SignatureDoesNotMatch": ("SignatureDoesNotMatch", 403),
        "InvalidClientTokenId": ("InvalidClientTokenId", 403),
        "MissingAuthenticationToken": ("MissingAuthenticationToken", 403),
        "IncompleteSignature": ("IncompleteSignature", 400),
        "RequestExpired": ("RequestExpired", 400),
    },
    "json": {
        "SignatureDoesNotMatch": ("InvalidSignatureException", 400),
        "InvalidClientTokenId": ("UnrecognizedClientException", 400),
        "MissingAuthenticationToken": ("MissingAuthenticationTokenException", 400),
        "IncompleteSignature": ("IncompleteSignatureException", 400),
        "RequestExpired": ("InvalidSignatureException", 400),
    },
    "rest-xml": {  # S3
        "SignatureDoesNotMatch": ("SignatureDoesNotMatch", 403),
        "InvalidClientTokenId": ("InvalidAccessKeyId", 403),
        "MissingAuthenticationToken": ("AccessDenied", 403),
        "IncompleteSignature": ("AuthorizationHeaderMalformed", 400),
        "RequestExpired": ("RequestTimeTooSkewed", 403),
    },
    "rest-json": {
        "SignatureDoesNotMatch": ("InvalidSignatureException", 403),
        "InvalidClientTokenId": ("UnrecognizedClientException", 403),
        "MissingAuthenticationToken": ("MissingAuthenticationTokenException", 403),
        "IncompleteSignature": ("IncompleteSignatureException", 403),
        "RequestExpired": ("InvalidSignatureException", 403),
    },
}


def auth_error(info: RequestInfo, generic_code: str) -> tuple[str, int]:
    table = _AUTH.get(info.wire, _AUTH["json"])
    if info.service == "sqs" and info.wire == "json":
        # SQS keeps its query-protocol codes on the JSON wire (awsQueryCompatible).
        return _AUTH["query"].get(generic_code, (generic_code, 403))
    return table.get(generic_code, (generic_code, 403))


def unknown_operation(info: RequestInfo) -> tuple[str, str, int]:
    if info.wire == "rest-xml":
        return ("NotImplemented",
                "A header or operation you provided implies functionality that is not implemented.", 501)
    if info.wire in ("ec2", "query"):
        return "InvalidAction", f"The action {info.action or '(none)'} is not valid for this web service.", 400
    if info.wire == "rest-json":
        return "UnknownOperationException", "The sandbox does not implement this operation.", 404
    return ("UnknownOperationException",
            f"The operation {info.action or '(none)'} is not implemented by the sandbox.", 400)
