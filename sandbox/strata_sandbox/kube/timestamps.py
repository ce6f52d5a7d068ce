"""Timestamps as the API server writes them (UTC, RFC 3339)."""

from __future__ import annotations

import datetime


def now_iso() -> str:
    """Seconds precision, as in metadata.creationTimestamp and condition times."""
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_precise() -> str:
    """Milliseconds, for the sandbox's observations."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
