"""Label and field selectors, in both their query-string and LabelSelector-object forms."""

from __future__ import annotations

import re
from typing import Any, Callable


class SelectorError(ValueError):
    pass


Requirement = Callable[[dict], bool]

_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_VALUE = r"[A-Za-z0-9._-]*"
_SET_RE = re.compile(rf"^\s*(!?)\s*({_KEY})\s*(?:(notin|in)\s*\(([^)]*)\))?\s*$")
_EQ_RE = re.compile(rf"^\s*({_KEY})\s*(==|!=|=)\s*({_VALUE})\s*$")


def _split_top_level(selector: str) -> list[str]:
    """Splits on commas that are not inside a parenthesised value set."""
    parts, depth, current = [], 0, []
    for ch in selector:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def parse_label_selector(selector: str | None) -> Callable[[dict], bool]:
    """Parses ``a=b,c!=d,e in (x,y),f notin (z),g,!h`` into a predicate over a labels dict."""
    if not selector or not selector.strip():
        return lambda labels: True
    reqs: list[Requirement] = []
    for part in _split_top_level(selector):
        m = _EQ_RE.match(part)
        if m:
            key, op, value = m.groups()
            if op == "!=":
                reqs.append(lambda labels, k=key, v=value: labels.get(k) != v)
            else:
                reqs.append(lambda labels, k=key, v=value: labels.get(k) == v)
            continue
        m = _SET_RE.match(part)
        if m:
            bang, key, op, values = m.groups()
            if op:
                if bang:
                    raise SelectorError(f"unable to parse requirement: {part.strip()!r}")
                vs = {v.strip() for v in values.split(",") if v.strip()}
                if op == "in":
                    reqs.append(lambda labels, k=key, vs=vs: labels.get(k) in vs)
                else:
                    reqs.append(lambda labels, k=key, vs=vs: labels.get(k) not in vs)
            elif bang:
                reqs.append(lambda labels, k=key: k not in labels)
            else:
                reqs.append(lambda labels, k=key: k in labels)
            continue
        raise SelectorError(f"unable to parse requirement: {part.strip()!r}")
    return lambda labels: all(r(labels) for r in reqs)


def label_selector_matches(selector: dict | None, labels: dict) -> bool:
    """metav1.LabelSelector semantics; a nil selector matches nothing, an empty one everything."""
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In":
            if labels.get(key) not in values:
                return False
        elif op == "NotIn":
            if key in labels and labels[key] in values:
                return False
        elif op == "Exists":
            if key not in labels:
                return False
        elif op == "DoesNotExist":
            if key in labels:
                return False
        else:
            raise SelectorError(f"{op!r} is not a valid label selector operator")
    return True


def _dig(obj: dict, path: str) -> Any:
    cur: Any = obj
    for part in path.split("."):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(part)
    return cur


# Field labels each resource supports (the API server refuses others with 400).
FIELD_LABELS: dict[str, set[str]] = {
    "pods": {"metadata.name", "metadata.namespace", "spec.nodeName", "status.phase",
             "spec.schedulerName", "spec.serviceAccountName", "status.podIP", "spec.restartPolicy"},
    "nodes": {"metadata.name", "spec.unschedulable"},
}
DEFAULT_FIELD_LABELS = {"metadata.name", "metadata.namespace"}


def parse_field_selector(selector: str | None, plural: str) -> Callable[[dict], bool]:
    if not selector or not selector.strip():
        return lambda obj: True
    allowed = FIELD_LABELS.get(plural, DEFAULT_FIELD_LABELS)
    reqs: list[Callable[[dict], bool]] = []
    for part in selector.split(","):
        m = re.match(r"^\s*([A-Za-z.]+)\s*(==|!=|=)\s*(.*?)\s*$", part)
        if not m:
            raise SelectorError(f"invalid selector: {part!r}; can't understand {part!r}")
        field, op, value = m.groups()
        if field not in allowed:
            raise SelectorError(f'field label not supported: {field}')

        def actual(obj: dict, f: str = field) -> str:
            v = _dig(obj, f)
            if v is None:
                return ""
            if isinstance(v, bool):
                return "true" if v else "false"
            return str(v)

        if op == "!=":
            reqs.append(lambda o, a=actual, v=value: a(o) != v)
        else:
            reqs.append(lambda o, a=actual, v=value: a(o) == v)
    return lambda obj: all(r(obj) for r in reqs)
