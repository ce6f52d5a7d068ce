"""Bearer-token authentication the way EKS does it (aws-iam-authenticator's rules).

A token is ``k8s-aws-v1.`` followed by the unpadded base64url of a presigned STS
``GetCallerIdentity`` URL. The URL's signature covers the ``x-k8s-aws-id`` header, whose value
the token does not carry: the API server supplies its own cluster name when checking it, so a
token minted for another cluster fails the signature check.

Expiry follows EKS, not the URL: ``aws eks get-token`` presigns with ``X-Amz-Expires=60`` yet
EKS accepts the token for 15 minutes after ``X-Amz-Date``. So the window is checked here and the
SigV4 verifier is asked whether the signature was valid at the instant it was made.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import parse_qs, urlsplit

TOKEN_PREFIX = "k8s-aws-v1."
CLUSTER_ID_HEADER = "x-k8s-aws-id"
TOKEN_LIFETIME = datetime.timedelta(minutes=15)
# A token dated further ahead than this is refused (clock skew, as SigV4 allows).
MAX_FUTURE_SKEW = datetime.timedelta(minutes=15)
MAX_URL_EXPIRES = 15 * 60

_STS_HOST = re.compile(r"^sts(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$")
# aws-iam-authenticator refuses any query parameter outside this list.
_ALLOWED_PARAMS = {
    "action", "version", "x-amz-algorithm", "x-amz-credential", "x-amz-date",
    "x-amz-expires", "x-amz-security-token", "x-amz-signature", "x-amz-signedheaders",
}

Verifier = Callable[[str, str, "dict[str, str]", datetime.datetime], str]


class TokenError(Exception):
    """Why a token was refused; the client only ever sees 401 Unauthorized."""


@dataclass(frozen=True)
class Identity:
    access_key_id: str
    region: str

    @property
    def username(self) -> str:
        return f"aws-iam:{self.access_key_id}"


def default_verifier() -> Verifier:
    """The sandbox's SigV4 verifier (``strata_sandbox.sigv4_verify``), resolved at call time."""

    def verify(method: str, url: str, headers: dict[str, str], now: datetime.datetime) -> str:
        from strata_sandbox.sigv4_verify import verify_presigned_url

        return verify_presigned_url(method, url, headers, now)

    return verify


def decode_token(token: str) -> str:
    if not token.startswith(TOKEN_PREFIX):
        raise TokenError("token is not of the k8s-aws-v1 form")
    payload = token[len(TOKEN_PREFIX):]
    if not payload or "=" in payload:
        raise TokenError("token payload must be unpadded base64url")
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        return raw.decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError) as e:
        raise TokenError(f"token payload is not base64url: {e}") from None


def authenticate(
    token: str,
    cluster_name: str,
    now: datetime.datetime,
    verifier: Verifier,
) -> Identity:
    url = decode_token(token)
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError as e:
        raise TokenError(f"presigned URL does not parse: {e}") from None
    if parts.scheme != "https":
        raise TokenError("presigned URL must be https")
    if not _STS_HOST.match(host) or port not in (None, 443):
        raise TokenError(f"unexpected STS host {host!r}")
    if parts.path not in ("", "/"):
        raise TokenError("presigned URL path must be /")
    query = parse_qs(parts.query, keep_blank_values=True)
    for key, values in query.items():
        if key.lower() not in _ALLOWED_PARAMS:
            raise TokenError(f"non-allowlisted query parameter {key!r}")
        if len(values) != 1:
            raise TokenError(f"query parameter {key!r} repeated")
    q = {k: v[0] for k, v in query.items()}
    if q.get("Action") != "GetCallerIdentity":
        raise TokenError("presigned URL is not for GetCallerIdentity")
    if q.get("Version") != "2011-06-15":
        raise TokenError("unexpected STS API version")
    signed = q.get("X-Amz-SignedHeaders", "").lower().split(";")
    if CLUSTER_ID_HEADER not in signed:
        raise TokenError("x-k8s-aws-id is not a signed header")
    if "host" not in signed:
        raise TokenError("host is not a signed header")
    try:
        signed_at = datetime.datetime.strptime(q.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc
        )
    except ValueError:
        raise TokenError("X-Amz-Date missing or malformed") from None
    try:
        expires = int(q.get("X-Amz-Expires", ""))
    except ValueError:
        raise TokenError("X-Amz-Expires missing or malformed") from None
    if not 0 < expires <= MAX_URL_EXPIRES:
        raise TokenError(f"X-Amz-Expires {expires} outside 1..{MAX_URL_EXPIRES}")
    if now > signed_at + TOKEN_LIFETIME:
        raise TokenError(f"token expired (signed {signed_at.isoformat()}, lifetime 15m)")
    if signed_at > now + MAX_FUTURE_SKEW:
        raise TokenError("token is dated in the future")
    credential = q.get("X-Amz-Credential", "").split("/")
    if len(credential) != 5 or credential[3] != "sts" or credential[4] != "aws4_request":
        raise TokenError("credential scope is not an STS scope")
    headers = {"host": parts.netloc, CLUSTER_ID_HEADER: cluster_name}
    try:
        access_key = verifier("GET", url, headers, signed_at)
    except ImportError as e:
        raise TokenError(f"signature verifier unavailable: {e}") from None
    except Exception as e:  # SignatureError(code, message) from the verifier
        code = getattr(e, "code", type(e).__name__)
        raise TokenError(f"signature rejected: {code}: {e}") from None
    return Identity(access_key_id=access_key, region=credential[2])


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()
