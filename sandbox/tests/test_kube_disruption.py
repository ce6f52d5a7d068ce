"""PodDisruptionBudgets, the Eviction API, and what a blue/green node-group rollout relies on.

All over HTTPS against the cluster's own CA, with `aws eks get-token` style tokens.
"""

from __future__ import annotations

import time
import uuid

import pytest

from kube_fixtures import KubeClient, daemonset, deployment, eks_token, pdb, running_registry, statefulset, wait_for

REGION = "eu-west-1"


@pytest.fixture
def time_scale() -> float:
    return 0.01  # as the sandbox's default: pods start 0.05 s after binding


@pytest.fixture
def registry(time_scale):
    with running_registry(time_scale=time_scale) as reg:
        yield reg


@pytest.fixture
def cluster(registry):
    return registry.create_cluster(REGION, f"d-{uuid.uuid4().hex[:8]}", "1.30")


@pytest.fixture
def kube(cluster):
    return KubeClient(cluster, eks_token(cluster.name, REGION))


def seed(registry, cluster, *objects) -> None:
    code, body = registry.control(["clusters", REGION, cluster.name, "workloads"], "POST", {"objects": list(objects)})
    assert code == 201, body


def observations(registry, cluster) -> dict:
    return registry.control(["clusters", REGION, cluster.name, "observations"], "GET", None)[1]


def running(kube, ns="default", **selectors) -> list[dict]:
    return [p for p in kube.pods(ns, **selectors) if p["status"]["phase"] == "Running"
            and any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"])]


def wait_running(kube, count, ns="default", **selectors) -> list[dict]:
    return wait_for(lambda: (lambda r: r if len(r) == count and len(kube.pods(ns, **selectors)) == count else None)(
        running(kube, ns, **selectors)), what=f"{count} running pods in {ns} {selectors}")


def budget(kube, name, ns="default") -> dict:
    return kube.ok("GET", f"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/{name}")["status"]


def test_pdb_with_min_available_equal_to_replicas_blocks_eviction(registry, cluster, kube):
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 2, "1.30", True, {}, [], ["m5.large"])
    seed(registry, cluster, deployment("web", 3), pdb("web-pdb", {"app": "web"}, minAvailable=3))
    pods = wait_running(kube, 3)
    status = budget(kube, "web-pdb")
    counts = (status["currentHealthy"], status["desiredHealthy"], status["expectedPods"], status["disruptionsAllowed"])
    assert counts == (3, 3, 3, 0)

    name = pods[0]["metadata"]["name"]
    code, body = kube.evict("default", name)
    assert code == 429
    assert body["kind"] == "Status" and body["status"] == "Failure" and body["reason"] == "TooManyRequests"
    assert body["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    assert body["details"]["causes"] == [{
        "reason": "DisruptionBudget",
        "message": "The disruption budget web-pdb needs 3 healthy pods and has 3 currently",
    }]
    assert kube.get(f"/api/v1/namespaces/default/pods/{name}")[0] == 200
    obs = observations(registry, cluster)
    assert obs["evictions"] == []
    assert [(b["pod"], b["pdb"], b["code"]) for b in obs["blocked_evictions"]] == [(name, "web-pdb", 429)]
    listed = kube.ok("GET", "/apis/policy/v1/poddisruptionbudgets")
    assert listed["kind"] == "PodDisruptionBudgetList" and listed["items"][0]["status"]["disruptionsAllowed"] == 0


@pytest.mark.parametrize("time_scale", [0.3])  # start 1.5 s, terminate 0.6 s: windows to observe
def test_allowed_eviction_replaces_the_pod_and_the_newcomer_is_unhealthy_until_running(registry, cluster, kube):
    slow = cluster
    registry.upsert_nodegroup(REGION, slow.name, "blue", 2, "1.30", True, {}, [], ["m5.large"])
    seed(registry, slow, deployment("web", 3), pdb("web-pdb", {"app": "web"}, maxUnavailable=1))
    before = wait_running(kube, 3)
    assert budget(kube, "web-pdb")["disruptionsAllowed"] == 1

    # Cordon everything so the replacement stays Pending (not healthy) until we say so.
    nodes = [n["metadata"]["name"] for n in kube.ok("GET", "/api/v1/nodes")["items"]]
    for node in nodes:
        kube.ok("PATCH", f"/api/v1/nodes/{node}", {"spec": {"unschedulable": True}}, "application/merge-patch+json")
    victim = before[0]["metadata"]["name"]
    code, body = kube.evict("default", victim)
    assert code == 201 and body["status"] == "Success"
    # The evicted pod terminates gracefully (0.6 s here); its replacement exists at once.
    terminating = kube.ok("GET", f"/api/v1/namespaces/default/pods/{victim}")
    assert terminating["metadata"]["deletionTimestamp"]
    conditions = {c["type"]: c for c in terminating["status"]["conditions"]}
    assert conditions["Ready"]["status"] == "False"
    assert conditions["DisruptionTarget"]["reason"] == "EvictionByEvictionAPI"
    pods = kube.pods("default")
    newcomer = [p for p in pods if p["metadata"]["name"] not in {b["metadata"]["name"] for b in before}]
    assert len(pods) == 4 and len(newcomer) == 1
    assert newcomer[0]["status"]["phase"] == "Pending"
    assert kube.evict("default", victim)[0] == 201  # evicting a terminating pod again is a no-op
    # Not yet Running: not healthy, so the budget is spent and the next eviction must wait.
    status = budget(kube, "web-pdb")
    assert (status["currentHealthy"], status["desiredHealthy"], status["disruptionsAllowed"]) == (2, 2, 0)
    assert kube.evict("default", before[1]["metadata"]["name"])[0] == 429

    wait_for(lambda: kube.get(f"/api/v1/namespaces/default/pods/{victim}")[0] == 404, what="the victim gone")
    assert budget(kube, "web-pdb")["disruptionsAllowed"] == 0
    kube.ok("PATCH", f"/api/v1/nodes/{nodes[0]}", {"spec": {"unschedulable": False}}, "application/merge-patch+json")
    wait_running(kube, 3)
    assert budget(kube, "web-pdb")["disruptionsAllowed"] == 1
    evictions = observations(registry, slow)["evictions"]
    assert [(e["pod"], e["pdb"], e["owner_kind"]) for e in evictions] == [(victim, "web-pdb", "ReplicaSet")]


def test_two_budgets_selecting_a_pod_make_eviction_fail_with_500(registry, cluster, kube):
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 1, "1.30", True, {}, [], ["m5.large"])
    seed(registry, cluster, deployment("web", 2, labels={"app": "web", "tier": "front"}),
         pdb("by-app", {"app": "web"}, maxUnavailable=1), pdb("by-tier", {"tier": "front"}, maxUnavailable=1))
    pods = wait_running(kube, 2)
    code, body = kube.evict("default", pods[0]["metadata"]["name"])
    assert code == 500 and body["reason"] == "InternalError"
    assert body["message"] == (
        "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.")
    assert len(kube.pods("default")) == 2


def test_eviction_of_unknown_pod_and_malformed_eviction(registry, cluster, kube):
    code, body = kube.evict("default", "nope")
    assert code == 404 and body["reason"] == "NotFound" and body["message"] == 'pods "nope" not found'
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 1, "1.30", True, {}, [], ["m5.large"])
    seed(registry, cluster, deployment("web", 1))
    name = wait_running(kube, 1)[0]["metadata"]["name"]
    code, body = kube.request("POST", f"/api/v1/namespaces/default/pods/{name}/eviction",
                              {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "other"}})
    assert code == 400 and body["reason"] == "BadRequest"


def test_replacement_stays_pending_without_a_schedulable_node(registry, cluster, kube):
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 2, "1.30", True, {}, [], ["m5.large"])
    seed(registry, cluster, deployment("web", 2))
    pods = wait_running(kube, 2)
    for node in kube.ok("GET", "/api/v1/nodes")["items"]:
        kube.ok("PATCH", f"/api/v1/nodes/{node['metadata']['name']}", {"spec": {"unschedulable": True}},
                "application/strategic-merge-patch+json")
    assert kube.evict("default", pods[0]["metadata"]["name"])[0] == 201
    pending = [p for p in kube.pods("default") if p["status"]["phase"] == "Pending"]
    assert len(pending) == 1 and "nodeName" not in pending[0]["spec"]
    cond = [c for c in pending[0]["status"]["conditions"] if c["type"] == "PodScheduled"][0]
    assert cond["reason"] == "Unschedulable" and cond["message"].startswith("0/2 nodes are available")
    # Still pending after several start-up delays (0.05 s each): nothing may schedule it.
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        assert len(running(kube)) == 1
        time.sleep(0.05)
    registry.upsert_nodegroup(REGION, cluster.name, "green", 1, "1.31", True, {}, [], ["m6i.large"])
    wait_running(kube, 2)
    green = kube.ok("GET", "/api/v1/nodes?labelSelector=eks.amazonaws.com/nodegroup%3Dgreen")["items"][0]
    assert green["metadata"]["name"] in {p["spec"]["nodeName"] for p in kube.pods("default")}


@pytest.mark.parametrize("time_scale", [0.12])  # 0.6 s start-up: evictions outpace replacements
def test_blue_green_drain_respects_budgets_and_loses_nothing(registry, cluster, kube):
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 3, "1.30", True, {}, [], ["m5.large"])
    seed(registry, cluster,
         deployment("web", 4), pdb("web-pdb", {"app": "web"}, maxUnavailable=1),
         deployment("api", 3), pdb("api-pdb", {"app": "api"}, minAvailable="66%"),
         daemonset("kube-proxy"))
    wait_running(kube, 7)
    wait_running(kube, 3, ns="kube-system")
    blue = [n["metadata"]["name"] for n in
            kube.ok("GET", "/api/v1/nodes?labelSelector=eks.amazonaws.com/nodegroup%3Dblue")["items"]]
    registry.control(["clusters", REGION, cluster.name, "observations"], "DELETE", None)

    # Green at the target version, Ready, then cordon blue.
    registry.upsert_nodegroup(REGION, cluster.name, "green", 3, "1.31", True, {}, [], ["m6i.large"])
    wait_running(kube, 6, ns="kube-system")
    for node in blue:
        kube.ok("PATCH", f"/api/v1/nodes/{node}", {"spec": {"unschedulable": True}}, "application/merge-patch+json")

    # Evict every non-DaemonSet pod on blue, retrying on 429 until the budget allows.
    saw_429 = 0
    deadline = time.monotonic() + 20
    while True:
        movable = [p for node in blue for p in kube.pods(fieldSelector=f"spec.nodeName={node}")
                   if p["metadata"]["ownerReferences"][0]["kind"] != "DaemonSet"]
        if not movable:
            break
        assert time.monotonic() < deadline, f"drain did not finish: {[p['metadata']['name'] for p in movable]}"
        for p in movable:
            if p["metadata"].get("deletionTimestamp"):
                continue  # already evicted, still terminating: wait for it to go
            code, body = kube.evict(p["metadata"]["namespace"], p["metadata"]["name"])
            if code == 429:
                saw_429 += 1
                assert body["details"]["causes"][0]["message"].startswith("The disruption budget ")
                time.sleep(0.02)
                break
            assert code in (201, 404), body
        time.sleep(0.02)
    wait_running(kube, 7)
    assert saw_429 > 0, "the budgets never pushed back, so the test proved nothing"
    assert all(p["spec"]["nodeName"] not in blue for p in kube.pods("default"))

    registry.delete_nodegroup(REGION, cluster.name, "blue")
    obs = observations(registry, cluster)
    assert obs["pdb_violations"] == []
    assert len(obs["evictions"]) == 7
    assert {e["pdb"] for e in obs["evictions"]} == {"web-pdb", "api-pdb"}
    # Green was Ready first and every eviction waited for its budget: no Deployment dipped.
    assert obs["availability"]["below_budget_seconds"] == 0 and obs["availability"]["zero_ready_seconds"] == 0
    assert {d["name"] for d in obs["availability"]["deployments"]} == {"web", "api"}
    assert all(e["disruptions_allowed"] >= 1 for e in obs["evictions"])
    assert [p for p in obs["lost_pods"] if p["counts_as_loss"]] == []
    assert sorted(p["owner_kind"] for p in obs["lost_pods"]) == ["DaemonSet"] * 3
    assert {c["node"] for c in obs["cordoned"]} == set(blue)
    assert len(kube.ok("GET", "/api/v1/nodes")["items"]) == 3
    assert len(kube.pods("kube-system")) == 3
    assert registry.control(["clusters", REGION, cluster.name], "GET", None)[1]["controller_errors"] == []


def test_deleting_an_undrained_node_group_records_lost_pods_and_violations(registry, cluster, kube):
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 2, "1.30", True, {}, [], ["m5.large"])
    seed(registry, cluster, deployment("web", 2), pdb("web-pdb", {"app": "web"}, minAvailable=1),
         daemonset("aws-node"))
    web = wait_running(kube, 2)
    wait_running(kube, 2, ns="kube-system")
    registry.delete_nodegroup(REGION, cluster.name, "blue")
    obs = observations(registry, cluster)
    lost = sorted((p["owner_kind"], p["counts_as_loss"], p["cause"]) for p in obs["lost_pods"])
    assert lost == [("DaemonSet", False, "nodegroup-deleted")] * 2 + [("ReplicaSet", True, "nodegroup-deleted")] * 2
    assert {p["pod"] for p in obs["lost_pods"] if p["counts_as_loss"]} == {p["metadata"]["name"] for p in web}
    assert all(p["nodegroup"] == "blue" for p in obs["lost_pods"])
    # The first web pod went while the budget allowed one disruption; the second broke it.
    assert [(v["pdb"], v["cause"], v["current_healthy"], v["desired_healthy"]) for v in obs["pdb_violations"]] == [
        ("web-pdb", "nodegroup-deleted", 1, 1)]
    assert kube.ok("GET", "/api/v1/nodes")["items"] == []
    pods = kube.pods("default")
    assert len(pods) == 2 and all(p["status"]["phase"] == "Pending" for p in pods)  # recreated, nowhere to run


def test_plain_delete_past_the_budget_is_a_violation(registry, cluster, kube):
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 1, "1.30", True, {}, [], ["m5.large"])
    seed(registry, cluster, deployment("web", 2), pdb("web-pdb", {"app": "web"}, minAvailable=2))
    pods = wait_running(kube, 2)
    kube.ok("DELETE", f"/api/v1/namespaces/default/pods/{pods[0]['metadata']['name']}")
    violations = observations(registry, cluster)["pdb_violations"]
    first = pods[0]["metadata"]["name"]
    assert [(v["pod"], v["pdb"], v["cause"]) for v in violations] == [(first, "web-pdb", "delete")]


def test_budget_status_arithmetic(registry, cluster, kube):
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 2, "1.30", True, {}, [], ["m5.large"])
    seed(registry, cluster, deployment("web", 5),
         pdb("pct-max", {"app": "web"}, ns="default", maxUnavailable="30%"),
         {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}},
         deployment("api", 4, ns="other"), pdb("pct-min", {"app": "api"}, ns="other", minAvailable="50%"),
         daemonset("node-exporter", ns="other"),
         pdb("ds", {"k8s-app": "node-exporter"}, ns="other", maxUnavailable=1))
    wait_running(kube, 5)
    wait_running(kube, 6, ns="other")
    s = budget(kube, "pct-max")  # 30% of 5 rounds up to 2 unavailable -> 3 desired
    assert (s["expectedPods"], s["desiredHealthy"], s["currentHealthy"], s["disruptionsAllowed"]) == (5, 3, 5, 2)
    s = budget(kube, "pct-min", ns="other")  # 50% of 4 -> 2 desired
    assert (s["expectedPods"], s["desiredHealthy"], s["disruptionsAllowed"]) == (4, 2, 2)
    # DaemonSets have no scale subresource: a maxUnavailable budget over them cannot be computed.
    s = budget(kube, "ds", ns="other")
    assert s["disruptionsAllowed"] == 0
    assert s["conditions"][0]["reason"] == "SyncFailed" and "scale" in s["conditions"][0]["message"]
    pod = running(kube, "other", labelSelector="k8s-app=node-exporter")[0]["metadata"]["name"]
    assert kube.evict("other", pod)[0] == 429


def test_scale_in_and_static_pods_of_a_node_group(registry, cluster, kube):
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 3, "1.30", True, {}, [], ["m5.large"])
    code, body = registry.control(["clusters", REGION, cluster.name, "workloads"], "POST", {
        "objects": [deployment("web", 3)],
        "static_pods": [{"nodegroup": "blue", "pod": {"metadata": {"name": "log-agent", "namespace": "kube-system"},
                                                      "spec": {"containers": [{"name": "a", "image": "busybox"}]}}}]})
    assert code == 201 and body["created"][-1] == {"kind": "StaticPod", "node": None, "nodegroup": "blue",
                                                   "name": "log-agent"}
    wait_running(kube, 3, ns="kube-system")
    wait_running(kube, 3)
    mirrors = kube.pods("kube-system")
    assert all(p["metadata"]["name"] == "log-agent-" + p["spec"]["nodeName"] for p in mirrors)

    # Scaling in takes the newest node and everything on it; the mirror pod is no loss.
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 2, "1.30", True, {}, [], ["m5.large"])
    obs = observations(registry, cluster)
    assert {p["cause"] for p in obs["lost_pods"]} == {"scale-in"}
    assert {(p["owner_kind"], p["counts_as_loss"]) for p in obs["lost_pods"]} >= {("Mirror", False)}
    assert len(kube.pods("kube-system")) == 2
    wait_running(kube, 3)  # the web pod that was there is recreated on the remaining nodes

    # A new node gets the group's static pod too.
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 3, "1.30", True, {}, [], ["m5.large"])
    wait_running(kube, 3, ns="kube-system")


def test_concurrent_evictions_never_overspend_a_budget(registry, cluster, kube):
    import threading

    registry.upsert_nodegroup(REGION, cluster.name, "blue", 2, "1.30", True, {}, [], ["m5.large"])
    seed(registry, cluster, deployment("web", 4), pdb("web-pdb", {"app": "web"}, maxUnavailable=1))
    pods = wait_running(kube, 4)
    # Every node cordoned: a replacement cannot start, so the budget cannot recover mid-burst
    # however slowly the burst runs.
    for node in kube.ok("GET", "/api/v1/nodes")["items"]:
        kube.ok("PATCH", f"/api/v1/nodes/{node['metadata']['name']}", {"spec": {"unschedulable": True}},
                "application/merge-patch+json")
    results: list[tuple[str, int]] = []
    lock = threading.Lock()

    def evict(name: str) -> None:
        code, _ = kube.evict("default", name)
        with lock:
            results.append((name, code))

    threads = [threading.Thread(target=evict, args=(p["metadata"]["name"],)) for p in pods for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    # Two callers may both get 201 for the one pod that went (the second finds it terminating).
    assert len({name for name, code in results if code == 201}) == 1, results
    assert {code for _, code in results} <= {201, 404, 429}  # 404: the pod had already gone
    evictions = observations(registry, cluster)["evictions"]
    assert len(evictions) == 1
    assert evictions[0]["current_healthy"] == 4 and evictions[0]["disruptions_allowed"] == 1


@pytest.mark.parametrize("time_scale", [0.1])  # 0.5 s start-up: the ordered creation can be watched
def test_statefulset_pods_come_in_order_keep_their_names_and_a_zero_budget_blocks_them(registry, cluster, kube):
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 2, "1.30", True, {}, [], ["m5.large"])
    seed(registry, cluster, statefulset("db", 3), pdb("db-pdb", {"app": "db"}, maxUnavailable=0),
         statefulset("cache", 2, podManagementPolicy="Parallel"), pdb("cache-pdb", {"app": "cache"}, maxUnavailable=1))
    # OrderedReady: db-1 is created only once db-0 is Ready; Parallel makes both cache pods at once.
    assert [p["metadata"]["name"] for p in kube.pods("default", labelSelector="app=db")] == ["db-0"]
    assert len(kube.pods("default", labelSelector="app=cache")) == 2
    wait_running(kube, 3, labelSelector="app=db")
    assert {p["metadata"]["name"] for p in running(kube, labelSelector="app=db")} == {"db-0", "db-1", "db-2"}
    assert kube.ok("GET", "/apis/apps/v1/namespaces/default/statefulsets/db")["status"]["readyReplicas"] == 3

    # A budget that allows no disruption: the scale is the StatefulSet's, and eviction waits for ever.
    s = budget(kube, "db-pdb")
    assert (s["expectedPods"], s["desiredHealthy"], s["disruptionsAllowed"]) == (3, 3, 0)
    assert kube.evict("default", "db-1")[0] == 429

    wait_running(kube, 2, labelSelector="app=cache")
    old_uid = kube.ok("GET", "/api/v1/namespaces/default/pods/cache-1")["metadata"]["uid"]
    assert kube.evict("default", "cache-1")[0] == 201

    def returned():
        code, pod = kube.get("/api/v1/namespaces/default/pods/cache-1")  # 404 while the old one is gone
        fresh = code == 200 and pod["metadata"]["uid"] != old_uid
        return pod if fresh and pod["status"]["phase"] == "Running" else None

    back = wait_for(returned, what="cache-1 back under its own name")
    assert back["metadata"]["ownerReferences"][0]["kind"] == "StatefulSet"
    assert back["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == "cache-1"
