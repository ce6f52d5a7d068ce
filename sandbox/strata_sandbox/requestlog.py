"""The log of every AWS request the sandbox answered, for tests that count API calls."""

from __future__ import annotations

import threading
from collections import deque
from typing import Optional

MAX_ENTRIES = 100_000


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict] = deque(maxlen=MAX_ENTRIES)
        self._seq = 0

    def add(self, entry: dict) -> None:
        with self._lock:
            self._seq += 1
            entry["seq"] = self._seq
            self._entries.append(entry)

    def query(self, service: Optional[str] = None, action: Optional[str] = None, since: int = 0) -> list[dict]:
        with self._lock:
            return [
                dict(e) for e in self._entries
                if e["seq"] > since and (service is None or e["service"] == service)
                and (action is None or e["action"] == action)
            ]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
