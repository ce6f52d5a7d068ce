"""Helpers for the Kubernetes API server tests: EKS tokens made as `aws eks get-token` makes
them, and an HTTPS client that trusts only the cluster's own CA."""

from __future__ import annotations

import base64
import datetime
import functools
import http.client
import json
import ssl
import time
from contextlib import contextmanager
from typing import Any, Callable
from unittest import mock

import botocore.session
import pytest

from strata_sandbox.kube import KubeRegistry

TEST_KEY, TEST_SECRET = "test", "test"


def eks_token(cluster_name: str, region: str = "us-east-1", *, key: str = TEST_KEY, secret: str = TEST_SECRET,
              at: datetime.datetime | None = None) -> str:
    """Exactly what `aws eks get-token` does: presign STS GetCallerIdentity with the
    x-k8s-aws-id header injected before signing, 60 s URL expiry, unpadded base64url."""
    sts = _sts_client(region, key, secret)

    def presign() -> str:
        return sts.generate_presigned_url("get_caller_identity", Params={"x-k8s-aws-id": cluster_name},
                                          ExpiresIn=60, HttpMethod="GET")

    if at is None:
        url = presign()
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=at.replace(tzinfo=None)):
            url = presign()
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


@functools.lru_cache(maxsize=None)
def _sts_client(region: str, key: str, secret: str) -> Any:
    """An STS client set up as the AWS CLI's get-token sets it up (cached: clients are slow to make)."""
    session = botocore.session.Session()
    sts = session.create_client("sts", region_name=region, aws_access_key_id=key,
                                aws_secret_access_key=secret)

    def keep_id(params: dict, context: dict, **_: Any) -> None:
        if "x-k8s-aws-id" in params:
            context["x-k8s-aws-id"] = params.pop("x-k8s-aws-id")

    def inject_id(request: Any, **_: Any) -> None:
        if "x-k8s-aws-id" in request.context:
            request.headers["x-k8s-aws-id"] = request.context["x-k8s-aws-id"]

    sts.meta.events.register("provide-client-params.sts.GetCallerIdentity", keep_id)
    sts.meta.events.register("before-sign.sts.GetCallerIdentity", inject_id)
    return sts


class KubeClient:
    """A minimal Kubernetes REST client over a TLS connection verified against the cluster CA."""

    def __init__(self, cluster: Any, token: str | None) -> None:
        self.cluster = cluster
        self.token = token
        self.ctx = ssl.create_default_context(cadata=cluster.ca_pem.decode())
        self.host, self.port = "127.0.0.1", int(cluster.endpoint.rsplit(":", 1)[1])

    def request(self, method: str, path: str, body: Any = None,
                content_type: str = "application/json", token: str | None = "default") -> tuple[int, Any]:
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=10)
        try:
            headers = {"Accept": "application/json"}
            tok = self.token if token == "default" else token
            if tok:
                headers["Authorization"] = f"Bearer {tok}"
            data = None
            if body is not None:
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                headers["Content-Type"] = content_type
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw = resp.read()
            ctype = resp.getheader("Content-Type", "")
            return resp.status, json.loads(raw) if "json" in ctype else raw.decode()
        finally:
            conn.close()

    def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        return self.request("GET", path, **kw)

    def ok(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        code, out = self.request(method, path, body, content_type)
        assert 200 <= code < 300, (method, path, code, out)
        return out

    def evict(self, ns: str, name: str) -> tuple[int, Any]:
        return self.request("POST", f"/api/v1/namespaces/{ns}/pods/{name}/eviction", {
            "apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name, "namespace": ns}})

    def pods(self, ns: str | None = None, **selectors: str) -> list[dict]:
        from urllib.parse import urlencode

        base = f"/api/v1/namespaces/{ns}/pods" if ns else "/api/v1/pods"
        query = urlencode({k: v for k, v in selectors.items()})
        return self.ok("GET", base + (f"?{query}" if query else ""))["items"]


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02,
             what: str = "condition") -> Any:
    """Polls until predicate() is truthy; fails the test naming what it waited for."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


@contextmanager
def running_registry(time_scale: float = 0.01):
    registry = KubeRegistry(time_scale)
    try:
        yield registry
    finally:
        registry.reset()


def deployment(name: str, replicas: int, ns: str = "default", labels: dict | None = None, **spec: Any) -> dict:
    labels = labels or {"app": name}
    pod_spec = {"containers": [{"name": name, "image": f"public.ecr.aws/example/{name}:1"}]}
    pod_spec.update(spec)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": pod_spec}}}


def daemonset(name: str, ns: str = "kube-system") -> dict:
    labels = {"k8s-app": name}
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name, "namespace": ns},
            "spec": {"selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": name, "image": f"public.ecr.aws/eks/{name}:1"}]}}}}


def pdb(name: str, selector: dict, ns: str = "default", **spec: Any) -> dict:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name, "namespace": ns},
            "spec": dict(spec, selector={"matchLabels": selector})}


def statefulset(name: str, replicas: int, ns: str = "default", **spec: Any) -> dict:
    labels = {"app": name}
    containers = [{"name": name, "image": f"public.ecr.aws/example/{name}:1"}]
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name, "namespace": ns},
            "spec": dict(spec, replicas=replicas, serviceName=name, selector={"matchLabels": labels},
                         template={"metadata": {"labels": labels}, "spec": {"containers": containers}})}
