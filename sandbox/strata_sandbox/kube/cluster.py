"""One EKS cluster's Kubernetes state and the controllers that keep it moving.

Everything lives in one object store keyed by (group, plural) and (namespace, name), so the API
server serves built-in kinds and server-side-applied custom ones alike. A small set of
controllers, run after every change and on a timer, gives the built-in kinds their behaviour:

* Deployment -> one ReplicaSet per pod template (older ones scaled to zero);
* ReplicaSet -> replicas pods, created Pending with a generated name;
* StatefulSet -> pods ``<name>-<ordinal>``, in order (each once the one before is Ready), a
  pod that went coming back under its own name;
* DaemonSet  -> one pod bound to every eligible node (cordoned nodes included, as real
  DaemonSets tolerate node.kubernetes.io/unschedulable);
* static pods -> a mirror pod per node (annotation kubernetes.io/config.mirror, owned by the Node);
* scheduler  -> binds each unbound pod to the least loaded Ready, schedulable node whose taints
  it tolerates and whose labels match its nodeSelector (affinity is not modelled);
* kubelet    -> a bound pod becomes Running and Ready ``POD_START_SECONDS × time_scale`` after it
  was bound, once its node is Ready; pods on a NotReady node lose their Ready condition; a
  deleted or evicted pod stays Terminating ``POD_TERMINATION_SECONDS × time_scale``;
* garbage collector -> objects whose controller owner is gone are deleted;
* disruption controller -> PodDisruptionBudget status computed from live pods.

All state is guarded by one lock; the timer thread and the HTTP threads both take it.
"""

from __future__ import annotations

import copy
import hashlib
import heapq
import itertools
import json
import math
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from .availability import AvailabilityTracker, Sample
from .errors import ApiError, already_exists, bad_request, not_found
from .patch import FieldOwnership
from .selectors import label_selector_matches
from .timestamps import now_iso, now_precise

# Durations are real-world seconds, multiplied by the time scale like every sandbox duration
# (at the sandbox's default scale of 0.01 a pod starts in 50 ms and terminates in 20 ms).
# Binding to running-and-ready: scheduling, image pull, readiness probe.
POD_START_SECONDS = 5.0
# How long a deleted or evicted pod stays Terminating before it is gone (its kubelet stopping it).
POD_TERMINATION_SECONDS = 2.0
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
KUBELET_PATCH = {"1.27": 16, "1.28": 15, "1.29": 13, "1.30": 11, "1.31": 7, "1.32": 3, "1.33": 1, "1.34": 0}
DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
NODEGROUP_LABEL = "eks.amazonaws.com/nodegroup"

# Tolerations every DaemonSet pod gets from the DaemonSet controller.
DAEMONSET_TOLERATIONS = [
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
]
UNSCHEDULABLE_TAINT = {"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}
EKS_TAINT_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute",
                     "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


@dataclass(frozen=True)
class Kind:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


BUILTIN_KINDS = [
    Kind("", "v1", "pods", "Pod", True),
    Kind("", "v1", "nodes", "Node", False),
    Kind("", "v1", "namespaces", "Namespace", False),
    Kind("", "v1", "configmaps", "ConfigMap", True),
    Kind("", "v1", "secrets", "Secret", True),
    Kind("", "v1", "services", "Service", True),
    Kind("", "v1", "serviceaccounts", "ServiceAccount", True),
    Kind("apps", "v1", "deployments", "Deployment", True),
    Kind("apps", "v1", "replicasets", "ReplicaSet", True),
    Kind("apps", "v1", "daemonsets", "DaemonSet", True),
    Kind("apps", "v1", "statefulsets", "StatefulSet", True),
    Kind("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True),
]
PODS = ("", "pods")
NODES = ("", "nodes")
NAMESPACES = ("", "namespaces")
DEPLOYMENTS = ("apps", "deployments")
REPLICASETS = ("apps", "replicasets")
DAEMONSETS = ("apps", "daemonsets")
STATEFULSETS = ("apps", "statefulsets")
PDBS = ("policy", "poddisruptionbudgets")
# Kinds whose spec changes bump metadata.generation.
_GENERATION_EXEMPT = {PODS, NODES, NAMESPACES, ("", "configmaps"), ("", "secrets")}


def random_suffix(n: int = 5) -> str:
    return "".join(random.choice(NAME_ALPHABET) for _ in range(n))


def template_hash(template: dict) -> str:
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
    return "".join(NAME_ALPHABET[b % len(NAME_ALPHABET)] for b in digest[:10])


def image_id(image: str) -> str:
    """The digest-pinned reference a kubelet reports for the image it pulled."""
    repository = image.split("@", 1)[0]
    name, _, tag = repository.rpartition(":")
    if name and "/" not in tag:  # a tag, not a registry's port
        repository = name
    return f"{repository}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def kubelet_version(version: str) -> str:
    patch = KUBELET_PATCH.get(version, 0)
    digest = hashlib.sha1(version.encode()).hexdigest()[:7]
    return f"v{version}.{patch}-eks-{digest}"


def controller_ref(obj: dict) -> dict | None:
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def tolerates(tolerations: list[dict], taint: dict) -> bool:
    for t in tolerations or []:
        if t.get("effect") and t["effect"] != taint.get("effect"):
            continue
        op = t.get("operator", "Equal")
        if op == "Exists" and (not t.get("key") or t["key"] == taint.get("key")):
            return True
        if op == "Equal" and t.get("key") == taint.get("key") and (t.get("value") or "") == (taint.get("value") or ""):
            return True
    return False


def condition(obj: dict, ctype: str) -> dict | None:
    for c in obj.get("status", {}).get("conditions") or []:
        if c.get("type") == ctype:
            return c
    return None


def node_ready(node: dict) -> bool:
    c = condition(node, "Ready")
    return bool(c and c.get("status") == "True")


def pod_ready(pod: dict) -> bool:
    if pod["metadata"].get("deletionTimestamp"):
        return False
    c = condition(pod, "Ready")
    return pod.get("status", {}).get("phase") == "Running" and bool(c and c.get("status") == "True")


def owner_kind(pod: dict) -> str:
    if MIRROR_ANNOTATION in (pod["metadata"].get("annotations") or {}):
        return "Mirror"
    ref = controller_ref(pod)
    return ref["kind"] if ref else "None"


def int_or_percent(value: Any, total: int, round_up: bool) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.endswith("%"):
        try:
            pct = int(value[:-1])
        except ValueError:
            raise bad_request(f"invalid value for IntOrString: invalid value {value!r}") from None
        scaled = pct * total / 100
        return math.ceil(scaled) if round_up else math.floor(scaled)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise bad_request(f"invalid value for IntOrString: invalid type: string is not a percentage: {value!r}")


@dataclass
class NodeGroup:
    name: str
    desired: int
    version: str
    ready: bool
    labels: dict
    taints: list
    instance_types: list
    nodes: list[str] = field(default_factory=list)
    # Nodes launched at another version than the group's (EKS's rolling update surges them).
    versions: dict[str, str] = field(default_factory=dict)
    # Nodes launched but not yet joined: NotReady whatever ``ready`` says.
    joining: set[str] = field(default_factory=set)

    def version_of(self, node: str) -> str:
        return self.versions.get(node, self.version)


@dataclass
class Observations:
    evictions: list = field(default_factory=list)
    blocked_evictions: list = field(default_factory=list)
    pdb_violations: list = field(default_factory=list)
    lost_pods: list = field(default_factory=list)
    cordoned: list = field(default_factory=list)
    auth_failures: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return copy.deepcopy({
            "evictions": self.evictions,
            "blocked_evictions": self.blocked_evictions,
            "pdb_violations": self.pdb_violations,
            "lost_pods": self.lost_pods,
            "cordoned": self.cordoned,
            "auth_failures": self.auth_failures,
        })


class ClusterState:
    """The object store plus controllers of one cluster. Thread-safe: every public method locks."""

    def __init__(self, region: str, name: str, version: str, time_scale: float) -> None:
        self.region = region
        self.name = name
        self.version = version
        self.time_scale = time_scale
        self.lock = threading.RLock()
        self._wake = threading.Condition(self.lock)
        self._rv = itertools.count(1)
        self._last_rv = 0
        self.kinds: dict[tuple[str, str], Kind] = {(k.group, k.plural): k for k in BUILTIN_KINDS}
        self.objects: dict[tuple[str, str], dict[tuple[str, str], dict]] = {}
        self.ownership: dict[tuple, FieldOwnership] = {}
        self.nodegroups: dict[str, NodeGroup] = {}
        self.static_pods: dict[str, dict[str, dict]] = {}     # node -> static name -> manifest
        self.nodegroup_static_pods: dict[str, list[dict]] = {}  # nodegroup -> manifests
        self.observations = Observations()
        self.availability = AvailabilityTracker(time_scale)
        self.requests: list[dict] = []
        self.controller_errors: list[str] = []  # shown in the control summary; empty unless a bug
        # 401 or 403 to every authenticated request (control route ``access``), None to serve.
        self.refuse_access: int | None = None
        # Node-group faults EKS applies to groups created afterwards (control route ``faults``).
        self.nodegroup_faults: list[dict] = []
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._timer_seq = itertools.count()
        self._starting: set[str] = set()  # pod uids with a start timer pending
        self._ip_counter = itertools.count(10)
        self._ng_labels: dict[str, tuple[str, ...]] = {}  # node -> label keys its group put there
        self._stopped = False
        for ns in DEFAULT_NAMESPACES:
            self._ensure_namespace(ns)
        self._worker = threading.Thread(target=self._run_timers, name=f"kube-{region}-{name}", daemon=True)
        self._worker.start()

    # ----- lifecycle ---------------------------------------------------------------------------

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify_all()
        self._worker.join(timeout=5)

    def _run_timers(self) -> None:
        with self._wake:
            while not self._stopped:
                now = time.monotonic()
                fired = False
                try:
                    while self._timers and self._timers[0][0] <= now:
                        _, _, fn = heapq.heappop(self._timers)
                        fired = True
                        fn()
                    if fired:
                        self.reconcile()
                except Exception as e:  # keep the cluster alive; the fault is reported, not swallowed
                    self.controller_errors.append(f"{type(e).__name__}: {e}")
                timeout = max(0.0, self._timers[0][0] - time.monotonic()) if self._timers else None
                self._wake.wait(timeout)

    def _after(self, seconds: float, fn: Callable[[], None]) -> None:
        heapq.heappush(self._timers, (time.monotonic() + seconds, next(self._timer_seq), fn))
        self._wake.notify_all()

    # ----- store primitives --------------------------------------------------------------------

    def kind_for(self, group: str, plural: str) -> Kind | None:
        return self.kinds.get((group, plural))

    def _bucket(self, gp: tuple[str, str]) -> dict[tuple[str, str], dict]:
        return self.objects.setdefault(gp, {})

    def resource_version(self) -> str:
        return str(self._last_rv)

    def _bump(self, obj: dict) -> None:
        self._last_rv = next(self._rv)
        obj["metadata"]["resourceVersion"] = str(self._last_rv)

    def _ensure_namespace(self, ns: str) -> None:
        if ("", ns) not in self._bucket(NAMESPACES):
            self._insert(NAMESPACES, {
                "apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
                "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"},
            })

    def _insert(self, gp: tuple[str, str], obj: dict, manager: str | None = None) -> dict:
        kind = self.kinds[gp]
        meta = obj.setdefault("metadata", {})
        ns = meta.get("namespace", "") if kind.namespaced else ""
        if kind.namespaced:
            meta["namespace"] = ns = ns or "default"
        else:
            meta.pop("namespace", None)
        if not meta.get("name"):
            if meta.get("generateName"):
                ns_key = meta.get("namespace", "") if kind.namespaced else ""
                meta["name"] = meta["generateName"] + random_suffix()
                while (ns_key, meta["name"]) in self._bucket(gp):  # a suffix already taken
                    meta["name"] = meta["generateName"] + random_suffix()
            else:
                raise ApiError(
                    422, f"{kind.kind} is invalid: metadata.name: Required value: name or generateName is required",
                    "Invalid")
        key = (ns, meta["name"])
        if key in self._bucket(gp):
            raise already_exists(kind.group, kind.plural, meta["name"])
        if kind.namespaced and gp != NAMESPACES and ("", ns) not in self._bucket(NAMESPACES):
            raise not_found("", "namespaces", ns)
        obj["apiVersion"] = obj.get("apiVersion") or kind.api_version
        obj["kind"] = kind.kind
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = now_iso()
        if gp not in _GENERATION_EXEMPT:
            meta["generation"] = 1
        meta.pop("resourceVersion", None)
        meta.pop("deletionTimestamp", None)
        meta.pop("managedFields", None)
        self._bump(obj)
        self._bucket(gp)[key] = obj
        if manager:
            own = self.ownership.setdefault((gp, key), FieldOwnership())
            own.record_update(None, obj, manager, obj["apiVersion"], now_iso())
        return obj

    @staticmethod
    def _keep_deletion_marks(live: dict, new: dict) -> None:
        """Clients cannot set or clear deletionTimestamp: only the server's deletion does."""
        for k in ("deletionTimestamp", "deletionGracePeriodSeconds"):
            if k in live["metadata"]:
                new["metadata"][k] = live["metadata"][k]
            else:
                new["metadata"].pop(k, None)

    def _replace(self, gp: tuple[str, str], old: dict, new: dict) -> dict:
        """Stores `new` in place of `old`, keeping identity and bumping versions if it changed."""
        meta = new.setdefault("metadata", {})
        for k in ("name", "namespace", "uid", "creationTimestamp", "generation", "resourceVersion"):
            if k in old["metadata"]:
                meta[k] = old["metadata"][k]
            else:
                meta.pop(k, None)
        new["kind"] = old["kind"]
        if self._strip(new) == self._strip(old):
            return old
        if gp not in _GENERATION_EXEMPT:
            spec_old = {k: v for k, v in old.items() if k not in ("metadata", "status")}
            spec_new = {k: v for k, v in new.items() if k not in ("metadata", "status")}
            if spec_old != spec_new:
                meta["generation"] = old["metadata"].get("generation", 1) + 1
        self._bump(new)
        ns = meta.get("namespace", "")
        self._bucket(gp)[(ns, meta["name"])] = new
        return new

    @staticmethod
    def _strip(obj: dict) -> dict:
        o = dict(obj)
        o["metadata"] = {k: v for k, v in obj["metadata"].items() if k not in ("resourceVersion", "managedFields")}
        return o

    def _remove(self, gp: tuple[str, str], obj: dict) -> None:
        key = (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        self._bucket(gp).pop(key, None)
        self.ownership.pop((gp, key), None)
        self._starting.discard(obj["metadata"]["uid"])
        self._last_rv = next(self._rv)

    def _view(self, gp: tuple[str, str], obj: dict) -> dict:
        out = copy.deepcopy(obj)
        own = self.ownership.get((gp, (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])))
        if own and own.owners:
            out["metadata"]["managedFields"] = own.managed_fields()
        return out

    def _all(self, gp: tuple[str, str]) -> list[dict]:
        return list(self._bucket(gp).values())

    def _find_uid(self, gp: tuple[str, str], ns: str, uid: str) -> dict | None:
        for obj in self._bucket(gp).values():
            if obj["metadata"]["uid"] == uid and obj["metadata"].get("namespace", "") == ns:
                return obj
        return None

    # ----- generic API operations (the HTTP layer calls these) ---------------------------------

    def register_kind(self, group: str, version: str, plural: str, kind: str, namespaced: bool) -> Kind:
        with self.lock:
            existing = self.kinds.get((group, plural))
            if existing:
                return existing
            k = Kind(group, version, plural, kind, namespaced)
            self.kinds[(group, plural)] = k
            return k

    def get(self, group: str, plural: str, ns: str, name: str) -> dict:
        with self.lock:
            gp = (group, plural)
            obj = self._bucket(gp).get((ns, name))
            if obj is None:
                raise not_found(group, plural, name)
            self._refresh_status(gp, obj)
            return self._view(gp, self._bucket(gp)[(ns, name)])

    def list(self, group: str, plural: str, ns: str | None,
             predicate: Callable[[dict], bool] = lambda o: True) -> tuple[list[dict], str]:
        with self.lock:
            gp = (group, plural)
            items = []
            for key in sorted(self._bucket(gp)):
                if ns is not None and key[0] != ns:
                    continue
                self._refresh_status(gp, self._bucket(gp)[key])
                obj = self._bucket(gp)[key]
                if predicate(obj):
                    items.append(self._view(gp, obj))
            return items, self.resource_version()

    def create(self, group: str, plural: str, ns: str, body: dict, manager: str) -> dict:
        with self.lock:
            gp = (group, plural)
            kind = self.kinds[gp]
            if isinstance(body, dict):
                # As the API server's decoder does, a create may leave the type to the URL.
                body = dict(body, apiVersion=body.get("apiVersion") or kind.api_version,
                            kind=body.get("kind") or kind.kind)
            self._check_body(kind, body, ns, None)
            obj = copy.deepcopy(body)
            if kind.namespaced:
                obj.setdefault("metadata", {})["namespace"] = ns
            if gp == PODS:
                self._init_pod(obj)
            obj = self._insert(gp, obj, manager)
            self.reconcile()
            return self._view(gp, obj)

    def apply(self, group: str, plural: str, ns: str, name: str, body: dict,
              manager: str, force: bool) -> tuple[dict, bool]:
        """Server-side apply; returns (object, created)."""
        with self.lock:
            gp = (group, plural)
            kind = self.kinds[gp]
            self._check_body(kind, body, ns, name)
            key = (ns, name)
            live = self._bucket(gp).get(key)
            own = self.ownership.setdefault((gp, key), FieldOwnership()) if live else FieldOwnership()
            merged = own.apply(live, body, manager, force, now_iso())
            merged["apiVersion"] = body["apiVersion"]
            merged.setdefault("metadata", {})["name"] = name
            if kind.namespaced:
                merged["metadata"]["namespace"] = ns
            if live is None:
                if gp == PODS:
                    self._init_pod(merged)
                obj = self._insert(gp, merged)
                self.ownership[(gp, key)] = own
                created = True
            else:
                if "status" in live:
                    merged["status"] = copy.deepcopy(live["status"])
                self._keep_deletion_marks(live, merged)
                obj = self._replace(gp, live, merged)
                created = False
            if gp == NODES:
                self._node_changed(live, obj)
            self.reconcile()
            return self._view(gp, self._bucket(gp).get(key, obj)), created

    def patch(self, group: str, plural: str, ns: str, name: str,
              patcher: Callable[[dict], dict], manager: str) -> dict:
        with self.lock:
            gp = (group, plural)
            live = self._bucket(gp).get((ns, name))
            if live is None:
                raise not_found(group, plural, name)
            before = copy.deepcopy(live)
            patched = patcher(copy.deepcopy(live))
            if not isinstance(patched, dict) or not isinstance(patched.get("metadata"), dict):
                raise bad_request("the patch produced an object without metadata")
            if patched["metadata"].get("name", name) != name:
                raise bad_request("the name of the object cannot be changed by a patch")
            rv = patched["metadata"].get("resourceVersion")
            if rv and rv != live["metadata"]["resourceVersion"]:
                raise ApiError(
                    409,
                    f'Operation cannot be fulfilled on {plural} "{name}": the object has been modified; '
                    "please apply your changes to the latest version and try again",
                    "Conflict")
            self._keep_deletion_marks(live, patched)
            obj = self._replace(gp, live, patched)
            if obj is not live:
                self.ownership.setdefault((gp, (ns, name)), FieldOwnership()).record_update(
                    before, obj, manager, obj.get("apiVersion", ""), now_iso())
            if gp == NODES:
                self._node_changed(before, obj)
            self.reconcile()
            return self._view(gp, self._bucket(gp).get((ns, name), obj))

    def delete(self, group: str, plural: str, ns: str, name: str, dry_run: bool = False,
               grace_period: int | None = None) -> dict:
        with self.lock:
            gp = (group, plural)
            obj = self._bucket(gp).get((ns, name))
            if obj is None:
                raise not_found(group, plural, name)
            view = self._view(gp, obj)
            if dry_run:
                return view
            if gp == PODS:
                if obj["metadata"].get("deletionTimestamp") and grace_period != 0:
                    return view  # already terminating
                if grace_period == 0:
                    self._delete_pod(obj, cause="delete")
                else:
                    view = self._view(gp, self._delete_pod(obj, cause="delete", graceful=True))
                    self.reconcile()
                    return view
            elif gp == NODES:
                self._delete_node(name, cause="node-deleted")
            elif gp == NAMESPACES and name in DEFAULT_NAMESPACES:
                raise ApiError(403, f'namespaces "{name}" is forbidden: this namespace may not be deleted', "Forbidden")
            else:
                self._remove(gp, obj)
                if gp == NAMESPACES:
                    for bucket_gp, bucket in self.objects.items():
                        for (ons, _), child in list(bucket.items()):
                            if ons == name and self.kinds[bucket_gp].namespaced:
                                self._remove(bucket_gp, child)
            view["metadata"]["deletionTimestamp"] = now_iso()
            self.reconcile()
            return view

    def _check_body(self, kind: Kind, body: Any, ns: str, name: str | None) -> None:
        if not isinstance(body, dict):
            raise bad_request("the request body must be a JSON object")
        if body.get("apiVersion") != kind.api_version:
            raise bad_request(
                f"the API version in the data ({body.get('apiVersion')}) "
                f"does not match the expected API version ({kind.api_version})")
        if body.get("kind") != kind.kind:
            raise bad_request(
                f"the kind in the data ({body.get('kind')}) does not match the expected kind ({kind.kind})")
        meta = body.get("metadata")
        if not isinstance(meta, dict):
            raise bad_request("metadata is required")
        if name is not None and meta.get("name") not in (None, name):
            raise bad_request("the name of the object does not match the name on the URL")
        if kind.namespaced and meta.get("namespace") not in (None, "", ns):
            raise bad_request("the namespace of the provided object does not match the namespace sent on the request")

    # ----- node groups -------------------------------------------------------------------------

    def upsert_nodegroup(self, name: str, desired: int, version: str, ready: bool, labels: dict,
                         taints: list, instance_types: list) -> None:
        with self.lock:
            ng = self.nodegroups.get(name)
            if ng is None:
                ng = self.nodegroups[name] = NodeGroup(name, 0, version, ready, {}, [], [])
            ng.desired = max(0, int(desired))
            if version != ng.version:
                ng.versions = {}  # a version given here moves every node in place
            ng.version, ng.ready = version, bool(ready)
            ng.labels, ng.taints = dict(labels or {}), [self._k8s_taint(t) for t in taints or []]
            ng.instance_types = list(instance_types or ["m5.large"])
            while len(ng.nodes) > ng.desired:
                self._delete_node(ng.nodes[-1], cause="scale-in")
            while len(ng.nodes) < ng.desired:
                ng.nodes.append(self._create_node(ng))
            for node_name in ng.nodes:
                node = self._bucket(NODES).get(("", node_name))
                if node is not None:
                    self._sync_node(ng, node)
            self.reconcile()

    def delete_nodegroup(self, name: str) -> None:
        with self.lock:
            ng = self.nodegroups.pop(name, None)
            if ng is None:
                return
            for node_name in list(ng.nodes):
                self._delete_node(node_name, cause="nodegroup-deleted", nodegroup=name)
            self.nodegroup_static_pods.pop(name, None)
            self.reconcile()

    # ----- what EKS's managed rolling update does to a group's nodes (``eks_rolling_update`` drives)

    def nodegroup_nodes(self, name: str) -> list[dict]:
        """The group's nodes, oldest first: name, version, zone, Ready, cordoned."""
        with self.lock:
            ng = self.nodegroups.get(name)
            out = []
            for node_name in ng.nodes if ng else []:
                node = self._bucket(NODES).get(("", node_name))
                if node is not None:
                    out.append({"name": node_name, "version": ng.version_of(node_name),
                                "zone": node["metadata"]["labels"].get("topology.kubernetes.io/zone"),
                                "ready": node_ready(node), "unschedulable": bool(node["spec"].get("unschedulable"))})
            return out

    def launch_nodes(self, name: str, version: str, zones: list[str]) -> list[str]:
        """New instances of the group at ``version``, one in each zone given: registered at once,
        NotReady until ``join_nodes``."""
        with self.lock:
            ng = self.nodegroups[name]
            launched = [self._create_node(ng, zone, version, joining=True) for zone in zones]
            ng.nodes.extend(launched)
            ng.desired = len(ng.nodes)
            self.reconcile()
            return launched

    def join_nodes(self, name: str, nodes: list[str]) -> None:
        """The kubelets of launched nodes have joined: the nodes turn Ready."""
        with self.lock:
            ng = self.nodegroups.get(name)
            for node_name in nodes if ng else []:
                ng.joining.discard(node_name)
                node = self._bucket(NODES).get(("", node_name))
                if node is not None and not node_ready(node):
                    new = copy.deepcopy(node)
                    self._set_node_ready(new, True)
                    self._replace(NODES, node, new)
            self.reconcile()

    def cordon_nodes(self, nodes: list[str], labels: dict) -> None:
        """Cordons nodes (recorded like any cordon) and labels them, as EKS does to the nodes it is
        about to replace (``node.kubernetes.io/exclude-from-external-load-balancers``)."""
        with self.lock:
            for node_name in nodes:
                node = self._bucket(NODES).get(("", node_name))
                if node is None:
                    continue
                new = copy.deepcopy(node)
                new["spec"]["unschedulable"] = True
                new["metadata"]["labels"].update(labels)
                self._node_changed(node, self._replace(NODES, node, new))
            self.reconcile()

    def drain_node(self, node_name: str, force: bool = False) -> list[str]:
        """One pass of a drain as EKS runs it: every pod on the node but DaemonSet and mirror pods
        goes through the Eviction API's rules (recorded as any eviction; refused ones stay), or with
        ``force`` is deleted (a PDB violation, cause ``force``, where its budget forbade it).
        Returns ``namespace/name`` of the pods still on the node, Terminating ones included."""
        with self.lock:
            for pod in self._movable_pods(node_name):
                if pod["metadata"].get("deletionTimestamp"):
                    continue
                if force:
                    self._delete_pod(pod, cause="force", graceful=True)
                    continue
                try:
                    self._evict(pod)
                except ApiError as e:
                    if e.code not in (429, 500):
                        raise
            self.reconcile()
            return [f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in self._movable_pods(node_name)]

    def _movable_pods(self, node_name: str) -> list[dict]:
        return [p for p in self._all(PODS)
                if p["spec"].get("nodeName") == node_name and owner_kind(p) not in ("DaemonSet", "Mirror")]

    def terminate_node(self, node_name: str, cause: str) -> None:
        """The node's instance is terminated: the node and every pod still on it go."""
        with self.lock:
            ng = self.nodegroups.get((self._bucket(NODES).get(("", node_name)) or {}).get(
                "metadata", {}).get("labels", {}).get(NODEGROUP_LABEL, ""))
            self._delete_node(node_name, cause=cause)
            if ng is not None:
                ng.desired = len(ng.nodes)
            self.reconcile()

    def set_nodegroup_version(self, name: str, version: str) -> None:
        """Every node of the group runs ``version`` now (the update finished): new nodes launch at it."""
        with self.lock:
            ng = self.nodegroups.get(name)
            if ng is not None:
                ng.version = version
                ng.versions = {n: v for n, v in ng.versions.items() if v != version}

    def instance_ids(self, nodegroup: str) -> list[str]:
        with self.lock:
            ng = self.nodegroups.get(nodegroup)
            nodes = [self._bucket(NODES).get(("", n)) for n in (ng.nodes if ng else [])]
            return [n["spec"]["providerID"].rsplit("/", 1)[-1] for n in nodes if n is not None]

    @staticmethod
    def _k8s_taint(t: dict) -> dict:
        effect = EKS_TAINT_EFFECTS.get(t.get("effect", ""), t.get("effect", "NoSchedule"))
        out = {"key": t["key"], "effect": effect}
        if t.get("value"):
            out["value"] = t["value"]
        return out

    def _zones(self) -> list[str]:
        return [f"{self.region}{s}" for s in "abc"]

    def _create_node(self, ng: NodeGroup, zone: str | None = None, version: str | None = None,
                     joining: bool = False) -> str:
        index = len(self._bucket(NODES)) + next(self._ip_counter)
        ip = f"10.0.{(index // 250) % 250}.{index % 250 + 4}"
        domain = "ec2.internal" if self.region == "us-east-1" else f"{self.region}.compute.internal"
        node_name = f"ip-{ip.replace('.', '-')}.{domain}"
        while ("", node_name) in self._bucket(NODES):
            index += 1
            ip = f"10.0.{(index // 250) % 250}.{index % 250 + 4}"
            node_name = f"ip-{ip.replace('.', '-')}.{domain}"
        zone = zone or self._zones()[len(ng.nodes) % 3]
        if version is not None and version != ng.version:
            ng.versions[node_name] = version
        if joining:
            ng.joining.add(node_name)
        instance_type = ng.instance_types[len(ng.nodes) % len(ng.instance_types)]
        instance_id = "i-" + uuid.uuid4().hex[:17]
        node = {
            "apiVersion": "v1", "kind": "Node",
            "metadata": {
                "name": node_name,
                "labels": {},
                "annotations": {
                    "alpha.kubernetes.io/provided-node-ip": ip,
                    "node.alpha.kubernetes.io/ttl": "0",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                },
            },
            "spec": {"providerID": f"aws:///{zone}/{instance_id}"},
            "status": {
                "addresses": [
                    {"type": "InternalIP", "address": ip},
                    {"type": "InternalDNS", "address": node_name},
                    {"type": "Hostname", "address": node_name},
                ],
                "capacity": {"cpu": "2", "memory": "7910400Ki", "pods": "29", "ephemeral-storage": "20959212Ki"},
                "allocatable": {
                    "cpu": "1930m", "memory": "7220224Ki", "pods": "29", "ephemeral-storage": "18242267924",
                },
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "architecture": "amd64", "operatingSystem": "linux", "osImage": "Amazon Linux 2023",
                    "containerRuntimeVersion": "containerd://1.7.22",
                    "kernelVersion": "6.1.112-122.189.amzn2023.x86_64",
                    "kubeletVersion": "", "kubeProxyVersion": "", "machineID": uuid.uuid4().hex,
                    "systemUUID": str(uuid.uuid4()), "bootID": str(uuid.uuid4()),
                },
                "conditions": [],
            },
        }
        node["metadata"]["labels"] = {
            "kubernetes.io/hostname": node_name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "beta.kubernetes.io/arch": "amd64",
            "node.kubernetes.io/instance-type": instance_type,
            "beta.kubernetes.io/instance-type": instance_type,
            "topology.kubernetes.io/zone": zone,
            "failure-domain.beta.kubernetes.io/zone": zone,
            "topology.kubernetes.io/region": self.region,
            "failure-domain.beta.kubernetes.io/region": self.region,
            "eks.amazonaws.com/capacityType": "ON_DEMAND",
            NODEGROUP_LABEL: ng.name,
            "eks.amazonaws.com/sourceLaunchTemplateVersion": "1",
        }
        self._sync_node(ng, node, inserting=True)
        self._insert(NODES, node)
        return node_name

    def _sync_node(self, ng: NodeGroup, node: dict, inserting: bool = False) -> None:
        """Brings a node in line with its group: labels, taints, kubelet version, Ready."""
        new = copy.deepcopy(node)
        labels = new["metadata"]["labels"]
        for k in self._ng_labels.get(node["metadata"]["name"], ()):
            labels.pop(k, None)
        labels.update(ng.labels)
        labels[NODEGROUP_LABEL] = ng.name
        version = ng.version_of(node["metadata"]["name"])
        labels["eks.amazonaws.com/nodegroup-image"] = f"ami-{hashlib.sha1(version.encode()).hexdigest()[:17]}"
        self._ng_labels[node["metadata"]["name"]] = tuple(ng.labels)
        cordon = [t for t in new["spec"].get("taints", []) if t["key"] == UNSCHEDULABLE_TAINT["key"]]
        new["spec"]["taints"] = [dict(t) for t in ng.taints] + cordon
        if not new["spec"]["taints"]:
            new["spec"].pop("taints")
        kv = kubelet_version(version)
        new["status"]["nodeInfo"]["kubeletVersion"] = kv
        new["status"]["nodeInfo"]["kubeProxyVersion"] = kv
        # A node that has come up stays Ready: `ready=False` while a group scales or updates
        # holds back only the nodes still joining, as with EKS (old nodes keep serving).
        joining = node["metadata"]["name"] in ng.joining
        self._set_node_ready(new, (ng.ready and not joining) or (not inserting and node_ready(node)))
        if inserting:
            node.clear()
            node.update(new)
        else:
            self._replace(NODES, node, new)

    @staticmethod
    def _set_node_ready(node: dict, ready: bool) -> None:
        ts = now_iso()
        conds = {c["type"]: c for c in node["status"].get("conditions", [])}
        for ctype, reason in (("MemoryPressure", "KubeletHasSufficientMemory"),
                              ("DiskPressure", "KubeletHasNoDiskPressure"),
                              ("PIDPressure", "KubeletHasSufficientPID")):
            conds.setdefault(ctype, {"type": ctype, "status": "False", "reason": reason,
                                     "message": reason, "lastHeartbeatTime": ts, "lastTransitionTime": ts})
        status = "True" if ready else "False"
        previous = conds.get("Ready")
        if previous is None or previous["status"] != status:
            conds["Ready"] = {
                "type": "Ready", "status": status,
                "reason": "KubeletReady" if ready else "KubeletNotReady",
                "message": "kubelet is posting ready status" if ready
                else "container runtime network not ready: cni plugin not initialized",
                "lastHeartbeatTime": ts, "lastTransitionTime": ts,
            }
        node["status"]["conditions"] = [conds[t] for t in ("MemoryPressure", "DiskPressure", "PIDPressure", "Ready")]

    def _node_changed(self, before: dict | None, node: dict) -> None:
        """Cordon bookkeeping after a PATCH or apply of a node."""
        was = bool((before or {}).get("spec", {}).get("unschedulable"))
        now = bool(node.get("spec", {}).get("unschedulable"))
        taints = [t for t in node["spec"].get("taints", []) if t["key"] != UNSCHEDULABLE_TAINT["key"]]
        if now:
            taints.append(dict(UNSCHEDULABLE_TAINT, timeAdded=now_iso()))
        current = node["spec"].get("taints", [])
        if [t["key"] for t in current] != [t["key"] for t in taints]:
            new = copy.deepcopy(node)
            new["spec"]["taints"] = taints
            if not taints:
                new["spec"].pop("taints")
            self._replace(NODES, node, new)
        if was != now:
            self.observations.cordoned.append({
                "node": node["metadata"]["name"],
                "nodegroup": node["metadata"].get("labels", {}).get(NODEGROUP_LABEL),
                "unschedulable": now,
                # As the same write left them: a cordon and its record set in one patch show together.
                "annotations": dict(node["metadata"].get("annotations") or {}),
                "time": now_precise(),
            })

    def _delete_node(self, node_name: str, cause: str, nodegroup: str | None = None) -> None:
        node = self._bucket(NODES).get(("", node_name))
        ng_name = nodegroup or (node or {}).get("metadata", {}).get("labels", {}).get(NODEGROUP_LABEL)
        for pod in [p for p in self._all(PODS) if p["spec"].get("nodeName") == node_name]:
            record = {
                "namespace": pod["metadata"]["namespace"], "pod": pod["metadata"]["name"],
                "node": node_name, "nodegroup": ng_name, "owner_kind": owner_kind(pod),
                "owner": (controller_ref(pod) or {}).get("name"), "cause": cause,
                "phase": pod["status"].get("phase"), "terminating": bool(pod["metadata"].get("deletionTimestamp")),
                "counts_as_loss": owner_kind(pod) not in ("DaemonSet", "Mirror")
                and not pod["metadata"].get("deletionTimestamp"),
                "time": now_precise(),
            }
            self.observations.lost_pods.append(record)
            self._delete_pod(pod, cause=cause)
        ng = self.nodegroups.get(ng_name or "")
        if ng and node_name in ng.nodes:
            ng.nodes.remove(node_name)
            ng.versions.pop(node_name, None)
            ng.joining.discard(node_name)
        self.static_pods.pop(node_name, None)
        self._ng_labels.pop(node_name, None)
        if node is not None:
            self._remove(NODES, node)

    # ----- pods ----------------------------------------------------------------------------------

    def _init_pod(self, pod: dict) -> None:
        spec = pod.setdefault("spec", {})
        spec.setdefault("schedulerName", "default-scheduler")
        spec.setdefault("restartPolicy", "Always")
        spec.setdefault("terminationGracePeriodSeconds", 30)
        spec.setdefault("containers", [{"name": "app", "image": "public.ecr.aws/docker/library/busybox:latest"}])
        tolerations = spec.setdefault("tolerations", [])
        for key in ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"):
            t = {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
            if not any(x.get("key") == t["key"] for x in tolerations):
                tolerations.append(t)
        pod["status"] = {"phase": "Pending", "qosClass": "BestEffort", "conditions": []}

    def _delete_pod(self, pod: dict, cause: str, graceful: bool = False) -> dict:
        """Deletes a pod outside the Eviction API, recording it if a PDB allowed no disruption."""
        if pod_ready(pod):
            for pdb in self._pdbs_for(pod):
                st = self._pdb_status(pdb)
                if st["disruptionsAllowed"] <= 0:
                    self.observations.pdb_violations.append({
                        "pdb": pdb["metadata"]["name"], "namespace": pod["metadata"]["namespace"],
                        "pod": pod["metadata"]["name"], "node": pod["spec"].get("nodeName"),
                        "cause": cause, "current_healthy": st["currentHealthy"],
                        "desired_healthy": st["desiredHealthy"], "time": now_precise(),
                    })
        if graceful:
            return self._terminate(pod)
        self._remove(PODS, pod)
        return pod

    def _terminate(self, pod: dict, grace: float | None = None, evicted: bool = False) -> dict:
        """Graceful deletion: the pod is marked Terminating (not Ready, not counted by its
        controller or by budgets) and disappears once its kubelet has stopped it. A pod that
        never got to a Ready node goes at once, as there is no kubelet to wait for."""
        if pod["metadata"].get("deletionTimestamp"):
            return pod
        node = self._bucket(NODES).get(("", pod["spec"].get("nodeName") or ""))
        seconds = POD_TERMINATION_SECONDS * self.time_scale if grace is None else grace
        if node is None or not node_ready(node) or seconds <= 0:
            self._remove(PODS, pod)
            return pod
        new = copy.deepcopy(pod)
        new["metadata"]["deletionTimestamp"] = now_iso()
        new["metadata"]["deletionGracePeriodSeconds"] = int(pod["spec"].get("terminationGracePeriodSeconds", 30))
        self._set_pod_ready(new, False)
        if evicted:
            new["status"]["conditions"].append({
                "type": "DisruptionTarget", "status": "True", "reason": "EvictionByEvictionAPI",
                "message": "Eviction API: evicting", "lastTransitionTime": now_iso()})
        new = self._replace(PODS, pod, new)
        uid = new["metadata"]["uid"]
        key = (new["metadata"]["namespace"], new["metadata"]["name"])

        def gone() -> None:
            current = self._bucket(PODS).get(key)
            if current is not None and current["metadata"]["uid"] == uid:
                self._remove(PODS, current)

        self._after(seconds, gone)
        return new

    def _pdbs_for(self, pod: dict) -> list[dict]:
        ns = pod["metadata"]["namespace"]
        labels = pod["metadata"].get("labels") or {}
        return [p for p in self._all(PDBS)
                if p["metadata"]["namespace"] == ns and p.get("spec", {}).get("selector") is not None
                and label_selector_matches(p["spec"]["selector"], labels)]

    def evict(self, ns: str, name: str, body: Any, dry_run: bool) -> dict:
        """The pods/eviction subresource (policy/v1 Eviction)."""
        with self.lock:
            pod = self._bucket(PODS).get((ns, name))
            if pod is None:
                raise not_found("", "pods", name)
            if isinstance(body, dict):
                # As the API server's decoder does, type fields left out are taken from the URL
                # (the official clients send none); ones given must name an Eviction.
                body = dict(body, apiVersion=body.get("apiVersion") or "policy/v1", kind=body.get("kind") or "Eviction")
            if not isinstance(body, dict) or body.get("kind") != "Eviction" or \
                    body.get("apiVersion") not in ("policy/v1", "policy/v1beta1"):
                raise bad_request("the body must be a policy/v1 Eviction")
            if (body.get("metadata") or {}).get("name") != name:
                raise bad_request("name in URL does not match name in Eviction object")
            opts = body.get("deleteOptions") or {}
            dry_run = dry_run or "All" in (opts.get("dryRun") or [])
            pre = (opts.get("preconditions") or {})
            if pre.get("uid") and pre["uid"] != pod["metadata"]["uid"]:
                raise ApiError(
                    409,
                    f'Precondition failed: UID in precondition: {pre["uid"]}, '
                    f'UID in object meta: {pod["metadata"]["uid"]}',
                    "Conflict")
            self._evict(pod, dry_run)
            return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}

    def _evict(self, pod: dict, dry_run: bool = False) -> None:
        """The Eviction API's decision for one pod, recorded in the observations: the pod is
        Terminating on return, or ApiError 429 (a budget allows no disruption) or 500 (more than
        one budget) is raised."""
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        record = {"namespace": ns, "pod": name, "node": pod["spec"].get("nodeName"),
                  "owner_kind": owner_kind(pod), "owner": (controller_ref(pod) or {}).get("name"),
                  "pdb": None, "time": now_precise()}
        phase = pod["status"].get("phase")
        ignore_pdb = phase in ("Succeeded", "Failed", "Pending") or pod["metadata"].get("deletionTimestamp")
        if not ignore_pdb:
            pdbs = self._pdbs_for(pod)
            if len(pdbs) > 1:
                self.observations.blocked_evictions.append(
                    dict(record, code=500, pdb=[p["metadata"]["name"] for p in pdbs]))
                raise ApiError(
                    500,
                    "This pod has more than one PodDisruptionBudget, "
                    "which the eviction subresource does not support.",
                    "InternalError")
            if pdbs:
                pdb = pdbs[0]
                st = self._pdb_status(pdb)
                record.update(pdb=pdb["metadata"]["name"], current_healthy=st["currentHealthy"],
                              desired_healthy=st["desiredHealthy"], disruptions_allowed=st["disruptionsAllowed"])
                healthy = pod_ready(pod)
                policy = pdb["spec"].get("unhealthyPodEvictionPolicy", "IfHealthyBudget")
                allowed = st["disruptionsAllowed"] > 0 if healthy else (
                    policy == "AlwaysAllow" or st["currentHealthy"] >= st["desiredHealthy"])
                if not allowed:
                    self.observations.blocked_evictions.append(dict(record, code=429))
                    raise ApiError(
                        429, "Cannot evict pod as it would violate the pod's disruption budget.",
                        "TooManyRequests",
                        {"causes": [{
                            "reason": "DisruptionBudget",
                            "message": f"The disruption budget {pdb['metadata']['name']} needs "
                                       f"{st['desiredHealthy']} healthy pods "
                                       f"and has {st['currentHealthy']} currently",
                        }]},
                    )
        if not dry_run and not pod["metadata"].get("deletionTimestamp"):
            self._terminate(pod, evicted=True)
            self.observations.evictions.append(record)
            self.reconcile()

    # ----- disruption budgets --------------------------------------------------------------------

    def _pdb_status(self, pdb: dict) -> dict:
        ns = pdb["metadata"]["namespace"]
        spec = pdb.get("spec", {})
        selector = spec.get("selector")
        pods = [p for p in self._all(PODS)
                if p["metadata"]["namespace"] == ns and not p["metadata"].get("deletionTimestamp")
                and selector is not None and label_selector_matches(selector, p["metadata"].get("labels") or {})]
        healthy = sum(1 for p in pods if pod_ready(p))
        error = None
        min_avail, max_unavail = spec.get("minAvailable"), spec.get("maxUnavailable")
        try:
            if min_avail is not None and (isinstance(min_avail, int) or not str(min_avail).endswith("%")):
                expected = len(pods)
                desired = int_or_percent(min_avail, expected, True)
            elif min_avail is not None or max_unavail is not None:
                expected = self._expected_scale(pods)
                if max_unavail is not None:
                    desired = max(0, expected - int_or_percent(max_unavail, expected, True))
                else:
                    desired = int_or_percent(min_avail, expected, True)
            else:
                expected = len(pods)
                desired = expected
        except ApiError as e:
            error = e.message
            expected, desired = len(pods), len(pods)
        allowed = 0 if error else max(0, healthy - desired)
        if error:
            reason, message = "SyncFailed", error
        elif allowed > 0:
            reason, message = "SufficientPods", ""
        else:
            reason, message = "InsufficientPods", ""
        return {
            "observedGeneration": pdb["metadata"].get("generation", 1),
            "disruptedPods": {},
            "disruptionsAllowed": allowed,
            "currentHealthy": healthy,
            "desiredHealthy": desired,
            "expectedPods": expected,
            "conditions": [{
                "type": "DisruptionAllowed", "status": "True" if allowed > 0 else "False",
                "reason": reason, "message": message,
                "observedGeneration": pdb["metadata"].get("generation", 1),
                "lastTransitionTime": pdb["metadata"].get("creationTimestamp"),
            }],
        }

    def _expected_scale(self, pods: list[dict]) -> int:
        """Sum of the scale of the pods' controllers, as the disruption controller computes it."""
        seen: dict[str, int] = {}
        for pod in pods:
            ref = controller_ref(pod)
            if ref is None:
                raise ApiError(500, f"found no controller ref for pod \"{pod['metadata']['name']}\"")
            if ref["kind"] == "StatefulSet":
                sts = self._find_uid(STATEFULSETS, pod["metadata"]["namespace"], ref["uid"])
                if sts is None:
                    raise ApiError(500, f"statefulset {ref['name']} not found")
                seen[sts["metadata"]["uid"]] = int(sts["spec"].get("replicas", 1))
                continue
            if ref["kind"] != "ReplicaSet":
                raise ApiError(500, f"{ref['kind']} {ref['name']} does not implement the scale subresource")
            rs = self._find_uid(REPLICASETS, pod["metadata"]["namespace"], ref["uid"])
            if rs is None:
                raise ApiError(500, f"replicaset {ref['name']} not found")
            owner = controller_ref(rs)
            if owner and owner["kind"] == "Deployment":
                dep = self._find_uid(DEPLOYMENTS, rs["metadata"]["namespace"], owner["uid"])
                if dep is not None:
                    seen[dep["metadata"]["uid"]] = int(dep["spec"].get("replicas", 1))
                    continue
            seen[rs["metadata"]["uid"]] = int(rs["spec"].get("replicas", 1))
        return sum(seen.values())

    def _refresh_status(self, gp: tuple[str, str], obj: dict) -> None:
        """Computed status that depends on other objects is refreshed when read."""
        if gp == PDBS:
            self._set_status(PDBS, obj, self._pdb_status(obj))

    # ----- controllers ---------------------------------------------------------------------------

    def reconcile(self) -> None:
        """Runs every controller until nothing changes (bounded; each pass is idempotent)."""
        with self.lock:
            for _ in range(5):
                before = self._last_rv
                self._gc()
                self._deployments()
                self._replicasets()
                self._daemonsets()
                self._statefulsets()
                self._mirror_pods()
                self._schedule()
                self._kubelet()
                for budget in self._all(PDBS):
                    self._refresh_status(PDBS, budget)
                if self._last_rv == before:
                    break
            self.availability.observe(self._availability_samples())

    def _availability_samples(self) -> dict[tuple[str, str], Sample]:
        """Every Deployment's Ready pods now, and what the budget selecting its pods demands."""
        owner_of_rs: dict[str, tuple[str, str]] = {}
        for rs in self._all(REPLICASETS):
            ref = controller_ref(rs)
            if ref and ref["kind"] == "Deployment":
                owner_of_rs[rs["metadata"]["uid"]] = (rs["metadata"]["namespace"], ref["name"])
        ready: dict[tuple[str, str], int] = {}
        for pod in self._all(PODS):
            key = owner_of_rs.get((controller_ref(pod) or {}).get("uid", ""))
            if key is not None and pod_ready(pod):
                ready[key] = ready.get(key, 0) + 1
        samples = {}
        for dep in self._all(DEPLOYMENTS):
            ns, name = dep["metadata"]["namespace"], dep["metadata"]["name"]
            labels = (dep.get("spec", {}).get("template", {}).get("metadata") or {}).get("labels") or {}
            budget = next((p for p in self._all(PDBS) if p["metadata"]["namespace"] == ns
                           and p.get("spec", {}).get("selector") is not None
                           and label_selector_matches(p["spec"]["selector"], labels)), None)
            desired = (budget.get("status") or {}).get("desiredHealthy") if budget else None
            samples[(ns, name)] = Sample(ready.get((ns, name), 0), int(dep.get("spec", {}).get("replicas", 1)),
                                         budget["metadata"]["name"] if budget else None, desired)
        return samples

    def observations_view(self) -> dict:
        with self.lock:
            return dict(self.observations.as_dict(), availability=self.availability.view())

    def clear_observations(self) -> None:
        with self.lock:
            self.observations = Observations()
            self.availability.clear()

    def _gc(self) -> None:
        for gp in (REPLICASETS, PODS):
            for obj in self._all(gp):
                ref = controller_ref(obj)
                if not ref or owner_kind(obj) == "Mirror":
                    continue
                owner_gp = {
                    "Deployment": DEPLOYMENTS, "ReplicaSet": REPLICASETS, "DaemonSet": DAEMONSETS,
                    "StatefulSet": STATEFULSETS,
                }.get(ref["kind"])
                if owner_gp and self._find_uid(owner_gp, obj["metadata"]["namespace"], ref["uid"]) is None:
                    self._remove(gp, obj)

    def _owned(self, gp: tuple[str, str], owner: dict) -> list[dict]:
        uid = owner["metadata"]["uid"]
        return [o for o in self._all(gp) if (controller_ref(o) or {}).get("uid") == uid]

    @staticmethod
    def _owner_ref(owner: dict, api_version: str) -> dict:
        return {"apiVersion": api_version, "kind": owner["kind"], "name": owner["metadata"]["name"],
                "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}

    def _set_status(self, gp: tuple[str, str], obj: dict, status: dict) -> None:
        if obj.get("status") != status:
            new = copy.deepcopy(obj)
            new["status"] = status
            self._replace(gp, obj, new)

    def _deployments(self) -> None:
        for dep in self._all(DEPLOYMENTS):
            spec = dep.get("spec", {})
            template = spec.get("template", {})
            replicas = int(spec.get("replicas", 1))
            h = template_hash(template)
            rs_name = f"{dep['metadata']['name']}-{h}"
            owned = self._owned(REPLICASETS, dep)
            current = next((rs for rs in owned if rs["metadata"]["name"] == rs_name), None)
            if current is None:
                labels = dict(template.get("metadata", {}).get("labels") or {})
                labels["pod-template-hash"] = h
                tmpl = copy.deepcopy(template)
                tmpl.setdefault("metadata", {})["labels"] = labels
                template_labels = dict(template.get("metadata", {}).get("labels") or {})
                selector = copy.deepcopy(spec.get("selector") or {"matchLabels": template_labels})
                selector.setdefault("matchLabels", {})["pod-template-hash"] = h
                current = self._insert(REPLICASETS, {
                    "apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "metadata": {"name": rs_name, "namespace": dep["metadata"]["namespace"], "labels": labels,
                                 "annotations": {"deployment.kubernetes.io/revision": str(len(owned) + 1)},
                                 "ownerReferences": [self._owner_ref(dep, "apps/v1")]},
                    "spec": {"replicas": replicas, "selector": selector, "template": tmpl},
                })
            elif current["spec"].get("replicas") != replicas:
                new = copy.deepcopy(current)
                new["spec"]["replicas"] = replicas
                current = self._replace(REPLICASETS, current, new)
            for rs in owned:
                if rs is not current and rs["spec"].get("replicas", 0) != 0:
                    new = copy.deepcopy(rs)
                    new["spec"]["replicas"] = 0
                    self._replace(REPLICASETS, rs, new)
            pods = [p for rs in self._owned(REPLICASETS, dep) for p in self._owned(PODS, rs)]
            ready = sum(1 for p in pods if pod_ready(p))
            updated = len(self._owned(PODS, current))
            self._set_status(DEPLOYMENTS, dep, {
                "observedGeneration": dep["metadata"].get("generation", 1),
                "replicas": len(pods), "updatedReplicas": updated, "readyReplicas": ready,
                "availableReplicas": ready, "unavailableReplicas": max(0, replicas - ready),
                "conditions": [{"type": "Available", "status": "True" if ready >= replicas else "False",
                                "reason": "MinimumReplicasAvailable" if ready >= replicas
                                else "MinimumReplicasUnavailable"}],
            })

    def _replicasets(self) -> None:
        for rs in self._all(REPLICASETS):
            replicas = int(rs.get("spec", {}).get("replicas", 1))
            pods = [p for p in self._owned(PODS, rs) if not p["metadata"].get("deletionTimestamp")]
            if len(pods) > replicas:
                # Scale down unscheduled, then not-ready, then youngest pods first (sorts are stable).
                pods.sort(key=lambda p: p["metadata"]["creationTimestamp"], reverse=True)
                pods.sort(key=lambda p: (bool(p["spec"].get("nodeName")), pod_ready(p)))
                for p in pods[: len(pods) - replicas]:
                    self._terminate(p)
            for _ in range(replicas - len(pods)):
                self._insert(PODS, self._pod_from(rs, generateName=f"{rs['metadata']['name']}-"))
            pods = [p for p in self._owned(PODS, rs) if not p["metadata"].get("deletionTimestamp")]
            ready = sum(1 for p in pods if pod_ready(p))
            self._set_status(REPLICASETS, rs, {
                "replicas": len(pods), "fullyLabeledReplicas": len(pods), "readyReplicas": ready,
                "availableReplicas": ready, "observedGeneration": rs["metadata"].get("generation", 1),
            })

    def _pod_from(self, owner: dict, **meta: str) -> dict:
        """A new pod from a controller's template, owned by it (``meta``: its name or generateName)."""
        template = copy.deepcopy(owner["spec"].get("template", {}))
        template_meta = template.get("metadata", {})
        pod = {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": dict(meta, namespace=owner["metadata"]["namespace"],
                             labels=dict(template_meta.get("labels") or {}),
                             annotations=dict(template_meta.get("annotations") or {}),
                             ownerReferences=[self._owner_ref(owner, "apps/v1")]),
            "spec": template.get("spec", {}),
        }
        self._init_pod(pod)
        return pod

    def _statefulsets(self) -> None:
        """Pods ``<name>-<ordinal>``, created in order, each once the one before is Ready
        (``podManagementPolicy: Parallel``: all at once); an evicted or deleted pod comes back
        under its own name once it is gone; ordinals past ``replicas`` go, highest first."""
        for sts in self._all(STATEFULSETS):
            spec, name, ns = sts.get("spec", {}), sts["metadata"]["name"], sts["metadata"]["namespace"]
            replicas = int(spec.get("replicas", 1))
            owned = self._owned(PODS, sts)
            for pod in sorted(owned, key=lambda p: p["metadata"]["name"], reverse=True):
                ordinal = pod["metadata"]["name"].rsplit("-", 1)[-1]
                if not ordinal.isdigit() or int(ordinal) >= replicas:
                    self._terminate(pod)
            for i in range(replicas):
                pod_name = f"{name}-{i}"
                existing = self._bucket(PODS).get((ns, pod_name))
                if existing is None:
                    pod = self._pod_from(sts, name=pod_name)
                    pod["metadata"]["labels"].update({"statefulset.kubernetes.io/pod-name": pod_name,
                                                      "apps.kubernetes.io/pod-index": str(i)})
                    pod["spec"].setdefault("hostname", pod_name)
                    if spec.get("serviceName"):
                        pod["spec"].setdefault("subdomain", spec["serviceName"])
                    existing = self._insert(PODS, pod)
                if spec.get("podManagementPolicy") != "Parallel" and not pod_ready(existing):
                    break  # OrderedReady: the next ordinal waits for this one
            pods = [p for p in self._owned(PODS, sts) if not p["metadata"].get("deletionTimestamp")]
            ready = sum(1 for p in pods if pod_ready(p))
            self._set_status(STATEFULSETS, sts, {
                "replicas": len(pods), "readyReplicas": ready, "currentReplicas": len(pods),
                "updatedReplicas": len(pods), "availableReplicas": ready, "collisionCount": 0,
                "observedGeneration": sts["metadata"].get("generation", 1),
            })

    def _eligible_for_daemonset(self, ds: dict, node: dict) -> bool:
        spec = ds.get("spec", {}).get("template", {}).get("spec", {})
        labels = node["metadata"].get("labels") or {}
        for k, v in (spec.get("nodeSelector") or {}).items():
            if labels.get(k) != v:
                return False
        tolerations = list(spec.get("tolerations") or []) + DAEMONSET_TOLERATIONS
        return all(tolerates(tolerations, t) for t in node["spec"].get("taints", [])
                   if t.get("effect") in ("NoSchedule", "NoExecute"))

    def _daemonsets(self) -> None:
        nodes = self._all(NODES)
        for ds in self._all(DAEMONSETS):
            pods = self._owned(PODS, ds)
            by_node: dict[str, list[dict]] = {}
            for p in pods:
                by_node.setdefault(p["spec"].get("nodeName", ""), []).append(p)
            eligible = [n for n in nodes if self._eligible_for_daemonset(ds, n)]
            eligible_names = {n["metadata"]["name"] for n in eligible}
            for node_name, ps in by_node.items():
                extra = ps if node_name not in eligible_names else ps[1:]
                for p in extra:
                    self._remove(PODS, p)
            for node in eligible:
                node_name = node["metadata"]["name"]
                if by_node.get(node_name):
                    continue
                template = copy.deepcopy(ds["spec"].get("template", {}))
                meta = template.get("metadata", {})
                spec = template.get("spec", {})
                own = list(spec.get("tolerations") or [])
                spec["tolerations"] = own + [
                    t for t in DAEMONSET_TOLERATIONS if not any(x.get("key") == t["key"] for x in own)]
                spec["nodeName"] = node_name
                pod = {
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {
                        "generateName": f"{ds['metadata']['name']}-",
                        "namespace": ds["metadata"]["namespace"],
                        "labels": dict(meta.get("labels") or {}),
                        "annotations": dict(meta.get("annotations") or {}),
                        "ownerReferences": [self._owner_ref(ds, "apps/v1")],
                    },
                    "spec": spec,
                }
                self._init_pod(pod)
                self._mark_scheduled(pod, node_name)
                self._insert(PODS, pod)
            pods = self._owned(PODS, ds)
            ready = sum(1 for p in pods if pod_ready(p))
            self._set_status(DAEMONSETS, ds, {
                "desiredNumberScheduled": len(eligible), "currentNumberScheduled": len(pods),
                "numberReady": ready, "numberAvailable": ready, "updatedNumberScheduled": len(pods),
                "numberMisscheduled": 0, "observedGeneration": ds["metadata"].get("generation", 1),
            })

    def add_static_pod(self, node_name: str | None, nodegroup: str | None, manifest: dict) -> None:
        with self.lock:
            if nodegroup:
                if nodegroup not in self.nodegroups:
                    raise not_found("", "nodegroups", nodegroup)
                self.nodegroup_static_pods.setdefault(nodegroup, []).append(copy.deepcopy(manifest))
            else:
                if ("", node_name) not in self._bucket(NODES):
                    raise not_found("", "nodes", node_name or "")
                self.static_pods.setdefault(node_name, {})[manifest["metadata"]["name"]] = copy.deepcopy(manifest)
            self.reconcile()

    def _mirror_pods(self) -> None:
        for node in self._all(NODES):
            node_name = node["metadata"]["name"]
            ng = (node["metadata"].get("labels") or {}).get(NODEGROUP_LABEL)
            manifests = (list(self.static_pods.get(node_name, {}).values())
                         + self.nodegroup_static_pods.get(ng or "", []))
            for manifest in manifests:
                ns = manifest["metadata"].get("namespace") or "kube-system"
                name = f"{manifest['metadata']['name']}-{node_name}"
                if (ns, name) in self._bucket(PODS):
                    continue
                pod = copy.deepcopy(manifest)
                pod["apiVersion"], pod["kind"] = "v1", "Pod"
                meta = pod["metadata"]
                meta.update({"name": name, "namespace": ns})
                digest = hashlib.md5(json.dumps(manifest, sort_keys=True).encode()).hexdigest()
                meta["annotations"] = dict(meta.get("annotations") or {}, **{
                    MIRROR_ANNOTATION: digest, "kubernetes.io/config.hash": digest,
                    "kubernetes.io/config.source": "file"})
                meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node", "name": node_name,
                                            "uid": node["metadata"]["uid"], "controller": True}]
                pod.setdefault("spec", {})["nodeName"] = node_name
                self._init_pod(pod)
                self._mark_scheduled(pod, node_name)
                self._ensure_namespace(ns)
                self._insert(PODS, pod)

    def _mark_scheduled(self, pod: dict, node_name: str) -> None:
        pod["spec"]["nodeName"] = node_name
        conds = [c for c in pod["status"].get("conditions", []) if c["type"] != "PodScheduled"]
        conds.insert(0, {"type": "PodScheduled", "status": "True", "lastTransitionTime": now_iso()})
        pod["status"]["conditions"] = conds
        node = self._bucket(NODES).get(("", node_name))
        if node is not None:
            pod["status"]["hostIP"] = node["status"]["addresses"][0]["address"]

    def _schedulable(self, pod: dict, node: dict) -> bool:
        if not node_ready(node) or node["spec"].get("unschedulable"):
            return False
        labels = node["metadata"].get("labels") or {}
        for k, v in (pod["spec"].get("nodeSelector") or {}).items():
            if labels.get(k) != v:
                return False
        return all(tolerates(pod["spec"].get("tolerations") or [], t) for t in node["spec"].get("taints", [])
                   if t.get("effect") in ("NoSchedule", "NoExecute"))

    def _schedule(self) -> None:
        pending = [p for p in self._all(PODS)
                   if not p["spec"].get("nodeName") and not p["metadata"].get("deletionTimestamp")]
        if not pending:
            return
        nodes = self._all(NODES)
        load: dict[str, int] = {n["metadata"]["name"]: 0 for n in nodes}
        for p in self._all(PODS):
            if p["spec"].get("nodeName") in load:
                load[p["spec"]["nodeName"]] += 1
        for pod in sorted(pending, key=lambda p: p["metadata"]["creationTimestamp"]):
            candidates = [n for n in nodes if self._schedulable(pod, n)]
            if not candidates:
                message = f"0/{len(nodes)} nodes are available: " + (
                    f"{len(nodes)} node(s) were unschedulable or not ready or had untolerated taints."
                    if nodes else "no nodes available to schedule pods.")
                cond = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}
                existing = condition(pod, "PodScheduled")
                if existing is None or existing.get("message") != message:
                    new = copy.deepcopy(pod)
                    new["status"]["conditions"] = [cond | {"lastTransitionTime": now_iso()}]
                    self._replace(PODS, pod, new)
                continue
            best = min(candidates, key=lambda n: (load[n["metadata"]["name"]], n["metadata"]["name"]))
            new = copy.deepcopy(pod)
            self._mark_scheduled(new, best["metadata"]["name"])
            load[best["metadata"]["name"]] += 1
            self._replace(PODS, pod, new)

    def _kubelet(self) -> None:
        delay = POD_START_SECONDS * self.time_scale
        for pod in self._all(PODS):
            node_name = pod["spec"].get("nodeName")
            if not node_name:
                continue
            node = self._bucket(NODES).get(("", node_name))
            ready_node = node is not None and node_ready(node)
            phase = pod["status"].get("phase")
            if pod["metadata"].get("deletionTimestamp"):
                continue
            if phase == "Pending" and ready_node and pod["metadata"]["uid"] not in self._starting:
                uid = pod["metadata"]["uid"]
                self._starting.add(uid)
                self._after(delay, lambda ns=pod["metadata"]["namespace"], n=pod["metadata"]["name"], u=uid:
                            self._start_pod(ns, n, u))
            elif phase == "Running":
                c = condition(pod, "Ready")
                want = "True" if ready_node else "False"
                if c is None or c.get("status") != want:
                    new = copy.deepcopy(pod)
                    self._set_pod_ready(new, ready_node)
                    self._replace(PODS, pod, new)

    def _start_pod(self, ns: str, name: str, uid: str) -> None:
        self._starting.discard(uid)
        pod = self._bucket(PODS).get((ns, name))
        if pod is None or pod["metadata"]["uid"] != uid or pod["status"].get("phase") != "Pending" \
                or pod["metadata"].get("deletionTimestamp"):
            return
        node = self._bucket(NODES).get(("", pod["spec"].get("nodeName", "")))
        if node is None or not node_ready(node):
            return  # the kubelet is not running; reconcile starts it once the node is Ready
        new = copy.deepcopy(pod)
        new["status"]["phase"] = "Running"
        new["status"]["startTime"] = now_iso()
        if new["spec"].get("hostNetwork"):
            new["status"]["podIP"] = new["status"].get("hostIP")
        else:
            index = next(self._ip_counter)
            new["status"]["podIP"] = f"10.0.{128 + (index // 250) % 120}.{index % 250 + 4}"
        new["status"]["podIPs"] = [{"ip": new["status"]["podIP"]}]
        # Every field the API server always sends (the official clients' models refuse a status
        # without imageID, for one): the image digest and the runtime's container id.
        new["status"]["containerStatuses"] = [
            {"name": c.get("name", "app"), "image": c.get("image", ""),
             "imageID": image_id(c.get("image", "")),
             "containerID": "containerd://" + hashlib.sha256(f"{uid}/{c.get('name')}".encode()).hexdigest(),
             "ready": True, "restartCount": 0, "started": True, "state": {"running": {"startedAt": now_iso()}},
             "lastState": {}}
            for c in new["spec"].get("containers", [])
        ]
        self._set_pod_ready(new, True)
        self._replace(PODS, pod, new)

    @staticmethod
    def _set_pod_ready(pod: dict, ready: bool) -> None:
        ts = now_iso()
        status = "True" if ready else "False"
        conds = {c["type"]: c for c in pod["status"].get("conditions", [])}
        for ctype in ("Initialized", "ContainersReady", "Ready"):
            value = "True" if ctype == "Initialized" else status
            if conds.get(ctype, {}).get("status") != value:
                conds[ctype] = {"type": ctype, "status": value, "lastTransitionTime": ts}
        order = ["PodScheduled", "Initialized", "ContainersReady", "Ready", "DisruptionTarget"]
        pod["status"]["conditions"] = [conds[t] for t in order if t in conds]
        for container in pod["status"].get("containerStatuses") or []:
            container["ready"] = ready

    # ----- seeding and summaries (the control plane of the sandbox) ------------------------------

    def seed(self, payload: dict) -> list[dict]:
        if not isinstance(payload, dict):
            raise bad_request("workloads payload must be a JSON object")
        created = []
        with self.lock:
            for obj in payload.get("objects") or []:
                if not isinstance(obj, dict) or not isinstance(obj.get("metadata"), dict):
                    raise bad_request("each object needs apiVersion, kind and metadata")
                api_version, kind_name = obj.get("apiVersion", ""), obj.get("kind", "")
                group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
                kind = next((k for k in self.kinds.values() if k.group == group and k.kind == kind_name), None)
                if kind is None:
                    raise bad_request(
                        f"unknown kind {api_version}/{kind_name}; seed custom resources with server-side apply")
                gp = (kind.group, kind.plural)
                o = copy.deepcopy(obj)
                if kind.namespaced:
                    ns = o["metadata"].get("namespace") or "default"
                    o["metadata"]["namespace"] = ns
                    self._ensure_namespace(ns)
                annotations = o["metadata"].get("annotations") or {}
                if gp == PODS and MIRROR_ANNOTATION in annotations:
                    node_name = (o.get("spec") or {}).get("nodeName")
                    if not node_name:
                        raise bad_request(f"static pod {o['metadata'].get('name')} needs spec.nodeName")
                    self.add_static_pod(node_name, None, o)
                    created.append({"kind": "StaticPod", "node": node_name, "name": o["metadata"]["name"]})
                    continue
                if gp == PODS:
                    self._init_pod(o)
                stored = self._insert(gp, o, manager="strata-sandbox-seed")
                created.append({"kind": kind.kind, "namespace": stored["metadata"].get("namespace"),
                                "name": stored["metadata"]["name"], "uid": stored["metadata"]["uid"]})
            for entry in payload.get("static_pods") or []:
                manifest = copy.deepcopy(entry.get("pod") or {})
                if not manifest.get("metadata", {}).get("name"):
                    raise bad_request("static_pods[].pod.metadata.name is required")
                self.add_static_pod(entry.get("node"), entry.get("nodegroup"), manifest)
                created.append({"kind": "StaticPod", "node": entry.get("node"), "nodegroup": entry.get("nodegroup"),
                                "name": manifest["metadata"]["name"]})
            self.reconcile()
        return created

    def summary(self) -> dict:
        with self.lock:
            return {
                "region": self.region, "name": self.name, "version": self.version,
                "controller_errors": list(self.controller_errors),
                "nodegroups": {
                    ng.name: {"desired": ng.desired, "version": ng.version, "ready": ng.ready,
                              "nodes": list(ng.nodes)} for ng in self.nodegroups.values()
                },
                "nodes": [
                    {"name": n["metadata"]["name"],
                     "nodegroup": (n["metadata"].get("labels") or {}).get(NODEGROUP_LABEL),
                     "kubelet_version": n["status"]["nodeInfo"]["kubeletVersion"], "ready": node_ready(n),
                     "unschedulable": bool(n["spec"].get("unschedulable")),
                     "annotations": dict(n["metadata"].get("annotations") or {})}
                    for n in self._all(NODES)
                ],
                "pods": [
                    {"namespace": p["metadata"]["namespace"], "name": p["metadata"]["name"],
                     "node": p["spec"].get("nodeName"), "phase": p["status"].get("phase"),
                     "ready": pod_ready(p), "owner_kind": owner_kind(p)}
                    for p in self._all(PODS)
                ],
            }

    def record_request(self, entry: dict) -> None:
        with self.lock:
            self.requests.append(entry)
