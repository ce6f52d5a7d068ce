"""The sandbox's clock: wall time plus an offset tests can advance, and the time scale.

Lifecycle durations are given in real AWS seconds; ``scaled(seconds)`` is how long they take
here (``--time-scale 0.01`` makes a 9-minute cluster creation take 5.4 s).
"""

from __future__ import annotations

import datetime as _dt
import threading
import time


class Clock:
    def __init__(self, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError("time scale must be positive")
        self.time_scale = time_scale
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def now_dt(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self.now(), _dt.timezone.utc)

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
            return self._offset

    def offset(self) -> float:
        with self._lock:
            return self._offset

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0

    def scaled(self, aws_seconds: float) -> float:
        return aws_seconds * self.time_scale
