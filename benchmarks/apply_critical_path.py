#!/usr/bin/env python3
"""Reads a `strata apply --events FILE` log and prints the wall time, the critical path and their
ratio. The critical path is the longest chain of operation durations along the executor's own
edges: each operation's duration (resource.creating/updating/deleting -> its *.created/updated/
deleted) plus the longest path among what it waited for (the `waitingFor` of its
resource.waiting event, which lists exactly the walk's dependencies).

usage: apply_critical_path.py EVENTS.jsonl  -> prints `wall critical ratio operations chain`"""
import json
import sys
from datetime import datetime


def ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def main(path):
    events = [json.loads(line) for line in open(path) if line.strip()]
    start = end = None
    began, finished, waits = {}, {}, {}
    for e in events:
        kind, p, t = e["kind"], e["payload"], ts(e["timestamp"])
        key = (p.get("address"), p.get("action"))
        if kind == "apply.started":
            start = t
        elif kind == "apply.finished":
            end = t
        elif kind == "resource.waiting":
            waits[key] = [a.strip() for a in p["waitingFor"].split(",") if a.strip()]
        elif kind in ("resource.creating", "resource.updating", "resource.deleting"):
            began[key] = t
        elif kind in ("resource.created", "resource.updated", "resource.deleted"):
            finished[key] = t
    duration = {k: finished[k] - began[k] for k in finished if k in began}
    by_address = {}
    for (address, action), d in duration.items():
        by_address.setdefault(address, []).append(((address, action), d))
    memo = {}

    def longest(key):
        if key in memo:
            return memo[key]
        best, chain = 0.0, []
        for dep in waits.get(key, []):
            for dep_key, _ in by_address.get(dep, []):
                length, c = longest(dep_key)
                if length > best:
                    best, chain = length, c
        memo[key] = (best + duration.get(key, 0.0), chain + [key[0]])
        return memo[key]

    critical, chain = max((longest(k) for k in duration), default=(0.0, []))
    wall = (end - start) if start is not None and end is not None else 0.0
    ratio = wall / critical if critical else float("nan")
    print(f"{wall:.2f} {critical:.2f} {ratio:.3f} {len(duration)} {' -> '.join(chain)}")


if __name__ == "__main__":
    main(sys.argv[1])
