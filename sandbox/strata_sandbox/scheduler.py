"""Timed state transitions (CREATING -> ACTIVE and the like), run on the sandbox clock.

Transitions are queued with a duration in real-AWS seconds, scaled by the clock's time scale.
A background thread runs them when due, and request handlers call :meth:`run_due` first so
a Describe issued just after the due time already sees the new state. Every transition runs
under the sandbox's state lock.
"""

from __future__ import annotations

import heapq
import itertools
import sys
import threading
import traceback
from typing import Callable

from strata_sandbox.clock import Clock


class Scheduler:
    def __init__(self, clock: Clock, state_lock: threading.RLock) -> None:
        self.clock = clock
        self.state_lock = state_lock
        self._heap: list[tuple[float, int, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._gen = 0
        self._cv = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="sandbox-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def after(self, aws_seconds: float, fn: Callable[[], None]) -> float:
        """Run ``fn`` once ``aws_seconds`` (scaled) have passed; returns the due time."""
        due = self.clock.now() + self.clock.scaled(aws_seconds)
        with self._cv:
            heapq.heappush(self._heap, (due, next(self._seq), self._gen, fn))
            self._cv.notify_all()
        return due

    def clear(self) -> None:
        with self._cv:
            self._gen += 1
            self._heap = []
            self._cv.notify_all()

    def kick(self) -> None:
        with self._cv:
            self._cv.notify_all()

    def pending(self) -> int:
        with self._cv:
            return len(self._heap)

    def run_due(self) -> int:
        ran = 0
        with self.state_lock:
            while True:
                with self._cv:
                    if not self._heap or self._heap[0][0] > self.clock.now():
                        return ran
                    _, _, gen, fn = heapq.heappop(self._heap)
                    if gen != self._gen:
                        continue
                try:
                    fn()
                except Exception:  # a failed transition must not kill the loop; it is a sandbox bug
                    print("sandbox: scheduled transition failed:", file=sys.stderr)
                    traceback.print_exc()
                ran += 1

    def _loop(self) -> None:
        while True:
            with self._cv:
                if self._stopped:
                    return
                wait = 0.5
                if self._heap:
                    wait = min(wait, max(0.0, self._heap[0][0] - self.clock.now()))
                if wait > 0:
                    self._cv.wait(wait)
                if self._stopped:
                    return
            self.run_due()
