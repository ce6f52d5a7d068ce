"""Fault injection: latency, throttling and server errors, per service and action.

A rule ``{service?, action?, latency_ms?, throttle_rate?, error_rate?, error_status?, drop_rate?,
count?, seed?}`` matches a request when its service and action match (absent = any). Matching
rules add their latency; then each may throttle (probability ``throttle_rate``), fail
(``error_rate``, status ``error_status`` 500 or 503) or drop the connection without an answer
(``drop_rate``), or answer with a malformed body (``mangle_rate``: the request runs, then its
successful answer goes through one of :mod:`strata_sandbox.mangle`'s mutations, ``mangle`` if it
names one, else one chosen at random). With ``error_after`` true, a request chosen to fail is run first and then
answered with the 5xx, as when AWS committed a write but its answer was lost: a create without a
client token that its caller resends blindly makes two. ``count`` limits how many requests a rule may fault; ``seed``
makes the coin flips reproducible.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Optional

from strata_sandbox.mangle import MUTATIONS

_FIELDS = {"service", "action", "latency_ms", "throttle_rate", "error_rate", "error_status", "error_after", "drop_rate",
           "mangle_rate", "mangle", "count", "seed"}


class RuleError(ValueError):
    pass


@dataclass
class Rule:
    service: Optional[str] = None
    action: Optional[str] = None
    latency_ms: float = 0.0
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    error_status: int = 500
    error_after: bool = False
    drop_rate: float = 0.0
    mangle_rate: float = 0.0
    mangle: Optional[str] = None
    count: Optional[int] = None
    seed: Optional[int] = None
    faulted: int = 0
    matched: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    @classmethod
    def parse(cls, raw: dict) -> "Rule":
        if not isinstance(raw, dict):
            raise RuleError("a rule must be a JSON object")
        unknown = set(raw) - _FIELDS
        if unknown:
            raise RuleError(f"unknown rule fields: {sorted(unknown)}; known: {sorted(_FIELDS)}")
        rule = cls(
            service=raw.get("service"),
            action=raw.get("action"),
            latency_ms=float(raw.get("latency_ms", 0) or 0),
            throttle_rate=float(raw.get("throttle_rate", 0) or 0),
            error_rate=float(raw.get("error_rate", 0) or 0),
            error_status=int(raw.get("error_status", 500) or 500),
            error_after=bool(raw.get("error_after", False)),
            drop_rate=float(raw.get("drop_rate", 0) or 0),
            mangle_rate=float(raw.get("mangle_rate", 0) or 0),
            mangle=raw.get("mangle"),
            count=None if raw.get("count") is None else int(raw["count"]),
            seed=None if raw.get("seed") is None else int(raw["seed"]),
        )
        if rule.mangle is not None and rule.mangle not in MUTATIONS:
            raise RuleError(f"mangle must be one of {sorted(MUTATIONS)}")
        for name in ("throttle_rate", "error_rate", "drop_rate", "mangle_rate"):
            if not 0.0 <= getattr(rule, name) <= 1.0:
                raise RuleError(f"{name} must be between 0 and 1")
        if rule.latency_ms < 0 or rule.latency_ms > 60000:
            raise RuleError("latency_ms must be between 0 and 60000")
        if rule.error_status not in (500, 503):
            raise RuleError("error_status must be 500 or 503")
        if rule.seed is not None:
            rule.rng = random.Random(rule.seed)
        return rule

    def matches(self, service: str, action: str) -> bool:
        if self.service and self.service != service:
            return False
        if self.action and self.action != action:
            return False
        return True

    def describe(self) -> dict:
        return {
            "service": self.service, "action": self.action, "latency_ms": self.latency_ms,
            "throttle_rate": self.throttle_rate, "error_rate": self.error_rate,
            "error_status": self.error_status, "error_after": self.error_after, "drop_rate": self.drop_rate,
            "mangle_rate": self.mangle_rate, "mangle": self.mangle, "count": self.count, "seed": self.seed,
            "matched": self.matched, "faulted": self.faulted,
        }


@dataclass
class Decision:
    latency_s: float = 0.0
    fault: Optional[str] = None  # "throttle" | "error" | "drop" | "mangle"
    status: int = 0
    after: bool = False  # an "error" answered after the request ran
    mangle: Optional[str] = None  # a "mangle": the mutation asked for (None: any)
    mangle_seed: int = 0  # a "mangle": seeds the mutation's own choices, so the case replays


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Rule] = []

    def set(self, raw_rules: list) -> list[dict]:
        rules = [Rule.parse(r) for r in raw_rules]
        with self._lock:
            self._rules = rules
        return [r.describe() for r in rules]

    def add(self, raw_rules: list) -> list[dict]:
        rules = [Rule.parse(r) for r in raw_rules]
        with self._lock:
            self._rules.extend(rules)
            return [r.describe() for r in self._rules]

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def list(self) -> list[dict]:
        with self._lock:
            return [r.describe() for r in self._rules]

    def decide(self, service: str, action: str) -> Decision:
        d = Decision()
        with self._lock:
            for rule in self._rules:
                if not rule.matches(service, action):
                    continue
                rule.matched += 1
                exhausted = rule.count is not None and rule.faulted >= rule.count
                if rule.latency_ms and not exhausted:
                    d.latency_s += rule.latency_ms / 1000.0
                    if not (rule.throttle_rate or rule.error_rate or rule.drop_rate or rule.mangle_rate):
                        rule.faulted += 1
                if d.fault or exhausted:
                    continue
                if rule.throttle_rate and rule.rng.random() < rule.throttle_rate:
                    d.fault, rule.faulted = "throttle", rule.faulted + 1
                elif rule.error_rate and rule.rng.random() < rule.error_rate:
                    d.fault, d.status, d.after = "error", rule.error_status, rule.error_after
                    rule.faulted += 1
                elif rule.drop_rate and rule.rng.random() < rule.drop_rate:
                    d.fault, rule.faulted = "drop", rule.faulted + 1
                elif rule.mangle_rate and rule.rng.random() < rule.mangle_rate:
                    d.fault, rule.faulted = "mangle", rule.faulted + 1
                    d.mangle, d.mangle_seed = rule.mangle, rule.rng.getrandbits(32)
        return d
