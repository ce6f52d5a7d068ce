"""The per-cluster Kubernetes API server: TLS, EKS token authentication, nodes, pods, apply.

Every test talks HTTPS to the real server, verifying its certificate against the CA the
registry returned for that cluster.
"""

from __future__ import annotations

import datetime
import http.client
import json
import socket
import ssl
import uuid
from urllib.parse import quote

import pytest

from kube_fixtures import KubeClient, daemonset, deployment, eks_token, running_registry, wait_for

REGION = "us-east-1"


@pytest.fixture
def registry():
    with running_registry(time_scale=0.01) as reg:
        yield reg


@pytest.fixture
def cluster(registry):
    name = f"c-{uuid.uuid4().hex[:8]}"
    return registry.create_cluster(REGION, name, "1.30")


@pytest.fixture
def kube(cluster):
    return KubeClient(cluster, eks_token(cluster.name, REGION))


def observations(registry, cluster) -> dict:
    code, body = registry.control(["clusters", REGION, cluster.name, "observations"], "GET", None)
    assert code == 200
    return body


# ----- TLS ---------------------------------------------------------------------------------------

def _handshake(port: int, ctx: ssl.SSLContext, server_hostname: str) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=server_hostname) as tls:
            tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert tls.recv(64).startswith(b"HTTP/1.1 200")


def test_cluster_returns_endpoint_ca_and_oidc_issuer(cluster):
    assert cluster.endpoint.startswith("https://127.0.0.1:")
    assert cluster.ca_pem.startswith(b"-----BEGIN CERTIFICATE-----")
    prefix = f"https://oidc.eks.{REGION}.amazonaws.com/id/"
    assert cluster.oidc_issuer.startswith(prefix)
    suffix = cluster.oidc_issuer[len(prefix):]
    assert len(suffix) == 32 and suffix == suffix.upper() and int(suffix, 16) >= 0


def test_tls_verifies_against_the_cluster_ca_only(registry, cluster):
    port = int(cluster.endpoint.rsplit(":", 1)[1])
    own = ssl.create_default_context(cadata=cluster.ca_pem.decode())
    _handshake(port, own, "127.0.0.1")
    _handshake(port, own, "localhost")

    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(port, ssl.create_default_context(), "127.0.0.1")  # system roots only

    other = registry.create_cluster(REGION, cluster.name + "-other", "1.30")
    assert other.ca_pem != cluster.ca_pem
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(port, ssl.create_default_context(cadata=other.ca_pem.decode()), "127.0.0.1")

    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(port, own, "example.com")  # the certificate names 127.0.0.1 and localhost only

    # The server survived the refused handshakes.
    _handshake(port, own, "127.0.0.1")


# ----- authentication ----------------------------------------------------------------------------

def _assert_unauthorized(code: int, body: dict) -> None:
    assert code == 401
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": "Unauthorized", "reason": "Unauthorized", "code": 401}


def test_get_token_style_token_is_accepted(kube):
    code, body = kube.get("/api/v1/nodes")
    assert code == 200 and body["kind"] == "NodeList"


def test_missing_and_malformed_tokens_get_401(registry, cluster, kube):
    _assert_unauthorized(*kube.get("/api/v1/nodes", token=None))
    _assert_unauthorized(*kube.get("/api/v1/nodes", token="not-a-token"))
    _assert_unauthorized(*kube.get("/api/v1/nodes", token="k8s-aws-v1.!!!"))
    good = eks_token(cluster.name, REGION)
    _assert_unauthorized(*kube.get("/api/v1/nodes", token=good + "A"))  # corrupted URL
    reasons = [f["reason"] for f in observations(registry, cluster)["auth_failures"]]
    assert reasons[0] == "no bearer token"
    assert len(reasons) == 4


def test_token_signed_with_the_wrong_secret_gets_401(registry, cluster, kube):
    bad = eks_token(cluster.name, REGION, secret="not-the-secret")
    _assert_unauthorized(*kube.get("/api/v1/pods", token=bad))
    assert "SignatureDoesNotMatch" in observations(registry, cluster)["auth_failures"][-1]["reason"]


def test_token_for_another_cluster_gets_401(registry, cluster, kube):
    _assert_unauthorized(*kube.get("/api/v1/pods", token=eks_token("some-other-cluster", REGION)))
    assert "SignatureDoesNotMatch" in observations(registry, cluster)["auth_failures"][-1]["reason"]


def test_expired_token_gets_401_but_a_ten_minute_old_one_is_accepted(registry, cluster, kube):
    now = datetime.datetime.now(datetime.timezone.utc)
    # X-Amz-Expires is 60 s, yet EKS honours the token for 15 minutes after X-Amz-Date.
    ten_minutes_old = eks_token(cluster.name, REGION, at=now - datetime.timedelta(minutes=10))
    assert kube.get("/api/v1/nodes", token=ten_minutes_old)[0] == 200
    expired = eks_token(cluster.name, REGION, at=now - datetime.timedelta(minutes=16))
    _assert_unauthorized(*kube.get("/api/v1/nodes", token=expired))
    assert "expired" in observations(registry, cluster)["auth_failures"][-1]["reason"]


def _retoken(token: str, edit) -> str:
    """Decodes a token's URL, edits it, and encodes it back (the signature no longer matters:
    these tokens must be refused on their shape before any signature check)."""
    import base64

    payload = token[len("k8s-aws-v1."):]
    url = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    return "k8s-aws-v1." + base64.urlsafe_b64encode(edit(url).encode()).decode().rstrip("=")


@pytest.mark.parametrize("edit, reason", [
    (lambda u: u.replace("https://sts.us-east-1.amazonaws.com", "https://sts.attacker.example"), "unexpected STS host"),
    (lambda u: u.replace("https://", "http://"), "must be https"),
    (lambda u: u.replace("Action=GetCallerIdentity", "Action=AssumeRole"), "not for GetCallerIdentity"),
    (lambda u: u + "&X-Amz-Extra=1", "non-allowlisted query parameter"),
    (lambda u: u.replace("X-Amz-Expires=60", "X-Amz-Expires=3600"), "X-Amz-Expires 3600"),
    (lambda u: u.replace("host%3Bx-k8s-aws-id", "host"), "x-k8s-aws-id is not a signed header"),
])
def test_tokens_of_the_wrong_shape_get_401(registry, cluster, kube, edit, reason):
    token = _retoken(eks_token(cluster.name, REGION), edit)
    _assert_unauthorized(*kube.get("/api/v1/nodes", token=token))
    assert reason in observations(registry, cluster)["auth_failures"][-1]["reason"]


def test_withdrawn_access_refuses_valid_tokens_until_restored(registry, cluster, kube):
    def access(refuse):
        code, body = registry.control(["clusters", REGION, cluster.name, "access"], "POST", {"refuse": refuse})
        assert code == 200, body

    access(401)
    _assert_unauthorized(*kube.get("/api/v1/configmaps"))
    assert observations(registry, cluster)["auth_failures"][-1]["reason"] == "no access entry for the caller"
    access(403)
    code, body = kube.get("/api/v1/configmaps")
    assert code == 403 and body["reason"] == "Forbidden" and "aws-iam:test" in body["message"]
    assert kube.get("/version")[0] == 200
    access(None)
    assert kube.get("/api/v1/configmaps")[0] == 200
    code, body = registry.control(["clusters", REGION, cluster.name, "access"], "POST", {"refuse": 500})
    assert code == 400 and body["reason"] == "BadRequest"


def test_version_is_public_but_a_bad_token_is_still_refused(registry, cluster, kube):
    code, body = kube.get("/version", token=None)
    assert code == 200 and body["gitVersion"].startswith("v1.30.") and "-eks-" in body["gitVersion"]
    assert (body["major"], body["minor"]) == ("1", "30+")
    _assert_unauthorized(*kube.get("/version", token="k8s-aws-v1.bogus"))
    registry.set_cluster_version(REGION, cluster.name, "1.31")
    assert kube.get("/version")[1]["gitVersion"].startswith("v1.31.")


# ----- nodes ---------------------------------------------------------------------------------------

def test_nodes_follow_their_node_group(registry, cluster, kube):
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 3, "1.30", False, {"role": "app"},
                              [{"key": "dedicated", "value": "app", "effect": "NO_SCHEDULE"}], ["m6i.large"])
    nodes = kube.ok("GET", "/api/v1/nodes")["items"]
    assert len(nodes) == 3
    zones = sorted(n["metadata"]["labels"]["topology.kubernetes.io/zone"] for n in nodes)
    assert zones == ["us-east-1a", "us-east-1b", "us-east-1c"]
    for n in nodes:
        labels = n["metadata"]["labels"]
        assert labels["eks.amazonaws.com/nodegroup"] == "blue"
        assert labels["node.kubernetes.io/instance-type"] == "m6i.large"
        assert labels["role"] == "app"
        assert n["status"]["nodeInfo"]["kubeletVersion"].startswith("v1.30.")
        assert "-eks-" in n["status"]["nodeInfo"]["kubeletVersion"]
        assert n["spec"]["taints"] == [{"key": "dedicated", "effect": "NoSchedule", "value": "app"}]
        ready = [c for c in n["status"]["conditions"] if c["type"] == "Ready"][0]
        assert ready["status"] == "False"

    registry.upsert_nodegroup(REGION, cluster.name, "blue", 4, "1.31", True, {"role": "app"}, [], ["m6i.large"])
    nodes = kube.ok("GET", "/api/v1/nodes")["items"]
    assert len(nodes) == 4
    for n in nodes:
        assert [c["status"] for c in n["status"]["conditions"] if c["type"] == "Ready"] == ["True"]
        assert n["status"]["nodeInfo"]["kubeletVersion"].startswith("v1.31.")
        assert "taints" not in n["spec"]

    # Scaling up again with ready=False (as EKS's UpdateNodegroupConfig does until it finishes):
    # the new node joins NotReady, the nodes already serving stay Ready.
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 5, "1.31", False, {"role": "app"}, [], ["m6i.large"])
    readiness = sorted(
        [c["status"] for c in n["status"]["conditions"] if c["type"] == "Ready"][0]
        for n in kube.ok("GET", "/api/v1/nodes")["items"])
    assert readiness == ["False", "True", "True", "True", "True"]
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 5, "1.31", True, {"role": "app"}, [], ["m6i.large"])
    assert all([c["status"] for c in n["status"]["conditions"] if c["type"] == "Ready"] == ["True"]
               for n in kube.ok("GET", "/api/v1/nodes")["items"])

    one = nodes[0]["metadata"]["name"]
    assert kube.ok("GET", f"/api/v1/nodes/{one}")["metadata"]["name"] == one
    code, body = kube.get("/api/v1/nodes/ip-10-9-9-9.ec2.internal")
    assert code == 404 and body["reason"] == "NotFound" and body["details"]["kind"] == "nodes"


def test_node_list_label_selectors(registry, cluster, kube):
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 2, "1.30", True, {}, [], ["m5.large"])
    registry.upsert_nodegroup(REGION, cluster.name, "green", 3, "1.31", True, {}, [], ["m6i.large", "m6a.large"])

    def names(selector: str) -> int:
        return len(kube.ok("GET", "/api/v1/nodes?labelSelector=" + quote(selector))["items"])

    assert names("eks.amazonaws.com/nodegroup=green") == 3
    assert names("eks.amazonaws.com/nodegroup!=green") == 2
    assert names("eks.amazonaws.com/nodegroup in (blue,green)") == 5
    assert names("node.kubernetes.io/instance-type=m6a.large,eks.amazonaws.com/nodegroup") == 1
    assert names("!eks.amazonaws.com/nodegroup") == 0
    code, body = kube.get("/api/v1/nodes?labelSelector=" + quote("a in b"))
    assert code == 400 and body["reason"] == "BadRequest"


@pytest.mark.parametrize("content_type", ["application/merge-patch+json", "application/strategic-merge-patch+json"])
def test_cordon_and_uncordon_by_patch(registry, cluster, kube, content_type):
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 2, "1.30", True, {}, [], ["m5.large"])
    node = kube.ok("GET", "/api/v1/nodes")["items"][0]["metadata"]["name"]
    patched = kube.ok("PATCH", f"/api/v1/nodes/{node}", {"spec": {"unschedulable": True}}, content_type)
    assert patched["spec"]["unschedulable"] is True
    taint = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
    assert taint.items() <= patched["spec"]["taints"][0].items()
    cordoned = kube.ok("GET", "/api/v1/nodes?fieldSelector=spec.unschedulable%3Dtrue")["items"]
    assert [n["metadata"]["name"] for n in cordoned] == [node]

    # Pods created now avoid the cordoned node.
    registry.control(["clusters", REGION, cluster.name, "workloads"], "POST", {"objects": [deployment("web", 4)]})
    pods = wait_for(lambda: [p for p in kube.pods("default") if p["status"]["phase"] == "Running"] if
                    len([p for p in kube.pods("default") if p["status"]["phase"] == "Running"]) == 4 else None,
                    what="4 running web pods")
    assert all(p["spec"]["nodeName"] != node for p in pods)

    uncordoned = kube.ok("PATCH", f"/api/v1/nodes/{node}", {"spec": {"unschedulable": None}}, content_type)
    assert "unschedulable" not in uncordoned["spec"] and "taints" not in uncordoned["spec"]
    events = observations(registry, cluster)["cordoned"]
    assert [(e["node"], e["nodegroup"], e["unschedulable"]) for e in events] == [
        (node, "blue", True), (node, "blue", False)]


def test_patch_errors_are_statuses(registry, cluster, kube):
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 1, "1.30", True, {}, [], ["m5.large"])
    node = kube.ok("GET", "/api/v1/nodes")["items"][0]["metadata"]["name"]
    code, body = kube.request("PATCH", f"/api/v1/nodes/{node}", {"spec": {}}, "text/plain")
    assert code == 415 and body["reason"] == "UnsupportedMediaType"
    code, body = kube.request("PATCH", "/api/v1/nodes/nope", {"spec": {"unschedulable": True}},
                              "application/merge-patch+json")
    assert code == 404 and body["message"] == 'nodes "nope" not found'
    ops = [{"op": "replace", "path": "/spec/unschedulable", "value": True}]
    code, body = kube.request("PATCH", f"/api/v1/nodes/{node}", ops, "application/json-patch+json")
    assert code == 422  # replace of a missing key, as RFC 6902 demands
    ops = [{"op": "add", "path": "/spec/unschedulable", "value": True}]
    assert kube.ok("PATCH", f"/api/v1/nodes/{node}", ops, "application/json-patch+json")["spec"]["unschedulable"]


# ----- pods ----------------------------------------------------------------------------------------

def test_pods_of_deployments_daemonsets_and_static_pods(registry, cluster, kube):
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 2, "1.30", True, {}, [], ["m5.large"])
    nodes = [n["metadata"]["name"] for n in kube.ok("GET", "/api/v1/nodes")["items"]]
    static = {"apiVersion": "v1", "kind": "Pod",
              "metadata": {"name": "etcd-probe", "namespace": "kube-system",
                           "annotations": {"kubernetes.io/config.mirror": "x"}},
              "spec": {"nodeName": nodes[0], "containers": [{"name": "probe", "image": "busybox"}]}}
    code, out = registry.control(["clusters", REGION, cluster.name, "workloads"], "POST", {
        "objects": [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
                    deployment("web", 3, ns="shop"), daemonset("aws-node"), static]})
    assert code == 201 and [c["kind"] for c in out["created"]] == ["Namespace", "Deployment", "DaemonSet", "StaticPod"]

    def all_running():
        pods = kube.pods()
        return pods if len(pods) == 6 and all(p["status"]["phase"] == "Running" for p in pods) else None

    pods = wait_for(all_running, what="3 web + 2 aws-node + 1 mirror pod running")
    web = kube.pods("shop", labelSelector="app=web")
    assert len(web) == 3
    owner = web[0]["metadata"]["ownerReferences"][0]
    assert owner["kind"] == "ReplicaSet" and owner["name"].startswith("web-") and owner["controller"] is True
    assert all(p["metadata"]["name"].startswith(owner["name"] + "-") for p in web)
    ready = [c for c in web[0]["status"]["conditions"] if c["type"] == "Ready"][0]
    assert ready["status"] == "True" and web[0]["status"]["podIP"]

    on_first = kube.pods(fieldSelector=f"spec.nodeName={nodes[0]}")
    assert len(on_first) == len([p for p in pods if p["spec"]["nodeName"] == nodes[0]])
    assert {"aws-node", "etcd-probe-" + nodes[0]} <= {
        p["metadata"]["name"].rsplit("-", 1)[0] if p["metadata"]["name"].startswith("aws-node")
        else p["metadata"]["name"]
        for p in on_first}
    mirror = kube.ok("GET", f"/api/v1/namespaces/kube-system/pods/etcd-probe-{nodes[0]}")
    assert "kubernetes.io/config.mirror" in mirror["metadata"]["annotations"]
    assert mirror["metadata"]["ownerReferences"][0]["kind"] == "Node"
    assert len(kube.pods("kube-system", labelSelector="k8s-app=aws-node")) == 2
    code, body = kube.get("/api/v1/pods?fieldSelector=spec.bogus%3Dx")
    assert code == 400 and "field label not supported" in body["message"]

    # A DaemonSet pod appears on each new node.
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 3, "1.30", True, {}, [], ["m5.large"])
    wait_for(lambda: len([p for p in kube.pods("kube-system", labelSelector="k8s-app=aws-node")
                          if p["status"]["phase"] == "Running"]) == 3, what="aws-node on the third node")

    # Deleting a ReplicaSet pod gets it replaced under a new name; a mirror pod comes back as is.
    victim = web[0]["metadata"]["name"]
    deleted = kube.ok("DELETE", f"/api/v1/namespaces/shop/pods/{victim}")
    assert deleted["metadata"]["name"] == victim and deleted["metadata"]["deletionTimestamp"]
    wait_for(lambda: kube.get(f"/api/v1/namespaces/shop/pods/{victim}")[0] == 404, what="the deleted pod gone")
    wait_for(lambda: len(kube.pods("shop")) == 3, what="a replacement web pod")
    # gracePeriodSeconds=0 deletes at once; the kubelet recreates the mirror pod under the same name.
    mirror_uid = mirror["metadata"]["uid"]
    kube.ok("DELETE", f"/api/v1/namespaces/kube-system/pods/etcd-probe-{nodes[0]}?gracePeriodSeconds=0")
    again = kube.ok("GET", f"/api/v1/namespaces/kube-system/pods/etcd-probe-{nodes[0]}")
    assert again["spec"]["nodeName"] == nodes[0] and again["metadata"]["uid"] != mirror_uid

    deployments = kube.ok("GET", "/apis/apps/v1/deployments")["items"]
    assert [d["metadata"]["name"] for d in deployments] == ["web"] and deployments[0]["spec"]["replicas"] == 3
    wait_for(lambda: kube.ok("GET", "/apis/apps/v1/namespaces/shop/deployments/web")["status"]["readyReplicas"] == 3,
             what="deployment status readyReplicas=3")
    aws_node = kube.ok("GET", "/apis/apps/v1/namespaces/kube-system/daemonsets/aws-node")
    assert aws_node["status"]["desiredNumberScheduled"] == 3


def test_pods_stay_pending_until_their_node_group_is_ready(registry, cluster, kube):
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 2, "1.30", False, {}, [], ["m5.large"])
    registry.control(["clusters", REGION, cluster.name, "workloads"], "POST", {"objects": [deployment("web", 2)]})
    pods = kube.pods("default")
    assert len(pods) == 2 and all(p["status"]["phase"] == "Pending" for p in pods)
    scheduled = [c for c in pods[0]["status"]["conditions"] if c["type"] == "PodScheduled"][0]
    assert scheduled["status"] == "False" and scheduled["reason"] == "Unschedulable"
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 2, "1.30", True, {}, [], ["m5.large"])
    wait_for(lambda: all(p["status"]["phase"] == "Running" for p in kube.pods("default")), what="pods running")


def test_list_pagination(registry, cluster, kube):
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 5, "1.30", True, {}, [], ["m5.large"])
    names, path = [], "/api/v1/nodes?limit=2"
    while True:
        page = kube.ok("GET", path)
        assert len(page["items"]) <= 2
        names += [n["metadata"]["name"] for n in page["items"]]
        token = page["metadata"].get("continue")
        if not token:
            break
        path = f"/api/v1/nodes?limit=2&continue={token}"
    assert sorted(names) == sorted(n["metadata"]["name"] for n in kube.ok("GET", "/api/v1/nodes")["items"])
    assert len(names) == 5


# ----- server-side apply ---------------------------------------------------------------------------

APPLY = "application/apply-patch+yaml"


def test_server_side_apply_round_trip(kube):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "aws-auth", "namespace": "kube-system"},
          "data": {"mapRoles": "- rolearn: arn:aws:iam::123456789012:role/nodes\n", "extra": "1"}}
    path = "/api/v1/namespaces/kube-system/configmaps/aws-auth?fieldManager=strata"
    code, created = kube.request("PATCH", path, cm, APPLY)
    assert code == 201
    meta = created["metadata"]
    assert meta["uid"] and meta["resourceVersion"] and meta["managedFields"][0]["manager"] == "strata"
    assert meta["managedFields"][0]["fieldsV1"] == {"f:data": {"f:extra": {}, "f:mapRoles": {}}}

    # Re-applying the same manifest is a no-op; dropping a field removes it.
    code, same = kube.request("PATCH", path, cm, APPLY)
    assert code == 200 and same["metadata"]["resourceVersion"] == meta["resourceVersion"]
    cm2 = json.loads(json.dumps(cm))
    del cm2["data"]["extra"]
    updated = kube.ok("PATCH", path, cm2, APPLY)
    assert updated["data"] == {"mapRoles": cm["data"]["mapRoles"]}
    assert updated["metadata"]["uid"] == meta["uid"]
    assert int(updated["metadata"]["resourceVersion"]) > int(meta["resourceVersion"])
    assert kube.ok("GET", "/api/v1/namespaces/kube-system/configmaps/aws-auth")["data"] == updated["data"]

    # Another manager changing a field strata owns conflicts, unless it forces.
    other = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "aws-auth"}, "data": {"mapRoles": "[]"}}
    code, conflict = kube.request("PATCH", "/api/v1/namespaces/kube-system/configmaps/aws-auth?fieldManager=eksctl",
                                  other, APPLY)
    assert code == 409 and conflict["reason"] == "Conflict"
    assert conflict["details"]["causes"][0]["field"] == ".data.mapRoles"
    assert 'conflict with "strata"' in conflict["message"]
    forced = kube.ok("PATCH", "/api/v1/namespaces/kube-system/configmaps/aws-auth?fieldManager=eksctl&force=true",
                     other, APPLY)
    assert forced["data"]["mapRoles"] == "[]"
    assert [m["manager"] for m in forced["metadata"]["managedFields"]] == ["eksctl"]

    listed = kube.ok("GET", "/api/v1/namespaces/kube-system/configmaps")
    assert listed["kind"] == "ConfigMapList" and [i["metadata"]["name"] for i in listed["items"]] == ["aws-auth"]
    kube.ok("DELETE", "/api/v1/namespaces/kube-system/configmaps/aws-auth")
    code, gone = kube.get("/api/v1/namespaces/kube-system/configmaps/aws-auth")
    assert code == 404 and gone["message"] == 'configmaps "aws-auth" not found'


def test_server_side_apply_of_karpenter_resources(kube):
    nodepool = {
        "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "default"},
        "spec": {"template": {"spec": {
            "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"},
            "requirements": [{"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]}]}},
            "limits": {"cpu": "1000"}, "disruption": {"consolidationPolicy": "WhenEmptyOrUnderutilized"}},
    }
    nodeclass = {
        "apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": "default"},
        "spec": {"role": "KarpenterNodeRole-demo", "amiSelectorTerms": [{"alias": "al2023@latest"}],
                 "subnetSelectorTerms": [{"tags": {"karpenter.sh/discovery": "demo"}}],
                 "securityGroupSelectorTerms": [{"tags": {"karpenter.sh/discovery": "demo"}}]},
    }
    code, np = kube.request("PATCH", "/apis/karpenter.sh/v1/nodepools/default?fieldManager=strata", nodepool, APPLY)
    assert code == 201 and np["metadata"]["generation"] == 1 and np["spec"]["limits"] == {"cpu": "1000"}
    code, nc = kube.request("PATCH", "/apis/karpenter.k8s.aws/v1/ec2nodeclasses/default?fieldManager=strata",
                            nodeclass, APPLY)
    assert code == 201 and nc["kind"] == "EC2NodeClass"

    nodepool["spec"]["limits"]["cpu"] = "2000"
    np2 = kube.ok("PATCH", "/apis/karpenter.sh/v1/nodepools/default?fieldManager=strata", nodepool, APPLY)
    assert np2["metadata"]["generation"] == 2 and np2["spec"]["limits"]["cpu"] == "2000"

    listing = kube.ok("GET", "/apis/karpenter.sh/v1/nodepools")
    assert listing["kind"] == "NodePoolList" and len(listing["items"]) == 1
    groups = {g["name"] for g in kube.ok("GET", "/apis")["groups"]}
    assert {"apps", "policy", "karpenter.sh", "karpenter.k8s.aws"} <= groups
    assert kube.ok("GET", "/apis/karpenter.sh")["preferredVersion"]["groupVersion"] == "karpenter.sh/v1"
    resources = kube.ok("GET", "/apis/karpenter.sh/v1")["resources"]
    assert [(r["name"], r["kind"], r["namespaced"]) for r in resources] == [("nodepools", "NodePool", False)]
    core = {r["name"] for r in kube.ok("GET", "/api/v1")["resources"]}
    assert {"pods", "pods/eviction", "nodes", "configmaps", "namespaces"} <= core
    assert kube.ok("GET", "/apis/policy/v1")["resources"][0]["name"] == "poddisruptionbudgets"
    kube.ok("DELETE", "/apis/karpenter.sh/v1/nodepools/default")
    assert kube.ok("GET", "/apis/karpenter.sh/v1/nodepools")["items"] == []

    # The URL and the manifest must agree; apply needs a field manager and a JSON body.
    code, body = kube.request("PATCH", "/apis/karpenter.sh/v1/nodepools/other?fieldManager=strata", nodepool, APPLY)
    assert code == 400 and body["reason"] == "BadRequest"
    code, body = kube.request("PATCH", "/apis/karpenter.sh/v1/nodepools/default", nodepool, APPLY)
    assert code == 422 and "fieldManager" in body["message"]
    code, body = kube.request("PATCH", "/apis/karpenter.sh/v1/nodepools/default?fieldManager=strata",
                              b"apiVersion: karpenter.sh/v1\nkind: NodePool\n", APPLY)
    assert code == 415 and body["reason"] == "UnsupportedMediaType"
    code, body = kube.request("PATCH", "/api/v1/namespaces/nowhere/configmaps/x?fieldManager=strata",
                              {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}, APPLY)
    assert code == 404 and body["message"] == 'namespaces "nowhere" not found'


def test_server_side_apply_of_a_deployment_runs_it(registry, cluster, kube):
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 2, "1.30", True, {}, [], ["m5.large"])
    dep = deployment("api", 2)
    code, _ = kube.request("PATCH", "/apis/apps/v1/namespaces/default/deployments/api?fieldManager=strata", dep, APPLY)
    assert code == 201
    wait_for(lambda: len([p for p in kube.pods("default", labelSelector="app=api")
                          if p["status"]["phase"] == "Running"]) == 2, what="2 api pods")
    dep["spec"]["replicas"] = 3
    kube.ok("PATCH", "/apis/apps/v1/namespaces/default/deployments/api?fieldManager=strata", dep, APPLY)
    wait_for(lambda: len(kube.pods("default", labelSelector="app=api")) == 3, what="scale to 3")


# ----- control routes and lifecycle ----------------------------------------------------------------

def test_control_routes(registry, cluster):
    code, body = registry.control(["clusters"], "GET", None)
    assert code == 200 and [c["name"] for c in body["clusters"]] == [cluster.name]
    code, body = registry.control(["clusters", REGION, "nope", "observations"], "GET", None)
    assert code == 404 and body["kind"] == "Status" and body["reason"] == "NotFound"
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    code, body = registry.control(["clusters", REGION, cluster.name, "workloads"], "POST", {"objects": [widget]})
    assert code == 400 and body["reason"] == "BadRequest"
    code, body = registry.control(["clusters", REGION, cluster.name, "observations"], "GET", None)
    assert set(body) >= {"evictions", "pdb_violations", "lost_pods", "cordoned"}


def test_requests_are_logged_and_delete_cluster_stops_the_server(registry, cluster, kube):
    kube.ok("GET", "/api/v1/nodes")
    kube.get("/api/v1/nodes", token=None)
    code, body = registry.control(["clusters", REGION, cluster.name, "requests"], "GET", None)
    assert [(r["method"], r["path"], r["code"]) for r in body["requests"]] == [
        ("GET", "/api/v1/nodes", 200), ("GET", "/api/v1/nodes", 401)]
    assert body["requests"][0]["user"] == "aws-iam:test"
    port = int(cluster.endpoint.rsplit(":", 1)[1])
    registry.delete_cluster(REGION, cluster.name)
    with pytest.raises(OSError):
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=kube.ctx, timeout=2)
        conn.request("GET", "/version")
        conn.getresponse()


def test_chunked_request_bodies_and_keep_alive(registry, cluster, kube):
    """libcurl streams bodies of unknown length chunked and reuses connections."""
    registry.upsert_nodegroup(REGION, cluster.name, "blue", 1, "1.30", True, {}, [], ["m5.large"])
    node = kube.ok("GET", "/api/v1/nodes")["items"][0]["metadata"]["name"]
    port = int(cluster.endpoint.rsplit(":", 1)[1])
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=kube.ctx, timeout=5)
    try:
        body = json.dumps({"spec": {"unschedulable": True}}).encode()
        conn.request("PATCH", f"/api/v1/nodes/{node}", body=iter([body[:7], body[7:]]), encode_chunked=True,
                     headers={"Authorization": f"Bearer {kube.token}",
                              "Content-Type": "application/merge-patch+json", "Transfer-Encoding": "chunked"})
        resp = conn.getresponse()
        assert resp.status == 200 and json.loads(resp.read())["spec"]["unschedulable"] is True
        conn.request("GET", "/version")  # same connection
        resp = conn.getresponse()
        assert resp.status == 200 and json.loads(resp.read())["major"] == "1"
    finally:
        conn.close()


def test_create_replace_and_optimistic_concurrency(kube):
    cm = {"metadata": {"name": "settings"}, "data": {"a": "1"}}  # type left to the URL, as the decoder allows
    code, created = kube.request("POST", "/api/v1/namespaces/default/configmaps", cm)
    assert code == 201 and created["kind"] == "ConfigMap" and created["apiVersion"] == "v1"
    code, dup = kube.request("POST", "/api/v1/namespaces/default/configmaps", cm)
    assert code == 409 and dup["reason"] == "AlreadyExists" and dup["message"] == 'configmaps "settings" already exists'

    rv = created["metadata"]["resourceVersion"]
    replaced = kube.ok("PUT", "/api/v1/namespaces/default/configmaps/settings", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "resourceVersion": rv},
        "data": {"b": "2"}})
    assert replaced["data"] == {"b": "2"} and replaced["metadata"]["uid"] == created["metadata"]["uid"]
    code, stale = kube.request("PUT", "/api/v1/namespaces/default/configmaps/settings", {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "resourceVersion": rv},
        "data": {"c": "3"}})
    assert code == 409 and stale["reason"] == "Conflict" and "has been modified" in stale["message"]
    code, wrong = kube.request("PUT", "/api/v1/namespaces/default/configmaps/settings", {
        "apiVersion": "apps/v1", "kind": "ConfigMap", "metadata": {"name": "settings"}})
    assert code == 400 and wrong["reason"] == "BadRequest"
    code, body = kube.get("/apis/example.com/v1/widgets")
    assert code == 404 and body["kind"] == "Status"
