"""Names and sizes AWS refuses and moto accepts.

moto 5.2 creates an IAM role of any name, an EKS cluster named ``-prod`` or 101 characters long,
a /29 subnet, a security group named ``sg-...`` and IAM or CloudWatch Logs tag values with
characters outside ``[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]``; AWS refuses each at the call. The
sandbox refuses them too, with AWS's error codes, so a test against it fails where AWS would.
Limits are botocore's (``min``/``max``/``pattern`` of the request shapes) and the API reference's
where the model is silent. moto already refuses bad SQS queue names and VPC sizes.

``refusal`` is called once per request, before the request reaches moto or the EKS model.
"""

from __future__ import annotations

import ipaddress
import json
import re
import unicodedata
from typing import Mapping, Optional

Refusal = tuple[str, str, int]  # code, message, HTTP status

_IAM_NAME = re.compile(r"[A-Za-z0-9_+=,.@-]+")
_EKS_NAME = re.compile(r"[0-9A-Za-z][A-Za-z0-9_-]*")


def _constraint(value: str, member: str, constraint: str) -> str:
    # The wording AWS's request validation uses.
    return f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"


def _name(value: str, member: str, maximum: int, pattern: re.Pattern[str]) -> Optional[str]:
    if not 1 <= len(value) <= maximum:
        return _constraint(value, member, f"Member must have length less than or equal to {maximum}")
    if not pattern.fullmatch(value):
        return _constraint(value, member, f"Member must satisfy regular expression pattern: {pattern.pattern}")
    return None


_TAG_VALUE_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*"


def _tag_value_refused(value: str) -> bool:
    """Whether IAM's and CloudWatch Logs' tag value pattern refuses ``value`` (botocore iam
    ``tagValueType``, logs ``TagValue``): letters, separators, numbers and ``_ . : / = + - @``."""
    return any(unicodedata.category(ch)[0] not in "LZN" and ch not in "_.:/=+-@" for ch in value)


def _tag_values(service: str, params: Mapping[str, str], body: bytes) -> list[tuple[str, str]]:
    """(member, value) of every tag value the request sets, for the services that restrict them."""
    if service == "iam":
        return [(k, v) for k, v in params.items() if re.fullmatch(r"Tags\.member\.\d+\.Value", k)]
    if service == "logs":
        try:
            tags = json.loads(body or b"{}").get("tags") or {}
        except (ValueError, AttributeError):
            return []
        return [(f"tags.{k}", str(v)) for k, v in tags.items()] if isinstance(tags, dict) else []
    return []


def refusal(service: str, action: Optional[str], params: Mapping[str, str], body: bytes) -> Optional[Refusal]:
    """What AWS answers to this request because of a name, size or tag it refuses, or None."""
    for member, value in _tag_values(service, params, body):
        if _tag_value_refused(value):
            problem = _constraint(
                value, member, f"Member must satisfy regular expression pattern: {_TAG_VALUE_PATTERN}")
            return ("ValidationError" if service == "iam" else "ValidationException", problem, 400)
    if service == "iam" and action == "CreateRole":
        problem = _name(params.get("RoleName", ""), "roleName", 64, _IAM_NAME)
        return ("ValidationError", problem, 400) if problem else None
    if service == "eks" and action == "CreateCluster":
        try:
            name = str(json.loads(body or b"{}").get("name", ""))
        except (ValueError, AttributeError):
            return None
        problem = _name(name, "name", 100, _EKS_NAME)
        return ("InvalidParameterException", problem, 400) if problem else None
    if service == "ec2" and action == "CreateSubnet":
        cidr = params.get("CidrBlock", "")
        try:
            prefix = ipaddress.ip_network(cidr, strict=False).prefixlen
        except ValueError:
            return None
        if not 16 <= prefix <= 28:
            return "InvalidSubnet.Range", f"The CIDR '{cidr}' is invalid.", 400
    if service == "ec2" and action == "CreateSecurityGroup":
        if params.get("GroupName", "").lower().startswith("sg-"):
            return "InvalidParameterValue", "Group names may not be in the format sg-*", 400
    return None
