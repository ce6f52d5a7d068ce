"""Availability of every Deployment over time: the stretches it had fewer Ready pods than its
PodDisruptionBudget demands, and the stretches it had no Ready pod at all.

A budget-respecting drain can still leave a service without endpoints (evicting the last Ready
pod while its replacement is still starting is allowed by ``maxUnavailable: 1`` of one replica),
so the sandbox measures what users would have felt, not only what the Eviction API allowed.
The cluster samples every Deployment after each change of its state (each controller pass), so
a dip of a few milliseconds is seen; durations are wall seconds, and real-AWS seconds (wall
divided by the time scale, the unit of every sandbox lifecycle).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .timestamps import now_precise

BELOW_BUDGET = "below_budget"
ZERO_READY = "zero_ready"


@dataclass(frozen=True)
class Sample:
    """One Deployment at one instant."""

    ready: int
    replicas: int
    pdb: str | None
    desired_healthy: int | None  # what its budget demands; None without a budget

    def failing(self) -> set[str]:
        out = set()
        if self.desired_healthy is not None and self.ready < self.desired_healthy:
            out.add(BELOW_BUDGET)
        if self.replicas > 0 and self.ready == 0:
            out.add(ZERO_READY)
        return out


@dataclass
class Stretch:
    namespace: str
    deployment: str
    kind: str
    pdb: str | None
    desired_healthy: int | None
    min_ready: int
    started: float  # time.monotonic()
    start: str
    ended: float | None = None
    end: str | None = None

    def view(self, now: float, time_scale: float) -> dict:
        wall = (self.ended if self.ended is not None else now) - self.started
        return {"namespace": self.namespace, "deployment": self.deployment, "kind": self.kind, "pdb": self.pdb,
                "desired_healthy": self.desired_healthy, "min_ready": self.min_ready, "start": self.start,
                "end": self.end, "wall_seconds": round(wall, 4), "seconds": round(wall / time_scale, 3)}


class AvailabilityTracker:
    """Fed a sample of every Deployment after each state change; not thread-safe (the cluster's
    lock guards it)."""

    def __init__(self, time_scale: float) -> None:
        self.time_scale = time_scale
        self._open: dict[tuple[str, str, str], Stretch] = {}  # (namespace, deployment, kind)
        self._closed: list[Stretch] = []
        self._seen: dict[tuple[str, str], str | None] = {}  # every Deployment since the last clear -> pdb
        self._current: dict[tuple[str, str], str | None] = {}  # the Deployments of the last sample

    def observe(self, samples: dict[tuple[str, str], Sample]) -> None:
        now = time.monotonic()
        self._current = {key: sample.pdb for key, sample in samples.items()}
        for (ns, name), sample in samples.items():
            self._seen[(ns, name)] = sample.pdb
            failing = sample.failing()
            for kind in (BELOW_BUDGET, ZERO_READY):
                key = (ns, name, kind)
                stretch = self._open.get(key)
                if kind in failing:
                    if stretch is None:
                        self._open[key] = Stretch(ns, name, kind, sample.pdb, sample.desired_healthy, sample.ready,
                                                  now, now_precise())
                    else:
                        stretch.min_ready = min(stretch.min_ready, sample.ready)
                elif stretch is not None:
                    self._close(key, now)
        for key in [k for k in self._open if (k[0], k[1]) not in samples]:
            self._close(key, now)  # the Deployment is gone

    def _close(self, key: tuple[str, str, str], now: float) -> None:
        stretch = self._open.pop(key)
        stretch.ended, stretch.end = now, now_precise()
        self._closed.append(stretch)

    def clear(self) -> None:
        """Forgets what was recorded; a stretch still open starts again now, as it still holds."""
        now, stamp = time.monotonic(), now_precise()
        self._closed = []
        self._seen = dict(self._current)
        for stretch in self._open.values():
            stretch.started, stretch.start = now, stamp

    def view(self) -> dict:
        now = time.monotonic()
        stretches = sorted((s.view(now, self.time_scale) for s in self._closed + list(self._open.values())),
                           key=lambda s: s["start"])
        per: dict[tuple[str, str], dict] = {}
        for (ns, name), pdb in sorted(self._seen.items()):
            per[(ns, name)] = {"namespace": ns, "name": name, "pdb": pdb, "below_budget_seconds": 0.0,
                               "zero_ready_seconds": 0.0, "below_budget_wall_seconds": 0.0,
                               "zero_ready_wall_seconds": 0.0}
        for s in stretches:
            entry = per.setdefault((s["namespace"], s["deployment"]), {
                "namespace": s["namespace"], "name": s["deployment"], "pdb": s["pdb"], "below_budget_seconds": 0.0,
                "zero_ready_seconds": 0.0, "below_budget_wall_seconds": 0.0, "zero_ready_wall_seconds": 0.0})
            entry[f"{s['kind']}_seconds"] += s["seconds"]
            entry[f"{s['kind']}_wall_seconds"] += s["wall_seconds"]

        def total(field: str) -> float:
            return round(sum(e[field] for e in per.values()), 4)

        return {
            "time_scale": self.time_scale,
            "below_budget_seconds": total("below_budget_seconds"),
            "zero_ready_seconds": total("zero_ready_seconds"),
            "below_budget_wall_seconds": total("below_budget_wall_seconds"),
            "zero_ready_wall_seconds": total("zero_ready_wall_seconds"),
            "stretches": stretches,
            "deployments": list(per.values()),
        }
