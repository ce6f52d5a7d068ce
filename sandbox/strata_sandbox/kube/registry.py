"""KubeRegistry: the sandbox's EKS clusters' Kubernetes API servers, one per cluster.

Thread-safe. ``create_cluster`` raises ValueError if the cluster already has a server;
``set_cluster_version``, ``upsert_nodegroup`` and ``delete_nodegroup`` raise KeyError for a
cluster it does not know; ``delete_cluster`` of an unknown cluster does nothing. None of these
calls back into the caller, so calling them while holding the caller's own locks is safe.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass

from . import auth
from .cluster import ClusterState
from .errors import ApiError, bad_request, success
from .pki import issue_cluster_pki
from .server import ClusterServer


@dataclass
class KubeCluster:
    region: str
    name: str
    endpoint: str
    ca_pem: bytes
    oidc_issuer: str
    state: ClusterState
    server: ClusterServer

    @property
    def version(self) -> str:
        return self.state.version


class KubeRegistry:
    def __init__(self, time_scale: float = 1.0, *, verifier: auth.Verifier | None = None) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = time_scale
        self._verifier = verifier or auth.default_verifier()
        self._clusters: dict[tuple[str, str], KubeCluster] = {}
        self._lock = threading.Lock()

    # ----- the AWS side's calls ------------------------------------------------------------------

    def create_cluster(self, region: str, name: str, version: str) -> KubeCluster:
        with self._lock:
            if (region, name) in self._clusters:
                raise ValueError(f"cluster {region}/{name} already has an API server")
        pki = issue_cluster_pki(name)
        state = ClusterState(region, name, version, self.time_scale)
        try:
            server = ClusterServer(state, pki, self._verifier)
        except BaseException:
            state.stop()
            raise
        cluster = KubeCluster(
            region=region, name=name, endpoint=server.endpoint, ca_pem=pki.ca_pem,
            oidc_issuer=f"https://oidc.eks.{region}.amazonaws.com/id/{secrets.token_hex(16).upper()}",
            state=state, server=server,
        )
        with self._lock:
            if (region, name) in self._clusters:
                server.stop()
                state.stop()
                raise ValueError(f"cluster {region}/{name} already has an API server")
            self._clusters[(region, name)] = cluster
        return cluster

    def get_cluster(self, region: str, name: str) -> KubeCluster:
        with self._lock:
            try:
                return self._clusters[(region, name)]
            except KeyError:
                raise KeyError(f"no cluster {region}/{name}") from None

    def delete_cluster(self, region: str, name: str) -> None:
        with self._lock:
            cluster = self._clusters.pop((region, name), None)
        if cluster is not None:
            cluster.server.stop()
            cluster.state.stop()

    def set_cluster_version(self, region: str, name: str, version: str) -> None:
        state = self.get_cluster(region, name).state
        with state.lock:
            state.version = version

    def upsert_nodegroup(self, region: str, cluster: str, nodegroup: str, desired: int, version: str,
                         ready: bool, labels: dict, taints: list, instance_types: list) -> None:
        self.get_cluster(region, cluster).state.upsert_nodegroup(
            nodegroup, desired, version, ready, labels, taints, instance_types)

    def delete_nodegroup(self, region: str, cluster: str, nodegroup: str) -> None:
        self.get_cluster(region, cluster).state.delete_nodegroup(nodegroup)

    def nodegroup_fault(self, region: str, cluster: str, nodegroup: str) -> dict | None:
        """The first fault set with the ``faults`` control route whose prefix starts ``nodegroup``
        (EKS asks when it creates a node group), or None."""
        try:
            state = self.get_cluster(region, cluster).state
        except KeyError:
            return None
        with state.lock:
            return next((dict(f) for f in state.nodegroup_faults if nodegroup.startswith(f["nodegroup_prefix"])), None)

    def instance_ids(self, region: str, cluster: str, nodegroup: str) -> list[str]:
        """The EC2 instance ids behind a node group's nodes (from each node's providerID)."""
        try:
            return self.get_cluster(region, cluster).state.instance_ids(nodegroup)
        except KeyError:
            return []

    def reset(self) -> None:
        with self._lock:
            clusters = list(self._clusters.values())
            self._clusters.clear()
        for c in clusters:
            c.server.stop()
            c.state.stop()

    # ----- /_sandbox/kube/... ----------------------------------------------------------------------

    def control(self, path_parts: list[str], method: str, body: dict | None) -> tuple[int, dict]:
        try:
            return self._control(list(path_parts), method.upper(), body)
        except ApiError as e:
            return e.code, e.status()

    def _control(self, parts: list[str], method: str, body: dict | None) -> tuple[int, dict]:
        if parts == ["clusters"] and method == "GET":
            with self._lock:
                clusters = list(self._clusters.values())
            return 200, {"clusters": [
                {"region": c.region, "name": c.name, "version": c.version, "endpoint": c.endpoint,
                 "oidc_issuer": c.oidc_issuer} for c in clusters]}
        if len(parts) < 3 or parts[0] != "clusters":
            raise ApiError(404, f"no sandbox control route /_sandbox/kube/{'/'.join(parts)}", "NotFound")
        region, name, rest = parts[1], parts[2], parts[3:]
        try:
            cluster = self.get_cluster(region, name)
        except KeyError:
            raise ApiError(404, f'clusters "{region}/{name}" not found', "NotFound",
                           {"name": name, "kind": "clusters"}) from None
        state = cluster.state
        if rest == [] and method == "GET":
            summary = state.summary()
            summary.update(endpoint=cluster.endpoint, oidc_issuer=cluster.oidc_issuer)
            return 200, summary
        if rest == ["workloads"] and method == "POST":
            if body is None:
                raise bad_request("a workloads payload is required")
            return 201, {"created": state.seed(body)}
        if rest == ["observations"] and method == "GET":
            return 200, state.observations_view()
        if rest == ["observations"] and method == "DELETE":
            state.clear_observations()
            return 200, success()
        if rest == ["access"] and method == "POST":
            refuse = (body or {}).get("refuse")
            if refuse not in (None, 401, 403):
                raise bad_request("refuse must be 401, 403 or null")
            with state.lock:
                state.refuse_access = refuse
            return 200, success()
        if rest == ["faults"] and method == "GET":
            with state.lock:
                return 200, {"faults": [dict(f) for f in state.nodegroup_faults]}
        if rest == ["faults"] and method == "POST":
            fault = self._nodegroup_fault(body)
            with state.lock:
                if fault is None:
                    state.nodegroup_faults.clear()
                else:
                    state.nodegroup_faults.append(fault)
                return 200, {"faults": [dict(f) for f in state.nodegroup_faults]}
        if rest == ["requests"] and method == "GET":
            with state.lock:
                return 200, {"requests": list(state.requests)}
        known = rest in (["workloads"], ["observations"], ["requests"], ["access"], ["faults"], [])
        raise ApiError(405 if known else 404,
                       f"{method} /_sandbox/kube/{'/'.join(parts)} is not a sandbox control route",
                       "MethodNotAllowed" if known else "NotFound")

    @staticmethod
    def _nodegroup_fault(body: dict | None) -> dict | None:
        """A ``faults`` body checked: None for ``{"clear": true}``, else the fault to add."""
        if not isinstance(body, dict):
            raise bad_request("a faults body is required")
        if body.get("clear") is True and len(body) == 1:
            return None
        prefix = body.get("nodegroup_prefix")
        if not isinstance(prefix, str) or not prefix:
            raise bad_request("nodegroup_prefix must be a non-empty string (or send {\"clear\": true})")
        never_ready, create_fails = body.get("never_ready"), body.get("create_fails")
        unknown = set(body) - {"nodegroup_prefix", "never_ready", "create_fails"}
        if unknown:
            raise bad_request(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        if never_ready is True and create_fails is None:
            return {"nodegroup_prefix": prefix, "never_ready": True}
        if isinstance(create_fails, str) and create_fails and never_ready is None:
            return {"nodegroup_prefix": prefix, "create_fails": create_fails}
        raise bad_request("a fault is either \"never_ready\": true or \"create_fails\": \"<message>\"")
