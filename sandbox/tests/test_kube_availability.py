"""Availability observations: every stretch a Deployment had fewer Ready pods than its budget
demands, or none at all, measured from each pod state change."""

from __future__ import annotations

import uuid

import pytest

from kube_fixtures import KubeClient, deployment, eks_token, pdb, running_registry, wait_for

REGION = "eu-west-1"
TIME_SCALE = 0.01  # a pod starts 50 ms after it is bound, and is gone 20 ms after eviction


@pytest.fixture
def setup():
    with running_registry(time_scale=TIME_SCALE) as registry:
        cluster = registry.create_cluster(REGION, f"a-{uuid.uuid4().hex[:8]}", "1.30")
        registry.upsert_nodegroup(REGION, cluster.name, "blue", 2, "1.30", True, {}, [], ["m5.large"])
        yield registry, cluster, KubeClient(cluster, eks_token(cluster.name, REGION))


def control(registry, cluster, route, method="GET", body=None):
    code, doc = registry.control(["clusters", REGION, cluster.name, route], method, body)
    assert code in (200, 201), doc
    return doc


def ready(kube, app):
    return [p for p in kube.pods("default", labelSelector=f"app={app}") if not p["metadata"].get("deletionTimestamp")
            and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"])]


def settled(registry, cluster, kube, **apps):
    """Waits until each app has its Ready pods, then starts the observations afresh."""
    for app, count in apps.items():
        wait_for(lambda a=app, n=count: len(ready(kube, a)) == n, what=f"{count} Ready {app} pods")
    control(registry, cluster, "observations", "DELETE")
    availability = control(registry, cluster, "observations")["availability"]
    assert availability["below_budget_seconds"] == 0 and availability["zero_ready_seconds"] == 0
    assert {d["name"] for d in availability["deployments"]} == set(apps)


def test_evicting_the_only_replica_leaves_a_zero_ready_stretch_the_budget_allowed(setup):
    registry, cluster, kube = setup
    control(registry, cluster, "workloads", "POST", {"objects": [
        deployment("solo", 1), pdb("solo-pdb", {"app": "solo"}, maxUnavailable=1),
        deployment("web", 2), pdb("web-pdb", {"app": "web"}, minAvailable=1)]})
    settled(registry, cluster, kube, solo=1, web=2)

    assert kube.evict("default", ready(kube, "solo")[0]["metadata"]["name"])[0] == 201
    wait_for(lambda: len(ready(kube, "solo")) == 1, what="the replacement Ready")
    availability = control(registry, cluster, "observations")["availability"]
    [dip] = availability["stretches"]
    assert (dip["deployment"], dip["kind"], dip["pdb"], dip["min_ready"]) == ("solo", "zero_ready", "solo-pdb", 0)
    assert dip["end"] is not None
    # The replacement took POD_START_SECONDS (5 s on AWS): 50 ms here, and it was seen.
    assert 0.04 <= dip["wall_seconds"] < 1 and dip["seconds"] == pytest.approx(dip["wall_seconds"] / TIME_SCALE, 0.01)
    assert availability["zero_ready_seconds"] == pytest.approx(dip["seconds"], abs=0.01)
    assert availability["below_budget_seconds"] == 0  # maxUnavailable: 1 of 1 demands nothing
    by_name = {d["name"]: d for d in availability["deployments"]}
    assert by_name["web"]["zero_ready_seconds"] == 0 and by_name["solo"]["pdb"] == "solo-pdb"


def test_deleting_past_the_budget_is_a_below_budget_stretch_until_replacements_are_ready(setup):
    registry, cluster, kube = setup
    control(registry, cluster, "workloads", "POST", {"objects": [
        deployment("web", 3), pdb("web-pdb", {"app": "web"}, minAvailable="60%")]})
    settled(registry, cluster, kube, web=3)

    # Every node cordoned: the replacements stay Pending, so the stretch is open while we look.
    for node in kube.ok("GET", "/api/v1/nodes")["items"]:
        kube.ok("PATCH", f"/api/v1/nodes/{node['metadata']['name']}", {"spec": {"unschedulable": True}},
                "application/merge-patch+json")
    for pod in ready(kube, "web")[:2]:
        kube.ok("DELETE", f"/api/v1/namespaces/default/pods/{pod['metadata']['name']}")
    [open_stretch] = control(registry, cluster, "observations")["availability"]["stretches"]
    assert (open_stretch["kind"], open_stretch["desired_healthy"], open_stretch["min_ready"]) == ("below_budget", 2, 1)
    assert open_stretch["end"] is None

    for node in kube.ok("GET", "/api/v1/nodes")["items"]:
        kube.ok("PATCH", f"/api/v1/nodes/{node['metadata']['name']}", {"spec": {"unschedulable": False}},
                "application/merge-patch+json")
    wait_for(lambda: len(ready(kube, "web")) == 3, what="the replacements Ready")
    observations = control(registry, cluster, "observations")
    [closed] = observations["availability"]["stretches"]
    assert closed["end"] is not None and closed["seconds"] > 0
    assert observations["availability"]["below_budget_seconds"] == pytest.approx(closed["seconds"], abs=0.01)
    assert [v["pdb"] for v in observations["pdb_violations"]] == ["web-pdb"]  # the second delete broke it

    control(registry, cluster, "observations", "DELETE")
    cleared = control(registry, cluster, "observations")["availability"]
    assert cleared["stretches"] == [] and cleared["below_budget_seconds"] == 0
