"""The sandbox's Kubernetes API held to an outside reference: the official Kubernetes Python
client (PyPI ``kubernetes``), typed models and all, drives nodes, pods, budgets, a cordon and
evictions against a sandbox cluster. Its models refuse objects missing fields the real API
server always sends, and it posts an Eviction without apiVersion/kind, which the real API
server defaults from the URL."""

from __future__ import annotations

import uuid

import pytest
from kubernetes import client as k8s
from kubernetes.client.rest import ApiException

from kube_fixtures import daemonset, deployment, eks_token, pdb, running_registry, statefulset, wait_for

REGION = "eu-west-1"


@pytest.fixture
def cluster(tmp_path):
    with running_registry(time_scale=0.01) as registry:
        c = registry.create_cluster(REGION, f"o-{uuid.uuid4().hex[:8]}", "1.30")
        registry.upsert_nodegroup(REGION, c.name, "blue", 2, "1.30", True, {"role": "web"}, [], ["m5.large"])
        ca = tmp_path / "ca.pem"
        ca.write_bytes(c.ca_pem)
        config = k8s.Configuration(host=c.endpoint)
        config.ssl_ca_cert = str(ca)
        config.api_key = {"BearerToken": eks_token(c.name, REGION)}
        config.api_key_prefix = {"BearerToken": "Bearer"}
        with k8s.ApiClient(config) as api:
            yield registry, c, api


def seed(registry, c, *objects) -> None:
    code, body = registry.control(["clusters", REGION, c.name, "workloads"], "POST", {"objects": list(objects)})
    assert code == 201, body


def ready_pods(core: k8s.CoreV1Api, selector: str) -> list[k8s.V1Pod]:
    pods = core.list_namespaced_pod("default", label_selector=selector).items
    return [p for p in pods if p.metadata.deletion_timestamp is None and p.status.phase == "Running"
            and any(c.type == "Ready" and c.status == "True" for c in p.status.conditions or [])]


def test_official_client_drives_nodes_pods_budgets_cordon_and_eviction(cluster):
    registry, c, api = cluster
    core, policy = k8s.CoreV1Api(api), k8s.PolicyV1Api(api)
    seed(registry, c, deployment("web", 3), pdb("web-pdb", {"app": "web"}, maxUnavailable=1), daemonset("kube-proxy"),
         statefulset("db", 1))

    nodes = core.list_node(label_selector="eks.amazonaws.com/nodegroup=blue").items
    assert len(nodes) == 2 and all(isinstance(n, k8s.V1Node) for n in nodes)
    assert {n.metadata.labels["role"] for n in nodes} == {"web"}
    assert all(n.status.node_info.kubelet_version.startswith("v1.30.") for n in nodes)

    pods = wait_for(lambda: (lambda r: r if len(r) == 3 else None)(ready_pods(core, "app=web")),
                    what="3 Ready web pods")
    statuses = pods[0].status.container_statuses
    assert statuses and statuses[0].image_id and statuses[0].container_id.startswith("containerd://")
    assert statuses[0].restart_count == 0 and statuses[0].started is True and statuses[0].ready is True

    # Every built-in kind the sandbox serves decodes into the client's models.
    apps = k8s.AppsV1Api(api)
    assert [d.status.ready_replicas for d in apps.list_namespaced_deployment("default").items] == [3]
    assert [r.status.replicas for r in apps.list_namespaced_replica_set("default").items] == [3]
    wait_for(lambda: [d.status.number_ready for d in apps.list_namespaced_daemon_set("kube-system").items] == [2],
             what="kube-proxy Ready on both nodes")
    wait_for(lambda: [d.status.ready_replicas for d in apps.list_namespaced_stateful_set("default").items] == [1],
             what="db-0 Ready")
    assert {"default", "kube-system"} <= {n.metadata.name for n in core.list_namespace().items}
    assert all(p.spec.node_name for p in core.list_pod_for_all_namespaces().items)

    budget = policy.read_namespaced_pod_disruption_budget("web-pdb", "default")
    assert isinstance(budget, k8s.V1PodDisruptionBudget)
    assert (budget.status.current_healthy, budget.status.desired_healthy, budget.status.disruptions_allowed) \
        == (3, 2, 1)

    # Cordon the nodes the way kubectl does, through a typed patch: the replacement of an evicted
    # pod then stays Pending, so the budget stays spent for as long as the test needs.
    # The cordon carries its record (an annotation) in the same patch, as a rollout's does.
    record = {"strata.dev/rollout": f"{c.name}/blue->blue-1-31"}
    for node in nodes:
        cordoned = core.patch_node(node.metadata.name, {"metadata": {"annotations": record},
                                                        "spec": {"unschedulable": True}})
        assert cordoned.spec.unschedulable is True
        assert "node.kubernetes.io/unschedulable" in {t.key for t in cordoned.spec.taints or []}

    # The client sends no apiVersion/kind: the server takes them from the URL, as the real one does.
    first, second = pods[0].metadata.name, pods[1].metadata.name
    core.create_namespaced_pod_eviction(
        first, "default", k8s.V1Eviction(metadata=k8s.V1ObjectMeta(name=first, namespace="default")))
    replacement = [p for p in core.list_namespaced_pod("default", label_selector="app=web").items
                   if p.metadata.name not in {q.metadata.name for q in pods}]
    assert [p.status.phase for p in replacement] == ["Pending"]

    with pytest.raises(ApiException) as refused:
        core.create_namespaced_pod_eviction(
            second, "default", k8s.V1Eviction(metadata=k8s.V1ObjectMeta(name=second, namespace="default")))
    assert refused.value.status == 429
    assert "The disruption budget web-pdb needs 2 healthy pods and has 2 currently" in refused.value.body

    observed = registry.control(["clusters", REGION, c.name, "observations"], "GET", None)[1]
    assert [e["pod"] for e in observed["evictions"]] == [first]
    assert [(b["pod"], b["code"]) for b in observed["blocked_evictions"]] == [(second, 429)]
    assert {(o["node"], o["unschedulable"]) for o in observed["cordoned"]} == {(n.metadata.name, True) for n in nodes}
    assert all(o["annotations"]["strata.dev/rollout"] == record["strata.dev/rollout"] for o in observed["cordoned"])
    summary = registry.control(["clusters", REGION, c.name], "GET", None)[1]["nodes"]
    assert {(n["name"], n["unschedulable"], n["annotations"].get("strata.dev/rollout")) for n in summary} == {
        (n.metadata.name, True, record["strata.dev/rollout"]) for n in nodes}

    for node in nodes:
        assert not core.patch_node(node.metadata.name, {"spec": {"unschedulable": None}}).spec.unschedulable
    wait_for(lambda: len(ready_pods(core, "app=web")) == 3, what="the replacement Ready once uncordoned")
