"""CloudWatch Logs behaviour moto 5.2.1 lacks: DescribeLogGroups by `logGroupIdentifiers`.

moto ignores the member and lists every group of the region; AWS answers only the named groups
(ARNs without the trailing `:*`, at most 50, not combinable with a name prefix or pattern).
"""
from __future__ import annotations

from typing import Optional


class LogsError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def describe_log_groups(body: dict, account: str, region: str) -> Optional[dict]:
    """The answer for a request naming `logGroupIdentifiers`; None for any other (moto's)."""
    identifiers = body.get("logGroupIdentifiers")
    if identifiers is None:
        return None
    if not isinstance(identifiers, list) or not 1 <= len(identifiers) <= 50:
        raise LogsError("InvalidParameterException", "logGroupIdentifiers must name 1 to 50 log groups.")
    if body.get("logGroupNamePrefix") or body.get("logGroupNamePattern"):
        raise LogsError("InvalidParameterException",
                        "logGroupIdentifiers cannot be combined with logGroupNamePrefix or logGroupNamePattern.")
    from moto.logs.models import logs_backends

    wanted = {i.removesuffix(":*") for i in identifiers}
    groups = [g for g in logs_backends[account][region].groups.values() if g.arn in wanted or g.name in wanted]
    return {"logGroups": [g.to_describe_dict() for g in sorted(groups, key=lambda g: g.name)]}
