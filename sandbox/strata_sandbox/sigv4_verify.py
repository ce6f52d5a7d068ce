"""AWS Signature Version 4 verification, written independently of botocore.

The sandbox uses this to check every AWS request it serves (``--verify-signatures``),
and the Kubernetes side uses :func:`verify_presigned_url` to check ``aws eks get-token``
style bearer tokens (a presigned STS GetCallerIdentity URL).

The verifier recomputes the canonical request from what was on the wire: the raw path,
the raw query string, the headers the client said it signed, and the body. It never
trusts ``x-amz-content-sha256``: when that header is present it must equal the SHA-256
of the body actually received (moto does not check this), otherwise the body is hashed.

Errors are raised as :class:`SignatureError` with a protocol-neutral code
(``SignatureDoesNotMatch``, ``InvalidClientTokenId``, ``MissingAuthenticationToken``,
``IncompleteSignature``, ``RequestExpired``); the HTTP layer maps them to each service's
wire envelope and status.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Optional
from urllib.parse import quote, unquote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW = _dt.timedelta(minutes=15)
MAX_PRESIGN_EXPIRES = 7 * 24 * 3600
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

MSG_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
MSG_BAD_KEY = "The security token included in the request is invalid."
MSG_MISSING = "Request is missing Authentication Token"


class SignatureError(Exception):
    """A request failed authentication. ``code`` is the generic AWS code."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Credential:
    """What the sandbox knows about an access key."""

    access_key_id: str
    secret_access_key: str
    # Empty for long-term keys. For temporary keys the request must carry one of these tokens.
    session_tokens: tuple[str, ...] = ()
    # Long-term keys that tolerate a stray session token (the sandbox's well-known test/test).
    lenient_token: bool = False


@dataclass(frozen=True)
class VerifiedRequest:
    access_key_id: str
    region: str
    service: str
    signed_at: _dt.datetime
    presigned: bool


CredentialResolver = Callable[[str], Optional[Credential]]


def _default_resolver(access_key_id: str) -> Optional[Credential]:
    if access_key_id == "test":
        return Credential("test", "test", (), lenient_token=True)
    try:
        from strata_sandbox import credentials  # noqa: WPS433 (lazy: moto is heavy)
    except Exception:  # pragma: no cover - only without moto
        return None
    return credentials.lookup(access_key_id)


_resolver: CredentialResolver = _default_resolver


def set_credential_resolver(resolver: CredentialResolver) -> None:
    """Replace the key lookup (tests of this module use a dict)."""
    global _resolver
    _resolver = resolver


def resolve_credential(access_key_id: str) -> Optional[Credential]:
    return _resolver(access_key_id)


# ---------------------------------------------------------------- canonical form


def _uri_encode(text: str, safe: str) -> str:
    return quote(text, safe=safe)


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, plus collapsing of empty segments as SigV4 normalisation does."""
    if not path:
        return "/"
    trailing = path.endswith("/")
    out: list[str] = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out:
                out.pop()
            continue
        out.append(seg)
    result = "/" + "/".join(out)
    if trailing and result != "/":
        result += "/"
    return result


def canonical_uri(raw_path: str, service: str, normalize: bool = True) -> str:
    """The raw (as sent, percent-encoded once) path, normalised and encoded again.

    Every service but S3 double-encodes: each character of the wire path that is not
    unreserved or '/' is percent-encoded, so a '%' from the wire becomes '%25'.
    """
    if service == "s3":
        return raw_path or "/"
    return _uri_encode(remove_dot_segments(raw_path) if normalize else (raw_path or "/"), safe="/~")


def canonical_query(raw_query: str, exclude: Iterable[str] = ()) -> str:
    excluded = set(exclude)
    pairs: list[tuple[str, str]] = []
    if raw_query:
        for part in raw_query.split("&"):
            if part == "":
                continue
            key, _, value = part.partition("=")
            key_d, value_d = unquote(key), unquote(value)
            if key_d in excluded:
                continue
            pairs.append((_uri_encode(key_d, safe="-_.~"), _uri_encode(value_d, safe="-_.~")))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


_SPACES = re.compile(r"\s+")


def _trim(value: str) -> str:
    return _SPACES.sub(" ", value.strip())


def canonical_headers(headers: Mapping[str, list[str]], signed: list[str]) -> str:
    lines = []
    for name in signed:
        values = headers.get(name)
        if values is None:
            raise SignatureError(
                "SignatureDoesNotMatch", f"{MSG_MISMATCH} (signed header '{name}' is missing from the request)"
            )
        lines.append(f"{name}:{','.join(_trim(v) for v in values)}")
    return "\n".join(lines) + "\n"


def canonical_request(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, list[str]],
    signed: list[str],
    payload_hash: str,
    service: str,
    exclude_query: Iterable[str] = (),
    normalize: bool = True,
) -> str:
    return "\n".join(
        [
            method.upper(),
            canonical_uri(raw_path, service, normalize),
            canonical_query(raw_query, exclude_query),
            canonical_headers(headers, signed),
            ";".join(signed),
            payload_hash,
        ]
    )


def string_to_sign(amz_date: str, scope: str, creq: str) -> str:
    return "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(creq.encode("utf-8")).hexdigest()])


def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    k = hmac.new(("AWS4" + secret).encode("utf-8"), date.encode("utf-8"), hashlib.sha256).digest()
    for part in (region, service, "aws4_request"):
        k = hmac.new(k, part.encode("utf-8"), hashlib.sha256).digest()
    return k


def signature(secret: str, date: str, region: str, service: str, sts: str) -> str:
    return hmac.new(signing_key(secret, date, region, service), sts.encode("utf-8"), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- parsing helpers


def _parse_amz_date(value: str) -> _dt.datetime:
    try:
        return _dt.datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=_dt.timezone.utc)
    except ValueError:
        raise SignatureError(
            "IncompleteSignature", f"Date must be in ISO-8601 'basic format'. Got '{value}'."
        ) from None


def _parse_http_date(value: str) -> _dt.datetime:
    from email.utils import parsedate_to_datetime

    try:
        d = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise SignatureError("IncompleteSignature", f"Unable to parse date '{value}'.") from None
    if d.tzinfo is None:
        d = d.replace(tzinfo=_dt.timezone.utc)
    return d.astimezone(_dt.timezone.utc)


def _fmt(d: _dt.datetime) -> str:
    return d.astimezone(_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _parse_scope(credential: str) -> tuple[str, str, str, str]:
    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts[:4]):
        raise SignatureError(
            "IncompleteSignature",
            f"Credential should be scoped to a valid region, service and 'aws4_request'. Got '{credential}'.",
        )
    access_key, date, region, service, _ = parts
    if not re.fullmatch(r"\d{8}", date):
        raise SignatureError("IncompleteSignature", f"Credential should be scoped to a valid date. Got '{date}'.")
    return access_key, date, region, service


def _parse_authorization(value: str) -> tuple[str, str, list[str], str]:
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise SignatureError(
            "IncompleteSignature", f"Unsupported AWS 'algorithm': '{algorithm}'. Expected '{ALGORITHM}'."
        )
    fields: dict[str, str] = {}
    for item in rest.split(","):
        key, eq, val = item.strip().partition("=")
        if eq:
            fields[key.strip()] = val.strip()
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if k not in fields]
    if missing:
        raise SignatureError(
            "IncompleteSignature",
            "Authorization header requires "
            + ", ".join(f"'{m}'" for m in missing)
            + f" parameter. Authorization={value}",
        )
    signed = fields["SignedHeaders"].split(";")
    return fields["Credential"], fields["Signature"], signed, fields["SignedHeaders"]


def _check_signed_list(signed: list[str], raw: str) -> None:
    if any(s != s.lower() or not s for s in signed) or signed != sorted(signed):
        raise SignatureError("SignatureDoesNotMatch", f"{MSG_MISMATCH} (SignedHeaders '{raw}' is not sorted lowercase)")
    if "host" not in signed:
        raise SignatureError("SignatureDoesNotMatch", f"{MSG_MISMATCH} ('host' must be a signed header)")


def _lookup(access_key: str, presented_token: Optional[str]) -> Credential:
    cred = resolve_credential(access_key)
    if cred is None:
        raise SignatureError("InvalidClientTokenId", MSG_BAD_KEY)
    if cred.session_tokens:
        if presented_token not in cred.session_tokens:
            raise SignatureError("InvalidClientTokenId", MSG_BAD_KEY)
    elif presented_token and not cred.lenient_token:
        raise SignatureError("InvalidClientTokenId", MSG_BAD_KEY)
    return cred


def _compare(expected: Iterable[str], given: str) -> bool:
    return any(hmac.compare_digest(e, given) for e in expected)


# ---------------------------------------------------------------- entry points


def header_map(pairs: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k.lower().strip(), []).append(v)
    return out


def verify_request(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, list[str]],
    body: bytes,
    now: _dt.datetime,
    *,
    normalize: bool = True,
) -> VerifiedRequest:
    """Verify a request signed either with an Authorization header or presigned in the query.

    ``headers`` maps lowercase names to every value received; ``raw_path`` and ``raw_query``
    are exactly as on the wire (still percent-encoded).
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=_dt.timezone.utc)
    auth = headers.get("authorization")
    query_keys = {unquote(p.partition("=")[0]) for p in raw_query.split("&")} if raw_query else set()
    if auth:
        return _verify_header(method, raw_path, raw_query, headers, body, now, auth[0], normalize)
    if "X-Amz-Signature" in query_keys or "X-Amz-Algorithm" in query_keys or "X-Amz-Credential" in query_keys:
        return _verify_query(method, raw_path, raw_query, headers, body, now, normalize)
    raise SignatureError("MissingAuthenticationToken", MSG_MISSING)


def _payload_hash(headers: Mapping[str, list[str]], body: bytes, service: str = "") -> str:
    actual = hashlib.sha256(body).hexdigest()
    declared = headers.get("x-amz-content-sha256")
    if declared:
        value = declared[0].strip()
        if value == UNSIGNED_PAYLOAD and service == "s3":
            return value  # S3 lets the client leave the payload unsigned
        if value == UNSIGNED_PAYLOAD or value.startswith("STREAMING-"):
            raise SignatureError(
                "SignatureDoesNotMatch", f"{MSG_MISMATCH} (x-amz-content-sha256 '{value}' is not accepted here)"
            )
        if value.lower() != actual:
            raise SignatureError(
                "SignatureDoesNotMatch",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            )
    return actual


def _verify_header(method, raw_path, raw_query, headers, body, now, auth_value, normalize=True) -> VerifiedRequest:
    credential, given_sig, signed, raw_signed = _parse_authorization(auth_value)
    access_key, scope_date, region, service = _parse_scope(credential)
    _check_signed_list(signed, raw_signed)

    amz = headers.get("x-amz-date")
    if amz:
        amz_date = amz[0].strip()
        signed_at = _parse_amz_date(amz_date)
    elif headers.get("date"):
        signed_at = _parse_http_date(headers["date"][0])
        amz_date = _fmt(signed_at)
    else:
        raise SignatureError(
            "IncompleteSignature",
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        )
    if scope_date != amz_date[:8]:
        raise SignatureError(
            "SignatureDoesNotMatch",
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{scope_date}' != '{amz_date[:8]}', from '{amz_date}'.",
        )
    _check_clock(signed_at, now)

    token = headers.get("x-amz-security-token")
    cred = _lookup(access_key, token[0] if token else None)
    payload = _payload_hash(headers, body, service)
    creq = canonical_request(method, raw_path, raw_query, headers, signed, payload, service, normalize=normalize)
    scope = f"{scope_date}/{region}/{service}/aws4_request"
    expected = signature(cred.secret_access_key, scope_date, region, service, string_to_sign(amz_date, scope, creq))
    if not _compare([expected], given_sig):
        raise SignatureError("SignatureDoesNotMatch", MSG_MISMATCH)
    return VerifiedRequest(access_key, region, service, signed_at, presigned=False)


def _check_clock(signed_at: _dt.datetime, now: _dt.datetime) -> None:
    if signed_at < now - MAX_SKEW:
        raise SignatureError(
            "RequestExpired",
            f"Signature expired: {_fmt(signed_at)} is now earlier than {_fmt(now - MAX_SKEW)} "
            f"({_fmt(now)} - 15 min.)",
        )
    if signed_at > now + MAX_SKEW:
        raise SignatureError(
            "RequestExpired",
            f"Signature not yet current: {_fmt(signed_at)} is still later than {_fmt(now + MAX_SKEW)} "
            f"({_fmt(now)} + 15 min.)",
        )


def _verify_query(method, raw_path, raw_query, headers, body, now, normalize=True) -> VerifiedRequest:
    params: dict[str, str] = {}
    for part in raw_query.split("&"):
        k, _, v = part.partition("=")
        params[unquote(k)] = unquote(v)
    needed = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Signature"]
    missing = [n for n in needed if n not in params]
    if missing:
        raise SignatureError(
            "IncompleteSignature",
            "AWS query-string parameters must include " + ", ".join(f"'{m}'" for m in missing) + ".",
        )
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise SignatureError(
            "IncompleteSignature",
            f"Unsupported AWS 'algorithm': '{params['X-Amz-Algorithm']}'. Expected '{ALGORITHM}'.",
        )
    access_key, scope_date, region, service = _parse_scope(params["X-Amz-Credential"])
    signed = params["X-Amz-SignedHeaders"].split(";")
    _check_signed_list(signed, params["X-Amz-SignedHeaders"])
    amz_date = params["X-Amz-Date"]
    signed_at = _parse_amz_date(amz_date)
    if scope_date != amz_date[:8]:
        raise SignatureError(
            "SignatureDoesNotMatch",
            f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{scope_date}' != '{amz_date[:8]}', from '{amz_date}'.",
        )
    expires_raw = params.get("X-Amz-Expires", "")
    if expires_raw:
        if not expires_raw.isdigit() or not 1 <= int(expires_raw) <= MAX_PRESIGN_EXPIRES:
            raise SignatureError(
                "IncompleteSignature",
                f"X-Amz-Expires must be an integer between 1 and {MAX_PRESIGN_EXPIRES}. Got '{expires_raw}'.",
            )
        expires = int(expires_raw)
    else:
        expires = 15 * 60
    if signed_at > now + MAX_SKEW:
        raise SignatureError("RequestExpired", f"Request is not yet valid: signed at {_fmt(signed_at)}.")
    if now > signed_at + _dt.timedelta(seconds=expires):
        raise SignatureError(
            "RequestExpired",
            f"Request has expired: signed at {_fmt(signed_at)}, valid for {expires} s, now {_fmt(now)}.",
        )

    cred = _lookup(access_key, params.get("X-Amz-Security-Token"))
    declared = headers.get("x-amz-content-sha256")
    if declared and declared[0].strip() != UNSIGNED_PAYLOAD:
        candidates_payload = [_payload_hash(headers, body, service)]
    else:
        # A presigned URL may sign either the (empty) body's hash or UNSIGNED-PAYLOAD;
        # SDKs differ. A non-empty body is only accepted when its hash was signed.
        candidates_payload = [hashlib.sha256(body).hexdigest()]
        if not body:
            candidates_payload.append(UNSIGNED_PAYLOAD)
    scope = f"{scope_date}/{region}/{service}/aws4_request"
    expected = []
    for payload in candidates_payload:
        creq = canonical_request(
            method,
            raw_path,
            raw_query,
            headers,
            signed,
            payload,
            service,
            exclude_query=("X-Amz-Signature",),
            normalize=normalize,
        )
        expected.append(
            signature(cred.secret_access_key, scope_date, region, service, string_to_sign(amz_date, scope, creq))
        )
    if not _compare(expected, params["X-Amz-Signature"]):
        raise SignatureError("SignatureDoesNotMatch", MSG_MISMATCH)
    return VerifiedRequest(access_key, region, service, signed_at, presigned=True)


def verify_presigned_url(method: str, url: str, headers: dict[str, str], now: _dt.datetime) -> str:
    """Verify a presigned URL (e.g. an EKS token: presigned STS GetCallerIdentity with a signed
    ``x-k8s-aws-id`` header). ``headers`` are the headers the presigner signed besides the
    query, e.g. ``{"x-k8s-aws-id": "demo"}``; ``host`` is taken from the URL when absent.
    Returns the access key id; raises :class:`SignatureError`."""
    parts = urlsplit(url)
    hm = header_map(headers.items())
    if "host" not in hm:
        hm["host"] = [parts.netloc]
    if not parts.query:
        raise SignatureError("MissingAuthenticationToken", MSG_MISSING)
    return _verify_query(method, parts.path or "/", parts.query, hm, b"", now).access_key_id


def verify_wsgi(environ: Mapping, body: bytes, now: _dt.datetime) -> VerifiedRequest:
    """Verify a WSGI request, using the raw request line (werkzeug's REQUEST_URI/RAW_URI)."""
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw_uri:
        # WSGI strings are latin-1 "bytes as str"; recover the bytes, read them as UTF-8.
        raw = raw_uri.encode("latin-1").decode("utf-8", "replace")
        if raw.startswith("http://") or raw.startswith("https://"):
            raw = raw.split("/", 3)[3] if raw.count("/") >= 3 else "/"
            raw = "/" + raw
        raw_path, _, raw_query = raw.partition("?")
    else:
        path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
        raw_path = quote(path, safe="/~!$&'()*+,;=:@%")
        raw_query = environ.get("QUERY_STRING", "")
    return verify_request(environ.get("REQUEST_METHOD", "GET"), raw_path, raw_query, wsgi_headers(environ), body, now)


def wsgi_headers(environ: Mapping) -> dict[str, list[str]]:
    pairs = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").lower()
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = key.replace("_", "-").lower()
            if value == "":
                continue
        else:
            continue
        text = value.encode("latin-1").decode("utf-8", "replace") if isinstance(value, str) else str(value)
        pairs.append((name, text))
    return header_map(pairs)
