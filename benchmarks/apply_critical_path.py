#!/usr/bin/env python3
"""Wall time of an apply against its critical path: the longest chain of operation durations
along the tool's own dependency edges. A walk that starts every operation the moment its own
dependencies finish has wall / critical path = 1; anything above is scheduling overhead.

strata:    apply_critical_path.py EVENTS.jsonl
    From `strata apply --events FILE`: each operation's duration (resource.creating/updating/
    deleting -> its *.created/updated/deleted) and its dependencies (the `waitingFor` of its
    resource.waiting event: exactly the walk's edges); wall = apply.started -> apply.finished.
terraform: apply_critical_path.py --terraform APPLY.jsonl STATE.json
    From `terraform apply -json`: each managed resource's apply_start -> apply_complete, with the
    dependencies Terraform recorded for it in the state (`terraform show -json`, `depends_on`,
    resource-level: every instance of a dependency counts); wall = first apply_start -> last
    apply_complete (the plan Terraform makes first, and its provider start-up, are outside, as
    strata's plan is outside apply.started).

prints `wall critical ratio operations chain`, each link of the chain with its duration"""
import json
import re
import sys
from datetime import datetime


def ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def longest_chain(duration, deps_of):
    """duration: {op: seconds}; deps_of(op) -> ops it waited for. -> (length, [ops])"""
    memo = {}

    def longest(op):
        if op in memo:
            return memo[op]
        memo[op] = (duration[op], [op])  # guards against a cycle in malformed input
        best, chain = 0.0, []
        for dep in deps_of(op):
            if dep in duration and dep != op:
                length, c = longest(dep)
                if length > best:
                    best, chain = length, c
        memo[op] = (best + duration[op], chain + [op])
        return memo[op]

    return max((longest(op) for op in duration), default=(0.0, []))


def strata(path):
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
    for key in duration:
        by_address.setdefault(key[0], []).append(key)

    def deps_of(key):
        return [dep_key for dep in waits.get(key, []) for dep_key in by_address.get(dep, [])]

    critical, chain = longest_chain(duration, deps_of)
    wall = (end - start) if start is not None and end is not None else 0.0
    return wall, critical, len(duration), [f"{k[0]} ({duration[k]:.1f}s)" for k in chain]


def _resources(module):
    yield from module.get("resources", [])
    for child in module.get("child_modules", []):
        yield from _resources(child)


_INSTANCE_KEY = re.compile(r"\[[^\]]*\]$")


def terraform(apply_path, state_path):
    began, finished = {}, {}
    for line in open(apply_path):
        if not line.strip():
            continue
        e = json.loads(line)
        hook = e.get("hook") or {}
        if (e.get("type") not in ("apply_start", "apply_complete")
                or hook.get("action") not in ("create", "update", "delete", "replace")):
            continue
        address = hook["resource"]["addr"]
        (began if e["type"] == "apply_start" else finished)[address] = ts(e["@timestamp"])
    duration = {a: finished[a] - began[a] for a in finished if a in began}
    state = json.load(open(state_path))
    depends = {r["address"]: r.get("depends_on", [])
               for r in _resources(state.get("values", {}).get("root_module", {}))}
    by_resource = {}
    for address in duration:
        by_resource.setdefault(_INSTANCE_KEY.sub("", address), []).append(address)

    def deps_of(address):
        return [op for dep in depends.get(address, []) for op in by_resource.get(dep, [])]

    critical, chain = longest_chain(duration, deps_of)
    wall = (max(finished.values()) - min(began.values())) if began and finished else 0.0
    return wall, critical, len(duration), [f"{a} ({duration[a]:.1f}s)" for a in chain]


def main(argv):
    if argv and argv[0] == "--terraform":
        wall, critical, ops, chain = terraform(argv[1], argv[2])
    else:
        wall, critical, ops, chain = strata(argv[0])
    ratio = wall / critical if critical else float("nan")
    print(f"{wall:.2f} {critical:.2f} {ratio:.3f} {ops} {' -> '.join(chain)}")


if __name__ == "__main__":
    main(sys.argv[1:])
