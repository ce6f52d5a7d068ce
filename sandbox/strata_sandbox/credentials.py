"""Access keys the sandbox accepts, looked up in moto's in-process IAM and STS backends.

* ``test``/``test`` always (handled in :mod:`strata_sandbox.sigv4_verify`);
* keys made with IAM CreateAccessKey (any account, status Active);
* temporary keys from STS AssumeRole / AssumeRoleWithWebIdentity / AssumeRoleWithSAML
  (presented with their session token, until they expire);
* the fixed key moto's STS GetSessionToken / GetFederationToken hand out, with either of
  moto's fixed session tokens.
"""

from __future__ import annotations

import datetime as _dt
import functools
import inspect
import re
from typing import Optional

from strata_sandbox.sigv4_verify import Credential

# moto's GetSessionToken/GetFederationToken answer these constants (moto/sts/responses.py).
_MOTO_SESSION_KEY = "AKIAIOSFODNN7EXAMPLE"
_MOTO_SESSION_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"


@functools.lru_cache(maxsize=1)
def _moto_session_tokens() -> tuple[str, ...]:
    from moto.sts import responses

    return tuple(re.findall(r'"SessionToken":\s*"([^"]+)"', inspect.getsource(responses)))


def lookup(access_key_id: str) -> Optional[Credential]:
    from moto.iam.models import iam_backends
    from moto.sts.models import sts_backends

    now = _dt.datetime.now(_dt.timezone.utc)
    for account_id in list(sts_backends.keys()):
        for partition in list(sts_backends[account_id].keys()):
            for role in list(sts_backends[account_id][partition].assumed_roles):
                if role.access_key_id == access_key_id:
                    expiration = role.expiration
                    if expiration.tzinfo is None:
                        expiration = expiration.replace(tzinfo=_dt.timezone.utc)
                    if expiration < now:
                        return None
                    return Credential(access_key_id, role.secret_access_key, (role.session_token,))
    for account_id in list(iam_backends.keys()):
        for partition in list(iam_backends[account_id].keys()):
            for user in list(iam_backends[account_id][partition].users.values()):
                for key in list(user.access_keys):
                    if key.access_key_id == access_key_id and key.status == "Active":
                        return Credential(access_key_id, key.secret_access_key)
    if access_key_id == _MOTO_SESSION_KEY:
        return Credential(access_key_id, _MOTO_SESSION_SECRET, _moto_session_tokens())
    return None
