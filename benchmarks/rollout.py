#!/usr/bin/env python3
"""The rollout benchmark (issue #13): stacks/prod rolled 1.30 -> 1.31 on a fresh sandbox per way
of doing it, with the same seeded workload, at a fixed time scale.

    rollout.py STRATA TIME_SCALE WORKDIR

Three ways, side by side:
  blue-green  `strata upgrade --cluster prod --to 1.31` with the pool's default strategy;
  rolling     the same with `upgrade: { strategy: rolling }`: EKS's managed update in place
              (what Terraform's in-place `version` change does);
  replace     what a replace-the-group tool does: the control plane, then delete the old group
              and create a new one at the target (boto3, no strata).
For each: PDB violations, lost pods (`counts_as_loss`), seconds any Deployment spent below its
budget and with no Ready pod (the sandbox's observations, in real-AWS seconds), and for strata
the rollout's wall time over its physical limit: the control plane update + the add-on updates
it made + the green group's creation + the slowest drain the budgets allow + the blue group's
deletion, each at the sandbox's own durations and the time scale. Prints a table and a JSON
line per way (for benchmarks/README.md)."""

import json
import math
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import datetime

import boto3

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGION = "us-east-1"
CLUSTER = "prod"
POOL = "system"
# The sandbox kubelet: a pod Ready this long after it is bound, gone this long after eviction.
POD_START_SECONDS = 5.0
POD_TERMINATION_SECONDS = 2.0

TOLERATE_SYSTEM = [{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}]


def deployment(name, replicas, budget):
    labels = {"app": name}
    objects = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {
                "replicas": replicas,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"tolerations": TOLERATE_SYSTEM, "containers": [{"name": name, "image": f"shop/{name}:1"}]},
                },
            },
        }
    ]
    if budget:
        objects.append(
            {
                "apiVersion": "policy/v1",
                "kind": "PodDisruptionBudget",
                "metadata": {"name": name, "namespace": "shop"},
                "spec": {"selector": {"matchLabels": labels}, **budget},
            }
        )
    return objects


# The seeded workload: what a small production service runs on the system pool.
WORKLOAD = {
    "objects": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}]
    + deployment("web", 6, {"minAvailable": 4})
    + deployment("api", 3, {"maxUnavailable": 1})
    + deployment("cache", 2, {"minAvailable": "50%"})
    + [
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "node-agent", "namespace": "shop"},
            "spec": {
                "selector": {"matchLabels": {"app": "node-agent"}},
                "template": {
                    "metadata": {"labels": {"app": "node-agent"}},
                    "spec": {
                        "tolerations": TOLERATE_SYSTEM,
                        "containers": [{"name": "agent", "image": "shop/agent:1"}],
                    },
                },
            },
        }
    ],
    "static_pods": [
        {
            "nodegroup": POOL,
            "pod": {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": "proxy",
                    "namespace": "kube-system",
                    "annotations": {"kubernetes.io/config.mirror": "x"},
                },
                "spec": {"containers": [{"name": "proxy", "image": "proxy:1"}]},
            },
        }
    ],
}

# (replicas, disruptions a budget allows at once) per budgeted Deployment above: the slowest
# drain the budgets allow moves the largest number of waves, each a replacement's start.
BUDGETS = {"web": (6, 2), "api": (3, 1), "cache": (2, 1)}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Sandbox:
    def __init__(self, scale, log):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL")
        }
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(REPO, "sandbox/run"), "--port", str(self.port), "--time-scale", str(scale)],
            stdout=open(log, "w"),
            stderr=subprocess.STDOUT,
            env=env,
        )
        subprocess.run(
            [sys.executable, os.path.join(REPO, "sandbox/wait_ready.py"), self.url, "60"],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def control(self, path, method="GET", body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.url + "/_sandbox/" + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            text = answer.read()
            return json.loads(text) if text else {}

    def kube(self, path="", method="GET", body=None):
        return self.control(f"kube/clusters/{REGION}/{CLUSTER}" + (f"/{path}" if path else ""), method, body)

    def eks(self):
        return boto3.client(
            "eks", region_name=REGION, endpoint_url=self.url, aws_access_key_id="test", aws_secret_access_key="test"
        )

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def wait_for(what, condition, deadline_seconds=600, pause=0.1):
    end = time.monotonic() + deadline_seconds
    while time.monotonic() < end:
        value = condition()
        if value:
            return value
        time.sleep(pause)
    raise SystemExit(f"timed out waiting for {what}")


def stack_copy(work, way, strategy):
    """stacks/prod and the modules it uses, at 1.30 with the given node-pool strategy."""
    root = os.path.join(work, f"repo-{way}")
    shutil.copytree(os.path.join(REPO, "modules"), os.path.join(root, "modules"))
    os.makedirs(os.path.join(root, "stacks"))
    shutil.copytree(os.path.join(REPO, "stacks/prod"), os.path.join(root, "stacks/prod"))
    path = os.path.join(root, "stacks/prod/stack.yaml")
    text = open(path).read()
    text = text.replace('version: "1.31"', 'version: "1.30"', 1)
    if strategy == "rolling":
        text = text.replace("upgrade: { strategy: blue-green", "upgrade: { strategy: rolling", 1)
    open(path, "w").write(text)
    return os.path.dirname(path)


def strata(binary, args, sandbox, log):
    env = dict(os.environ, AWS_ENDPOINT_URL=sandbox.url, NO_COLOR="1")
    with open(log, "w") as out:
        code = subprocess.run([binary, *args], stdout=out, stderr=subprocess.STDOUT, env=env).returncode
    if code != 0:
        print(open(log).read()[-4000:], file=sys.stderr)
        raise SystemExit(f"strata {' '.join(args[:2])} exited {code}")


def seeded(sandbox):
    sandbox.kube("workloads", "POST", WORKLOAD)

    def settled():
        pods = sandbox.kube()["pods"]
        shop = [p for p in pods if p["namespace"] == "shop"]
        return len(shop) >= 11 and all(p["ready"] for p in shop)

    wait_for("the seeded workload to be Ready", settled)
    sandbox.kube("observations", "DELETE")


def replace_the_group(sandbox):
    """Control plane first, then the old group deleted and a new one created, as a replace tool does."""
    eks = sandbox.eks()
    eks.update_cluster_version(name=CLUSTER, version="1.31")
    wait_for(
        "the control plane at 1.31",
        lambda: (
            eks.describe_cluster(name=CLUSTER)["cluster"]["status"] == "ACTIVE"
            and eks.describe_cluster(name=CLUSTER)["cluster"]["version"] == "1.31"
        ),
    )
    old = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=POOL)["nodegroup"]
    eks.delete_nodegroup(clusterName=CLUSTER, nodegroupName=POOL)

    def gone():
        try:
            eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=POOL)
            return False
        except eks.exceptions.ResourceNotFoundException:
            return True

    wait_for("the old group gone", gone)
    spec = {
        "clusterName": CLUSTER,
        "nodegroupName": POOL,
        "nodeRole": old["nodeRole"],
        "subnets": old["subnets"],
        "scalingConfig": old["scalingConfig"],
        "labels": old.get("labels") or {},
        "taints": old.get("taints") or [],
        "capacityType": old["capacityType"],
        "version": "1.31",
        "tags": old.get("tags") or {},
    }
    if old.get("launchTemplate"):
        spec["launchTemplate"] = {"id": old["launchTemplate"]["id"], "version": old["launchTemplate"]["version"]}
        spec["instanceTypes"] = old.get("instanceTypes") or []
    eks.create_nodegroup(**spec)
    wait_for(
        "the new group ACTIVE",
        lambda: eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=POOL)["nodegroup"]["status"] == "ACTIVE",
    )

    def serving():
        shop = [p for p in sandbox.kube()["pods"] if p["namespace"] == "shop"]
        return shop and all(p["ready"] for p in shop)

    wait_for("the workload Ready again", serving)


def timestamp(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def rollout_figures(events_path, durations, scale):
    """Wall time of the rollout (rollout.started -> rollout.finished) and its physical limit."""
    events = [json.loads(line) for line in open(events_path) if line.strip()]
    kinds = [e["kind"] for e in events]
    start = next(timestamp(e["timestamp"]) for e in events if e["kind"] == "rollout.started")
    end = next(timestamp(e["timestamp"]) for e in reversed(events) if e["kind"] == "rollout.finished")
    waves = max(math.ceil(replicas / allowed) for replicas, allowed in BUDGETS.values())
    drain = waves * POD_START_SECONDS + POD_TERMINATION_SECONDS
    limit = durations["cluster.version"] + kinds.count("addon.upgraded") * durations["addon.update"]
    if "nodegroup.created" in kinds:
        limit += durations["nodegroup.create"] + drain + durations["nodegroup.delete"]
    else:
        limit += durations["nodegroup.version"]
    return end - start, limit * scale, kinds.count("addon.upgraded")


def disruption(sandbox):
    seen = sandbox.kube("observations")
    availability = seen.get("availability", {})
    return {
        "pdb_violations": len(seen.get("pdb_violations", [])),
        "lost_pods": sum(1 for p in seen.get("lost_pods", []) if p.get("counts_as_loss")),
        "below_budget_seconds": round(availability.get("below_budget_seconds", 0.0), 1),
        "zero_ready_seconds": round(availability.get("zero_ready_seconds", 0.0), 1),
        "evictions": len(seen.get("evictions", [])),
    }


def main(argv):
    binary, scale, work = argv[1], float(argv[2]), argv[3]
    # boto3 takes an empty AWS_PROFILE (set so strata reads no profile) for a profile's name.
    os.environ.pop("AWS_PROFILE", None)
    results = []
    for way in os.environ.get("WAYS", "blue-green rolling replace").split():
        sandbox = Sandbox(scale, os.path.join(work, f"sandbox-{way}.log"))
        try:
            durations = sandbox.control("eks/durations")["durations"]
            stack = stack_copy(work, way, "rolling" if way == "rolling" else "blue-green")
            strata(binary, ["apply", stack, "--auto-approve"], sandbox, os.path.join(work, f"apply-{way}.txt"))
            seeded(sandbox)
            row = {"way": way}
            started = time.monotonic()
            if way == "replace":
                replace_the_group(sandbox)
            else:
                events = os.path.join(work, f"events-{way}.jsonl")
                args = ["upgrade", stack, "--cluster", CLUSTER, "--to", "1.31", "--auto-approve", "--events", events]
                strata(binary, args, sandbox, os.path.join(work, f"upgrade-{way}.txt"))
                wall, limit, addons = rollout_figures(events, durations, scale)
                row.update(wall=round(wall, 2), limit=round(limit, 2), ratio=round(wall / limit, 2), addons=addons)
            row["command"] = round(time.monotonic() - started, 2)
            row.update(disruption(sandbox))
            results.append(row)
        finally:
            sandbox.stop()
    print(f"rollout benchmark: stacks/prod 1.30 -> 1.31, time scale {scale}, the same seeded workload")
    print("(web 6 replicas / minAvailable 4, api 3 / maxUnavailable 1, cache 2 / 50%, a DaemonSet, mirror pods)")
    columns = [("way", 11), ("wall", 7), ("limit", 7), ("ratio", 6), ("pdb_violations", 15), ("lost_pods", 9)]
    columns += [("below_budget_seconds", 21), ("zero_ready_seconds", 19), ("evictions", 9)]
    print(" ".join(f"{name:>{width}}" for name, width in columns))
    for r in results:
        print(" ".join(f"{r.get(name, '-'):>{width}}" for name, width in columns))
    for r in results:
        print(json.dumps(r, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv)
