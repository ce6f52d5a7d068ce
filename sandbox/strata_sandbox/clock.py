"""The sandbox's clock: wall time plus an offset tests can advance (or a frozen instant), and
the time scale.

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
        self._frozen_at: float | None = None
        # (service, action, answers left): stop the clock once that many more were answered.
        self._freeze_after: tuple[str, str, int] | None = None
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return time.time() + self._offset

    def freeze(self, frozen: bool) -> None:
        """Stop the clock (nothing becomes due) or restart it where it stopped; either way a
        pending ``freeze_after`` is dropped: the test said what it wants now."""
        with self._lock:
            self._freeze_after = None
            if frozen and self._frozen_at is None:
                self._frozen_at = time.time() + self._offset
            elif not frozen and self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None

    def freeze_after(self, service: str, action: str, count: int) -> None:
        """Stop the clock the moment the ``count``-th next successful ``service`` ``action`` is
        answered: a test stopping it itself once it saw the answer could be too late on a loaded
        machine (an add-on is CREATING for 0.6 s at time scale 0.01)."""
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._freeze_after = (service, action, count)

    def answered(self, service: str, action: str, status: int) -> None:
        """Counts an answer towards ``freeze_after``."""
        with self._lock:
            if self._freeze_after is None or status >= 300 or self._freeze_after[:2] != (service, action):
                return
            wanted_service, wanted_action, left = self._freeze_after
            if left > 1:
                self._freeze_after = (wanted_service, wanted_action, left - 1)
                return
            self._freeze_after = None
            if self._frozen_at is None:
                self._frozen_at = time.time() + self._offset

    def frozen(self) -> bool:
        with self._lock:
            return self._frozen_at is not None

    def now_dt(self) -> _dt.datetime:
        return _dt.datetime.fromtimestamp(self.now(), _dt.timezone.utc)

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += seconds
            if self._frozen_at is not None:
                self._frozen_at += seconds
            return self._offset

    def offset(self) -> float:
        with self._lock:
            return self._offset

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None
            self._freeze_after = None

    def scaled(self, aws_seconds: float) -> float:
        return aws_seconds * self.time_scale
