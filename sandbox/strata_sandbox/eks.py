"""Amazon EKS, served by the sandbox itself (moto's EKS has 17 of 64 operations and no
lifecycles; this replaces it entirely).

Wire format: REST-JSON as botocore's model describes it. Routes, URI and query parameters are
read from the model, so every EKS route is recognised; operations the sandbox does not model
answer ``UnknownOperationException`` rather than an HTML page.

Lifecycles run on the sandbox clock (see :mod:`strata_sandbox.scheduler`), in real-AWS seconds
scaled by ``--time-scale``: cluster CREATING -> ACTIVE ~9 min, version update ~20 min, node
group CREATING -> ACTIVE ~3 min, and so on (``DURATIONS``, served by
``GET /_sandbox/eks/durations``). Node-group transitions are mirrored into the Kubernetes
registry (nodes appear, become Ready, carry the group version).

``UpdateNodegroupVersion`` is EKS's managed rolling update, modelled per batch of nodes in
:mod:`strata_sandbox.eks_rolling_update`: surge nodes at the target, every old node cordoned,
drained through the Eviction API's rules and terminated, ``PodEvictionFailure`` after EKS's 15
minutes unless ``force``. ``DURATIONS["nodegroup.version"]`` is that update's total for the
default group (2 nodes, ``maxUnavailable`` 1) with nothing blocking; the
``nodegroup.version.*`` entries are its phases.
``DeleteNodegroup`` drains as EKS does when it scales the group to zero: every node cordoned
and drained through the Eviction API's rules (evictions and refusals in the cluster's
observations), each instance terminated once its node is drained, or after
``nodegroup.delete.drain_limit`` (EKS's 5 minutes) with what is left on it (lost pods, PDB
violations with cause ``nodegroup-deleted``); the group is gone after ``nodegroup.delete`` or
when its last node is, whichever is later.
Each node of a managed node group holds one IP of the group's subnets (spread over them in turn)
while it runs: moto's ``AvailableIpAddressCount`` falls and comes back with the node.
Node-group faults set through the Kubernetes registry's ``faults`` control route make a
created group's nodes never turn Ready (CREATING, then CREATE_FAILED ``NodeCreationFailure``
after ``nodegroup.join_timeout``) or its creation fail (CREATE_FAILED
``AsgInstanceLaunchFailures`` after ``nodegroup.create_fails``).
"""

from __future__ import annotations

import base64
import copy
import datetime as _dt
import json
import re
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Optional
from urllib.parse import unquote

import botocore.session

from strata_sandbox import catalog
from strata_sandbox.eks_rolling_update import RollingUpdate

# Real-AWS durations, in seconds, before scaling.
DURATIONS = {
    "cluster.create": 540,
    "cluster.delete": 240,
    "cluster.version": 1200,
    "cluster.config": 180,
    "cluster.encryption": 180,
    "nodegroup.create": 180,
    # A create whose instances fail to launch (a ``create_fails`` fault) is CREATE_FAILED this soon;
    # one whose nodes never turn Ready (``never_ready``) after EKS has waited this long for them.
    "nodegroup.create_fails": 30,
    "nodegroup.join_timeout": 1200,
    "nodegroup.delete": 150,
    # How long EKS lets a deleted group's node drain before its instance is terminated anyway.
    "nodegroup.delete.drain_limit": 300,
    # EKS's managed rolling update of the default group (2 nodes, maxUnavailable 1) when nothing
    # blocks, and its phases (see strata_sandbox.eks_rolling_update): setup + launch + 2 x node.
    "nodegroup.version": 480,
    "nodegroup.version.setup": 60,
    "nodegroup.version.launch": 120,
    "nodegroup.version.node": 150,
    "nodegroup.version.eviction_retry": 5,
    "nodegroup.version.eviction_timeout": 900,
    "nodegroup.config": 60,
    "addon.create": 60,
    "addon.update": 60,
    "addon.delete": 30,
}

CLUSTER_ACCESS_POLICIES = [
    "AmazonEKSAdminPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSViewPolicy",
    "AmazonEKSAutoNodePolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSComputePolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingPolicy",
]
ACCESS_POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"
AUTH_MODES = ["CONFIG_MAP", "API_AND_CONFIG_MAP", "API"]
LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
NAME_RE = re.compile(r"^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$")
ROLE_ARN_RE = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+")


class EksError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, **fields: Any):
        super().__init__(message)
        self.code, self.message, self.status, self.fields = code, message, status, fields


def not_found(message: str, **fields: Any) -> EksError:
    return EksError("ResourceNotFoundException", message, 404, **fields)


def invalid(message: str, **fields: Any) -> EksError:
    return EksError("InvalidParameterException", message, 400, **fields)


def in_use(message: str, **fields: Any) -> EksError:
    return EksError("ResourceInUseException", message, 409, **fields)


def bad_request(message: str, **fields: Any) -> EksError:
    return EksError("InvalidRequestException", message, 400, **fields)


# ------------------------------------------------------------------ routing from botocore's model


@dataclass
class Route:
    operation: str
    method: str
    segments: list[str]  # literal or "{name}" / "{name+}"
    uri_params: dict[str, str]  # locationName -> member
    query_params: dict[str, tuple[str, bool]]  # locationName -> (member, is_list)
    body_members: list[str]
    required: list[str]
    status: int


def _load_routes() -> list[Route]:
    model = botocore.session.get_session().get_service_model("eks")
    routes = []
    for name in model.operation_names:
        op = model.operation_model(name)
        uri = op.http["requestUri"].split("?")[0]
        segs = [s for s in uri.split("/") if s]
        uri_params, query_params, body = {}, {}, []
        required: list[str] = []
        if op.input_shape is not None:
            required = list(op.input_shape.required_members)
            for member, shape in op.input_shape.members.items():
                loc = shape.serialization.get("location")
                loc_name = shape.serialization.get("name", member)
                if loc == "uri":
                    uri_params[loc_name] = member
                elif loc == "querystring":
                    query_params[loc_name] = (member, shape.type_name == "list")
                elif loc is None:
                    body.append(member)
        routes.append(
            Route(name, op.http["method"], segs, uri_params, query_params, body, required,
                  op.http.get("responseCode", 200))
        )
    # Literal segments before parameters: /clusters/{name}/updates beats /clusters/{name}/{x}.
    routes.sort(key=lambda r: (-len(r.segments), sum(s.startswith("{") for s in r.segments)))
    return routes


ROUTES = _load_routes()


def match_route(method: str, raw_path: str) -> Optional[tuple[Route, dict[str, str]]]:
    segs = [s for s in raw_path.split("?")[0].split("/") if s]
    for route in ROUTES:
        if route.method != method:
            continue
        if route.segments[-1:] == ["{resourceArn}"] and len(segs) > len(route.segments) and \
                segs[: len(route.segments) - 1] == route.segments[:-1]:
            # An ARN sent with its '/' unencoded: take the rest of the path.
            return route, {"resourceArn": unquote("/".join(segs[len(route.segments) - 1:]))}
        if len(route.segments) != len(segs):
            continue
        values: dict[str, str] = {}
        for pattern, seg in zip(route.segments, segs, strict=True):
            if pattern.startswith("{"):
                values[pattern.strip("{}+")] = unquote(seg)
            elif pattern != seg:
                break
        else:
            return route, values
    return None


def operation_name(method: str, path: str) -> Optional[str]:
    found = match_route(method, path)
    return found[0].operation if found else None


# ------------------------------------------------------------------ state


def _ts(t: float) -> float:
    return round(t, 3)


@dataclass
class Update:
    id: str
    type: str
    params: list[dict]
    created: float
    status: str = "InProgress"
    errors: list = field(default_factory=list)
    cluster: str = ""
    nodegroup: Optional[str] = None
    addon: Optional[str] = None
    token: Optional[str] = None

    def view(self) -> dict:
        return {"id": self.id, "status": self.status, "type": self.type, "params": self.params,
                "createdAt": _ts(self.created), "errors": self.errors}


@dataclass
class RegionState:
    clusters: dict[str, dict] = field(default_factory=dict)
    nodegroups: dict[tuple[str, str], dict] = field(default_factory=dict)
    addons: dict[tuple[str, str], dict] = field(default_factory=dict)
    updates: dict[str, Update] = field(default_factory=dict)
    access: dict[tuple[str, str], dict] = field(default_factory=dict)
    pods: dict[str, dict] = field(default_factory=dict)
    tokens: dict[tuple, tuple[str, Any]] = field(default_factory=dict)


@dataclass
class Ctx:
    account: str
    region: str
    caller_arn: str


class EksService:
    """All of EKS's state for every account and region, and its operations."""

    def __init__(self, clock, scheduler, kube, ec2_backend: Callable[[str, str], Any]) -> None:
        self.clock = clock
        self.scheduler = scheduler
        self.kube = kube
        self.ec2_backend = ec2_backend
        self.states: dict[tuple[str, str], RegionState] = {}

    def reset(self) -> None:
        self.states = {}

    def state(self, ctx: Ctx) -> RegionState:
        return self.states.setdefault((ctx.account, ctx.region), RegionState())

    # -------------------------------------------------------------- dispatch

    def handle(self, method: str, raw_path: str, query: dict[str, list[str]], body: bytes, ctx: Ctx):
        found = match_route(method, raw_path)
        if found is None:
            raise EksError("UnknownOperationException", f"No EKS operation matches {method} {raw_path}.", 400)
        route, uri_values = found
        handler = getattr(self, "op_" + route.operation, None)
        if handler is None:
            raise EksError(
                "UnknownOperationException",
                f"The sandbox does not implement the EKS operation {route.operation}.",
                400,
            )
        params: dict[str, Any] = {}
        for loc_name, value in uri_values.items():
            params[route.uri_params.get(loc_name, loc_name)] = value
        if "name" in uri_values:
            # The cluster in the path is "name" for cluster operations and "clusterName" for the
            # rest; handlers may use either.
            params["name"] = params["clusterName"] = uri_values["name"]
        for loc_name, (member, is_list) in route.query_params.items():
            if loc_name in query:
                params[member] = query[loc_name] if is_list else query[loc_name][-1]
        if body.strip():
            try:
                doc = json.loads(body)
            except ValueError:
                raise EksError("BadRequestException", "The request body is not valid JSON.", 400) from None
            if not isinstance(doc, dict):
                raise EksError("BadRequestException", "The request body must be a JSON object.", 400)
            for k, v in doc.items():
                if k in route.body_members:
                    params[k] = v
        missing = [m for m in route.required if params.get(m) in (None, "")]
        if missing:
            raise invalid(f"Missing required parameter(s): {', '.join(missing)}.")
        result = handler(ctx, params)
        return route.status, result

    # -------------------------------------------------------------- helpers

    def _arn(self, ctx: Ctx, kind: str, *parts: str) -> str:
        return f"arn:aws:eks:{ctx.region}:{ctx.account}:{kind}/" + "/".join(parts)

    def _cluster(self, ctx: Ctx, name: str) -> dict:
        c = self.state(ctx).clusters.get(name)
        if c is None:
            raise not_found(f"No cluster found for name: {name}.", clusterName=name)
        return c

    def _active_cluster(self, ctx: Ctx, name: str) -> dict:
        c = self._cluster(ctx, name)
        if c["status"] != "ACTIVE":
            raise in_use(f"Cluster {name} is currently in status {c['status']}; it must be ACTIVE.", clusterName=name)
        return c

    def _nodegroup(self, ctx: Ctx, cluster: str, name: str) -> dict:
        self._cluster(ctx, cluster)
        ng = self.state(ctx).nodegroups.get((cluster, name))
        if ng is None:
            raise not_found(f"No node group found for name: {name}.", clusterName=cluster, nodegroupName=name)
        return ng

    def _addon(self, ctx: Ctx, cluster: str, name: str) -> dict:
        self._cluster(ctx, cluster)
        a = self.state(ctx).addons.get((cluster, name))
        if a is None:
            raise not_found(f"No addon: {name} found in cluster: {cluster}", clusterName=cluster, addonName=name)
        return a

    def _idempotent(self, ctx: Ctx, key: tuple, token: Optional[str], fingerprint: Any) -> Optional[Any]:
        """Replay of a create/update with the same clientRequestToken returns the first result;
        the same token with different parameters is refused."""
        if not token:
            return None
        seen = self.state(ctx).tokens.get(key + (token,))
        if seen is None:
            return None
        if seen[0] != json.dumps(fingerprint, sort_keys=True, default=str):
            raise invalid(f"The client request token {token} was already used with different parameters.")
        return seen[1]

    def _remember(self, ctx: Ctx, key: tuple, token: Optional[str], fingerprint: Any, result: Any) -> None:
        if token:
            self.state(ctx).tokens[key + (token,)] = (json.dumps(fingerprint, sort_keys=True, default=str), result)

    @classmethod
    def _page_of(cls, key: str, items: list, params: dict, **fields: Any) -> dict:
        """A List* answer: one page of `items` under `key` (after `fields`), and `nextToken` while more remain."""
        page, nxt = cls._paginate(items, params)
        out: dict = {**fields, key: page}
        if nxt:
            out["nextToken"] = nxt
        return out

    @staticmethod
    def _paginate(items: list, params: dict, default: int = 100, cap: int = 100) -> tuple[list, Optional[str]]:
        try:
            limit = int(params.get("maxResults") or default)
        except (TypeError, ValueError):
            raise invalid("maxResults must be an integer.") from None
        if limit < 1 or limit > cap:
            raise invalid(f"maxResults must be between 1 and {cap}.")
        start = 0
        token = params.get("nextToken")
        if token:
            try:
                start = int(base64.urlsafe_b64decode(token.encode()).decode())
            except Exception:
                raise invalid("The nextToken is not valid.") from None
        page = items[start : start + limit]
        nxt = None
        if start + limit < len(items):
            nxt = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
        return page, nxt

    def _tags(self, raw: Any) -> dict:
        if raw is None:
            return {}
        if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
            raise invalid("tags must be a map of strings to strings.")
        if len(raw) > 50:
            raise invalid("A resource can have at most 50 tags.")
        for k in raw:
            if k.lower().startswith("aws:"):
                raise invalid(f"Tag keys starting with 'aws:' are reserved: {k}")
        return dict(raw)

    def _new_update(self, ctx: Ctx, cluster: str, type_: str, params: list[dict], token: Optional[str],
                    nodegroup: Optional[str] = None, addon: Optional[str] = None) -> Update:
        u = Update(str(uuid.uuid4()), type_, params, self.clock.now(), cluster=cluster, nodegroup=nodegroup,
                   addon=addon, token=token)
        self.state(ctx).updates[u.id] = u
        return u

    def _subnets(self, ctx: Ctx, ids: Any) -> list:
        if not isinstance(ids, list) or not ids:
            raise invalid("At least one subnet is required.")
        ec2 = self.ec2_backend(ctx.account, ctx.region)
        subnets = []
        for sid in ids:
            try:
                subnets.append(ec2.get_subnet(sid))
            except Exception:
                raise invalid(
                    f"The subnet ID '{sid}' does not exist (Service: AmazonEC2; Status Code: 400; "
                    f"Error Code: InvalidSubnetID.NotFound)"
                ) from None
        return subnets

    # -------------------------------------------------------------- clusters

    def _cluster_view(self, c: dict) -> dict:
        view = {k: copy.deepcopy(v) for k, v in c.items() if not k.startswith("_")}
        if c["status"] == "CREATING":
            # Endpoint and CA are not known until the control plane is up.
            view.pop("endpoint", None)
            view.pop("certificateAuthority", None)
        return view

    def op_CreateCluster(self, ctx: Ctx, p: dict) -> dict:
        name = p["name"]
        token = p.get("clientRequestToken")
        fingerprint = {k: v for k, v in p.items() if k != "clientRequestToken"}
        replay = self._idempotent(ctx, ("cluster",), token, fingerprint)
        if replay is not None and name in self.state(ctx).clusters:
            return {"cluster": self._cluster_view(self.state(ctx).clusters[name])}
        if not NAME_RE.match(name):
            raise invalid(f"The cluster name {name} is invalid: it must match [0-9A-Za-z][A-Za-z0-9-_]* (1-100).")
        if name in self.state(ctx).clusters:
            raise in_use(f"Cluster already exists with name: {name}", clusterName=name)
        role = p.get("roleArn", "")
        if not ROLE_ARN_RE.match(role):
            raise invalid(f"The role ARN {role} is not a valid IAM role ARN.")
        version = p.get("version") or catalog.DEFAULT_VERSION
        if version not in catalog.KUBERNETES_VERSIONS:
            raise invalid(f"unsupported Kubernetes version {version}", clusterName=name)
        vpc_cfg = p.get("resourcesVpcConfig") or {}
        subnets = self._subnets(ctx, vpc_cfg.get("subnetIds"))
        vpcs = {s.vpc_id for s in subnets}
        if len(vpcs) != 1:
            raise invalid("Subnets specified must belong to the same VPC.", clusterName=name)
        zones = {s.availability_zone for s in subnets}
        if len(zones) < 2:
            raise invalid(
                "Subnets specified must be in at least two different AZs", clusterName=name
            )
        vpc_id = vpcs.pop()
        ec2 = self.ec2_backend(ctx.account, ctx.region)
        for sg in vpc_cfg.get("securityGroupIds") or []:
            if ec2.get_security_group_from_id(sg) is None:
                raise invalid(f"The security group '{sg}' does not exist", clusterName=name)
        access = p.get("accessConfig") or {}
        mode = access.get("authenticationMode", "CONFIG_MAP")
        if mode not in AUTH_MODES:
            raise invalid(f"authenticationMode must be one of {AUTH_MODES}.")
        bootstrap = access.get("bootstrapClusterCreatorAdminPermissions", True)
        tags = self._tags(p.get("tags"))
        knc = p.get("kubernetesNetworkConfig") or {}
        encryption = self._encryption_config(p["encryptionConfig"]) if p.get("encryptionConfig") else None
        logging_in = (p.get("logging") or {}).get("clusterLogging") or []
        enabled_logs = sorted({t for entry in logging_in if entry.get("enabled") for t in entry.get("types", [])})

        try:
            handle = self.kube.create_cluster(ctx.region, name, version)
        except ValueError:
            # The Kubernetes registry keys clusters by region and name, across accounts.
            raise in_use(f"Cluster already exists with name: {name} (in another sandbox account)",
                         clusterName=name) from None
        sg = ec2.create_security_group(
            name=f"eks-cluster-sg-{name}-{secrets.randbelow(10**10):010d}",
            description="EKS created security group applied to ENI that is attached to EKS Control Plane "
            "master nodes, as well as any managed workloads.",
            vpc_id=vpc_id,
            tags={"aws:eks:cluster-name": name, f"kubernetes.io/cluster/{name}": "owned",
                  "Name": f"eks-cluster-sg-{name}"},
        )
        now = self.clock.now()
        cluster = {
            "name": name,
            "arn": self._arn(ctx, "cluster", name),
            "createdAt": _ts(now),
            "version": version,
            "endpoint": handle.endpoint,
            "roleArn": role,
            "resourcesVpcConfig": {
                "subnetIds": list(vpc_cfg["subnetIds"]),
                "securityGroupIds": list(vpc_cfg.get("securityGroupIds") or []),
                "clusterSecurityGroupId": sg.id,
                "vpcId": vpc_id,
                "endpointPublicAccess": vpc_cfg.get("endpointPublicAccess", True),
                "endpointPrivateAccess": vpc_cfg.get("endpointPrivateAccess", False),
                "publicAccessCidrs": list(vpc_cfg.get("publicAccessCidrs") or ["0.0.0.0/0"]),
            },
            "kubernetesNetworkConfig": {
                "serviceIpv4Cidr": knc.get("serviceIpv4Cidr", "172.20.0.0/16"),
                "ipFamily": knc.get("ipFamily", "ipv4"),
                "elasticLoadBalancing": {"enabled": bool((knc.get("elasticLoadBalancing") or {}).get("enabled",
                                                                                                     False))},
            },
            "logging": self._logging_view(enabled_logs),
            "identity": {"oidc": {"issuer": handle.oidc_issuer}},
            "status": "CREATING",
            "certificateAuthority": {"data": base64.b64encode(handle.ca_pem).decode()},
            "clientRequestToken": token,
            "platformVersion": catalog.PLATFORM[version],
            "tags": tags,
            "health": {"issues": []},
            "accessConfig": {"bootstrapClusterCreatorAdminPermissions": bootstrap, "authenticationMode": mode},
            "upgradePolicy": {"supportType": (p.get("upgradePolicy") or {}).get("supportType", "EXTENDED")},
            "_sg": sg.id,
        }
        if not token:
            cluster.pop("clientRequestToken")
        if encryption:
            cluster["encryptionConfig"] = encryption
        if p.get("zonalShiftConfig") is not None:
            cluster["zonalShiftConfig"] = {"enabled": bool(p["zonalShiftConfig"].get("enabled", False))}
        if p.get("deletionProtection") is not None:
            cluster["deletionProtection"] = bool(p["deletionProtection"])
        self.state(ctx).clusters[name] = cluster
        if bootstrap and mode != "CONFIG_MAP":
            principal = self._principal(ctx.caller_arn)
            entry = self._make_access_entry(ctx, name, principal, [], None, "STANDARD", {})
            entry["_policies"][ACCESS_POLICY_PREFIX + "AmazonEKSClusterAdminPolicy"] = {
                "policyArn": ACCESS_POLICY_PREFIX + "AmazonEKSClusterAdminPolicy",
                "accessScope": {"type": "cluster", "namespaces": []},
                "associatedAt": _ts(now),
                "modifiedAt": _ts(now),
            }
        self._remember(ctx, ("cluster",), token, fingerprint, name)

        def activate() -> None:
            c = self.state(ctx).clusters.get(name)
            if c is not None and c["status"] == "CREATING" and c is cluster:
                c["status"] = "ACTIVE"

        self.scheduler.after(DURATIONS["cluster.create"], activate)
        return {"cluster": self._cluster_view(cluster)}

    @staticmethod
    def _logging_view(enabled: list[str]) -> dict:
        disabled = [t for t in LOG_TYPES if t not in enabled]
        out = []
        if enabled:
            out.append({"types": enabled, "enabled": True})
        if disabled:
            out.append({"types": disabled, "enabled": False})
        return {"clusterLogging": out}

    @staticmethod
    def _principal(caller_arn: str) -> str:
        m = re.match(r"arn:aws:sts::(\d{12}):assumed-role/([^/]+)/.*", caller_arn)
        if m:
            return f"arn:aws:iam::{m.group(1)}:role/{m.group(2)}"
        return caller_arn

    @staticmethod
    def _encryption_config(raw: Any) -> list[dict]:
        """EncryptionConfigList as AWS keeps it: one entry, resources ["secrets"], a KMS key ARN."""
        if not isinstance(raw, list) or len(raw) != 1 or not isinstance(raw[0], dict):
            raise invalid("Only one encryptionConfig entry is supported.")
        entry = raw[0]
        resources = entry.get("resources") or []
        if resources != ["secrets"]:
            raise invalid(f"Invalid resources {resources} in encryptionConfig; only 'secrets' is supported.")
        key = (entry.get("provider") or {}).get("keyArn") or ""
        if not re.match(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/.+", key):
            raise invalid(f"Invalid keyArn in encryptionConfig provider: '{key}'.")
        return [{"resources": ["secrets"], "provider": {"keyArn": key}}]

    def op_AssociateEncryptionConfig(self, ctx: Ctx, p: dict) -> dict:
        name = p["clusterName"]
        token = p.get("clientRequestToken")
        fingerprint = {"encryptionConfig": p["encryptionConfig"]}
        replay = self._idempotent(ctx, ("cluster-update", name), token, fingerprint)
        if replay is not None:
            return {"update": self.state(ctx).updates[replay].view()}
        c = self._cluster(ctx, name)
        if c.get("encryptionConfig"):
            # What AWS answers (seen by Terraform and Crossplane users): InvalidParameterException.
            raise invalid("Encryption is already enabled on the cluster", clusterName=name)
        encryption = self._encryption_config(p["encryptionConfig"])
        if c["status"] != "ACTIVE":
            raise in_use(f"Cluster {name} is currently {c['status']}; an update is already in progress.",
                         clusterName=name)
        update = self._new_update(ctx, name, "AssociateEncryptionConfig",
                                  [{"type": "EncryptionConfig", "value": json.dumps(encryption)}], token)
        c["status"] = "UPDATING"
        self._remember(ctx, ("cluster-update", name), token, fingerprint, update.id)

        def done() -> None:
            if self.state(ctx).clusters.get(name) is not c:
                return
            c["encryptionConfig"], c["status"] = encryption, "ACTIVE"
            update.status = "Successful"

        self.scheduler.after(DURATIONS["cluster.encryption"], done)
        return {"update": update.view()}

    def op_DescribeCluster(self, ctx: Ctx, p: dict) -> dict:
        return {"cluster": self._cluster_view(self._cluster(ctx, p["name"]))}

    def op_ListClusters(self, ctx: Ctx, p: dict) -> dict:
        names = sorted(self.state(ctx).clusters)
        return self._page_of("clusters", names, p)

    def op_DeleteCluster(self, ctx: Ctx, p: dict) -> dict:
        name = p["name"]
        c = self._cluster(ctx, name)
        st = self.state(ctx)
        if any(k[0] == name for k in st.nodegroups):
            raise in_use("Cluster has nodegroups attached", clusterName=name)
        if c["status"] == "DELETING":
            return {"cluster": self._cluster_view(c)}
        if c["status"] != "ACTIVE" and c["status"] != "FAILED":
            raise in_use(f"Cluster {name} is currently {c['status']} and cannot be deleted.", clusterName=name)
        c["status"] = "DELETING"

        def gone() -> None:
            if st.clusters.get(name) is not c:
                return
            del st.clusters[name]
            for key in [k for k in st.addons if k[0] == name]:
                del st.addons[key]
            for key in [k for k in st.access if k[0] == name]:
                del st.access[key]
            for pid in [i for i, a in st.pods.items() if a["clusterName"] == name]:
                del st.pods[pid]
            for uid in [i for i, u in st.updates.items() if u.cluster == name]:
                del st.updates[uid]
            try:
                self.ec2_backend(ctx.account, ctx.region).delete_security_group(group_id=c["_sg"])
            except Exception:
                pass  # already removed by the user: AWS tolerates that too
            self.kube.delete_cluster(ctx.region, name)

        self.scheduler.after(DURATIONS["cluster.delete"], gone)
        return {"cluster": self._cluster_view(c)}

    def op_UpdateClusterVersion(self, ctx: Ctx, p: dict) -> dict:
        name, target = p["name"], p["version"]
        token = p.get("clientRequestToken")
        fingerprint = {"version": target, "force": p.get("force", False)}
        replay = self._idempotent(ctx, ("cluster-update", name), token, fingerprint)
        if replay is not None:
            return {"update": self.state(ctx).updates[replay].view()}
        c = self._cluster(ctx, name)
        current = c["version"]
        if target not in catalog.KUBERNETES_VERSIONS:
            raise invalid(f"unsupported Kubernetes version {target}", clusterName=name)
        if catalog.next_minor(current) != target:
            raise invalid(
                f"Unsupported Kubernetes minor version update from {current} to {target}", clusterName=name
            )
        if c["status"] != "ACTIVE":
            raise in_use(f"Cluster {name} is currently {c['status']}; an update is already in progress.",
                         clusterName=name)
        behind = sorted(ng["nodegroupName"] for (cl, _), ng in self.state(ctx).nodegroups.items()
                        if cl == name and ng["version"] != current)
        if behind:
            raise bad_request(
                f"Nodegroups {behind} must be updated to match cluster version {current} "
                f"before updating cluster version",
                clusterName=name,
            )
        platform = catalog.PLATFORM[target]
        update = self._new_update(
            ctx, name, "VersionUpdate",
            [{"type": "Version", "value": target}, {"type": "PlatformVersion", "value": platform}], token,
        )
        c["status"] = "UPDATING"
        self._remember(ctx, ("cluster-update", name), token, fingerprint, update.id)

        def done() -> None:
            if self.state(ctx).clusters.get(name) is not c:
                return
            c["version"], c["platformVersion"], c["status"] = target, platform, "ACTIVE"
            self.kube.set_cluster_version(ctx.region, name, target)
            update.status = "Successful"

        self.scheduler.after(DURATIONS["cluster.version"], done)
        return {"update": update.view()}

    def op_UpdateClusterConfig(self, ctx: Ctx, p: dict) -> dict:
        name = p["name"]
        token = p.get("clientRequestToken")
        fingerprint = {k: v for k, v in p.items() if k not in ("clientRequestToken", "name")}
        replay = self._idempotent(ctx, ("cluster-update", name), token, fingerprint)
        if replay is not None:
            return {"update": self.state(ctx).updates[replay].view()}
        c = self._cluster(ctx, name)
        if c["status"] != "ACTIVE":
            raise in_use(f"Cluster {name} is currently {c['status']}; an update is already in progress.",
                         clusterName=name)
        changes: list[Callable[[], None]] = []
        params: list[dict] = []
        kinds: list[str] = []
        vpc = p.get("resourcesVpcConfig")
        if vpc:
            cur = c["resourcesVpcConfig"]
            for key, ptype in (("endpointPublicAccess", "EndpointPublicAccess"),
                               ("endpointPrivateAccess", "EndpointPrivateAccess"),
                               ("publicAccessCidrs", "PublicAccessCidrs")):
                if key in vpc and vpc[key] != cur.get(key):
                    params.append({"type": ptype, "value": json.dumps(vpc[key]) if isinstance(vpc[key], list)
                                   else str(vpc[key]).lower()})
                    changes.append(lambda k=key, v=vpc[key]: cur.__setitem__(k, v))
            if "securityGroupIds" in vpc or "subnetIds" in vpc:
                if "subnetIds" in vpc:
                    subnets = self._subnets(ctx, vpc["subnetIds"])
                    if {s.vpc_id for s in subnets} != {cur["vpcId"]}:
                        raise invalid("Subnets must belong to the cluster's VPC.", clusterName=name)
                    params.append({"type": "Subnets", "value": json.dumps(vpc["subnetIds"])})
                    changes.append(lambda v=list(vpc["subnetIds"]): cur.__setitem__("subnetIds", v))
                if "securityGroupIds" in vpc:
                    params.append({"type": "SecurityGroups", "value": json.dumps(vpc["securityGroupIds"])})
                    changes.append(lambda v=list(vpc["securityGroupIds"]): cur.__setitem__("securityGroupIds", v))
            if params:
                kinds.append("VpcConfigUpdate" if any(x["type"] in ("Subnets", "SecurityGroups") for x in params)
                             else "EndpointAccessUpdate")
        logging_in = (p.get("logging") or {}).get("clusterLogging")
        if logging_in is not None:
            enabled = {t for e in c["logging"]["clusterLogging"] if e["enabled"] for t in e["types"]}
            new = set(enabled)
            for entry in logging_in:
                for t in entry.get("types", []):
                    if t not in LOG_TYPES:
                        raise invalid(f"Unknown log type {t}; expected one of {LOG_TYPES}.")
                    (new.add if entry.get("enabled") else new.discard)(t)
            if new != enabled:
                kinds.append("LoggingUpdate")
                view = self._logging_view(sorted(new))
                params.append({"type": "ClusterLogging", "value": json.dumps(view)})
                changes.append(lambda view=view: c.__setitem__("logging", view))
        access = p.get("accessConfig")
        if access and access.get("authenticationMode"):
            mode, cur_mode = access["authenticationMode"], c["accessConfig"]["authenticationMode"]
            if mode not in AUTH_MODES:
                raise invalid(f"authenticationMode must be one of {AUTH_MODES}.")
            if AUTH_MODES.index(mode) < AUTH_MODES.index(cur_mode):
                raise invalid(f"Unsupported authentication mode update from {cur_mode} to {mode}", clusterName=name)
            if mode != cur_mode:
                kinds.append("AccessConfigUpdate")
                params.append({"type": "AuthenticationMode", "value": mode})
                changes.append(lambda m=mode: c["accessConfig"].__setitem__("authenticationMode", m))
        upgrade = p.get("upgradePolicy")
        if upgrade and upgrade.get("supportType"):
            if upgrade["supportType"] not in ("STANDARD", "EXTENDED"):
                raise invalid("supportType must be STANDARD or EXTENDED.")
            if upgrade["supportType"] != c["upgradePolicy"]["supportType"]:
                kinds.append("UpgradePolicyUpdate")
                params.append({"type": "UpgradePolicySupportType", "value": upgrade["supportType"]})
                changes.append(lambda s=upgrade["supportType"]: c["upgradePolicy"].__setitem__("supportType", s))
        zonal = p.get("zonalShiftConfig")
        if zonal and "enabled" in zonal:
            enabled = bool(zonal["enabled"])
            if enabled != (c.get("zonalShiftConfig") or {}).get("enabled", False):
                kinds.append("ZonalShiftConfigUpdate")
                params.append({"type": "ZonalShiftConfig", "value": json.dumps({"enabled": enabled})})
                changes.append(lambda e=enabled: c.__setitem__("zonalShiftConfig", {"enabled": e}))
        if not changes:
            raise invalid("No changes needed for the cluster configuration provided", clusterName=name)
        if len(set(kinds)) > 1:
            raise invalid("Only one type of update can be requested at a time.", clusterName=name)
        update = self._new_update(ctx, name, kinds[0], params, token)
        c["status"] = "UPDATING"
        self._remember(ctx, ("cluster-update", name), token, fingerprint, update.id)

        def done() -> None:
            if self.state(ctx).clusters.get(name) is not c:
                return
            for change in changes:
                change()
            c["status"] = "ACTIVE"
            update.status = "Successful"

        self.scheduler.after(DURATIONS["cluster.config"], done)
        return {"update": update.view()}

    def op_DescribeClusterVersions(self, ctx: Ctx, p: dict) -> dict:
        today = _dt.date.fromisoformat(catalog.CATALOG_DATE)
        wanted = p.get("clusterVersions") or []
        out = []
        for v in catalog.KUBERNETES_VERSIONS:
            release, end_std, end_ext = (_dt.date.fromisoformat(x) for x in catalog.RELEASE[v])
            if today < end_std:
                vstatus, status = "STANDARD_SUPPORT", "standard-support"
            elif today < end_ext:
                vstatus, status = "EXTENDED_SUPPORT", "extended-support"
            else:
                vstatus, status = "UNSUPPORTED", "unsupported"
            if wanted and v not in wanted:
                continue
            if p.get("defaultOnly") in (True, "true") and v != catalog.DEFAULT_VERSION:
                continue
            if p.get("versionStatus") and p["versionStatus"] != vstatus:
                continue
            if p.get("status") and p["status"] != status:
                continue
            if vstatus == "UNSUPPORTED" and p.get("includeAll") not in (True, "true"):
                continue

            def epoch(d: _dt.date) -> float:
                return _dt.datetime(d.year, d.month, d.day, tzinfo=_dt.timezone.utc).timestamp()

            out.append({
                "clusterVersion": v, "clusterType": "eks", "defaultPlatformVersion": catalog.PLATFORM[v],
                "defaultVersion": v == catalog.DEFAULT_VERSION, "releaseDate": epoch(release),
                "endOfStandardSupportDate": epoch(end_std), "endOfExtendedSupportDate": epoch(end_ext),
                "status": status, "versionStatus": vstatus, "kubernetesPatchVersion": catalog.PATCH[v],
            })
        out.reverse()
        return self._page_of("clusterVersions", out, p)

    # -------------------------------------------------------------- updates

    def op_ListUpdates(self, ctx: Ctx, p: dict) -> dict:
        name = p["name"]
        self._cluster(ctx, name)
        ng, addon = p.get("nodegroupName"), p.get("addonName")
        if ng:
            self._nodegroup(ctx, name, ng)
        if addon:
            self._addon(ctx, name, addon)
        ids = [u.id for u in sorted(self.state(ctx).updates.values(), key=lambda u: u.created)
               if u.cluster == name and u.nodegroup == ng and u.addon == addon]
        return self._page_of("updateIds", ids, p)

    def op_DescribeUpdate(self, ctx: Ctx, p: dict) -> dict:
        name, uid = p["name"], p["updateId"]
        self._cluster(ctx, name)
        u = self.state(ctx).updates.get(uid)
        if u is None or u.cluster != name or u.nodegroup != p.get("nodegroupName") or u.addon != p.get("addonName"):
            raise not_found(f"No update found for ID: {uid}", clusterName=name)
        return {"update": u.view()}

    # -------------------------------------------------------------- node groups

    def _ng_view(self, ng: dict) -> dict:
        return {k: copy.deepcopy(v) for k, v in ng.items() if not k.startswith("_")}

    def _sync_nodes(self, ctx: Ctx, ng: dict, ready: bool) -> None:
        self.kube.upsert_nodegroup(
            ctx.region, ng["clusterName"], ng["nodegroupName"], int(ng["scalingConfig"]["desiredSize"]),
            ng["version"], ready, dict(ng.get("labels") or {}), copy.deepcopy(ng.get("taints") or []),
            list(ng.get("instanceTypes") or []),
        )
        self.charge_subnet_ips(ctx, ng)

    def charge_subnet_ips(self, ctx: Ctx, ng: dict, gone: bool = False) -> None:
        """Each node's instance holds one IP of a subnet of its group (spread over them in turn), so
        DescribeSubnets' AvailableIpAddressCount falls while the nodes run and comes back after."""
        nodes = 0 if gone else len(self.kube.get_cluster(ctx.region, ng["clusterName"]).state.nodegroup_nodes(
            ng["nodegroupName"]))
        subnets = sorted(ng["subnets"])
        wanted = {sid: nodes // len(subnets) + (1 if i < nodes % len(subnets) else 0) for i, sid in enumerate(subnets)}
        held = ng.setdefault("_subnet_ips", {})
        ec2 = self.ec2_backend(ctx.account, ctx.region)
        for sid, count in wanted.items():
            try:
                subnet = ec2.get_subnet(sid)
            except Exception:
                continue  # the subnet is gone: nothing left to give back
            subnet._available_ip_addresses -= count - held.get(sid, 0)
            held[sid] = count

    @staticmethod
    def _scaling(raw: Any, current: Optional[dict] = None) -> dict:
        cfg = dict(current or {"minSize": 1, "maxSize": 2, "desiredSize": 2})
        if raw:
            for k in ("minSize", "maxSize", "desiredSize"):
                if k in raw:
                    if not isinstance(raw[k], int) or raw[k] < 0:
                        raise invalid(f"{k} must be a non-negative integer.")
                    cfg[k] = raw[k]
        if cfg["maxSize"] < 1:
            raise invalid("Maximum capacity must be at least 1.")
        if not cfg["minSize"] <= cfg["desiredSize"] <= cfg["maxSize"]:
            raise invalid(
                f"Desired capacity:{cfg['desiredSize']} can't be greater than max size:{cfg['maxSize']}"
                if cfg["desiredSize"] > cfg["maxSize"]
                else f"Minimum capacity {cfg['minSize']} can't be greater than desired size {cfg['desiredSize']}"
            )
        return cfg

    @staticmethod
    def _taints(raw: Any) -> list[dict]:
        out = []
        for t in raw or []:
            if not isinstance(t, dict) or not t.get("key"):
                raise invalid("Each taint needs a key.")
            if t.get("effect") not in ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"):
                raise invalid(f"Taint effect {t.get('effect')} is invalid; "
                              "use NO_SCHEDULE, NO_EXECUTE or PREFER_NO_SCHEDULE.")
            out.append({k: t[k] for k in ("key", "value", "effect") if k in t})
        return out

    def _launch_template(self, ctx: Ctx, spec: Any) -> Optional[dict]:
        if not spec:
            return None
        ec2 = self.ec2_backend(ctx.account, ctx.region)
        try:
            if spec.get("id"):
                lt = ec2.get_launch_template(spec["id"])
            elif spec.get("name"):
                lt = ec2.get_launch_template_by_name(spec["name"])
            else:
                raise invalid("launchTemplate needs an id or a name.")
        except EksError:
            raise
        except Exception:
            raise invalid(f"Launch template {spec.get('id') or spec.get('name')} does not exist") from None
        version = str(spec.get("version") or lt.default_version_number)
        if version in ("$Latest", "$Default"):
            version = str(lt.latest_version_number if version == "$Latest" else lt.default_version_number)
        if not version.isdigit() or int(version) < 1 or int(version) > lt.latest_version_number:
            raise invalid(f"Launch template version {version} does not exist for {lt.id}")
        data = lt.get_version(int(version)).data if hasattr(lt, "get_version") else {}
        return {"name": lt.name, "version": version, "id": lt.id, "_image": bool((data or {}).get("ImageId"))}

    def op_CreateNodegroup(self, ctx: Ctx, p: dict) -> dict:
        cluster, name = p["clusterName"], p["nodegroupName"]
        token = p.get("clientRequestToken")
        fingerprint = {k: v for k, v in p.items() if k != "clientRequestToken"}
        replay = self._idempotent(ctx, ("nodegroup", cluster), token, fingerprint)
        if replay is not None and (cluster, name) in self.state(ctx).nodegroups:
            return {"nodegroup": self._ng_view(self.state(ctx).nodegroups[(cluster, name)])}
        c = self._cluster(ctx, cluster)
        if c["status"] not in ("ACTIVE", "UPDATING"):
            raise bad_request(f"Cluster '{cluster}' is not in ACTIVE status", clusterName=cluster)
        if not NAME_RE.match(name):
            raise invalid(f"The node group name {name} is invalid.")
        if (cluster, name) in self.state(ctx).nodegroups:
            raise in_use(f"NodeGroup already exists with name {name} and cluster name {cluster}",
                         clusterName=cluster, nodegroupName=name)
        role = p.get("nodeRole", "")
        if not ROLE_ARN_RE.match(role):
            raise invalid(f"The role ARN {role} is not a valid IAM role ARN.")
        version = p.get("version") or c["version"]
        if version != c["version"]:
            raise invalid(
                f"Requested Nodegroup version {version} is invalid; it must match cluster {cluster} "
                f"version {c['version']}",
                clusterName=cluster, nodegroupName=name,
            )
        subnets = self._subnets(ctx, p.get("subnets"))
        if {s.vpc_id for s in subnets} != {c["resourcesVpcConfig"]["vpcId"]}:
            raise invalid("Subnets are not in the cluster's VPC.", clusterName=cluster, nodegroupName=name)
        lt = self._launch_template(ctx, p.get("launchTemplate"))
        default_ami = "AL2023_x86_64_STANDARD" if catalog.minor_index(version) >= catalog.minor_index("1.30") \
            else "AL2_x86_64"
        ami_type = p.get("amiType") or ("CUSTOM" if lt and lt["_image"] else default_ami)
        if not catalog.ami_type_supported(ami_type, version):
            raise invalid(f"AMI type {ami_type} is not supported for Kubernetes version {version}",
                          clusterName=cluster, nodegroupName=name)
        if lt and lt["_image"] and ami_type != "CUSTOM":
            raise invalid("You cannot specify an AMI type when the launch template specifies an AMI.")
        release = None if ami_type == "CUSTOM" else catalog.node_release_version(ami_type, version)
        if p.get("releaseVersion") and p["releaseVersion"] != release:
            raise invalid(f"Requested release version {p['releaseVersion']} is not valid for kubernetes "
                          f"version {version}.", clusterName=cluster, nodegroupName=name)
        if lt and (p.get("instanceTypes") or p.get("diskSize") or p.get("remoteAccess")):
            if p.get("diskSize") or p.get("remoteAccess"):
                raise invalid("Disk size and remote access must be set in the launch template when one is used.")
        scaling = self._scaling(p.get("scalingConfig"))
        capacity = p.get("capacityType", "ON_DEMAND")
        if capacity not in ("ON_DEMAND", "SPOT", "CAPACITY_BLOCK"):
            raise invalid(f"capacityType {capacity} is invalid.")
        labels = p.get("labels") or {}
        if not isinstance(labels, dict):
            raise invalid("labels must be a map.")
        now = self.clock.now()
        uid = str(uuid.uuid4())
        ng = {
            "nodegroupName": name,
            "nodegroupArn": self._arn(ctx, "nodegroup", cluster, name, uid),
            "clusterName": cluster,
            "version": version,
            "createdAt": _ts(now),
            "modifiedAt": _ts(now),
            "status": "CREATING",
            "capacityType": capacity,
            "scalingConfig": scaling,
            "instanceTypes": list(p.get("instanceTypes") or (["t3.medium"] if not lt else [])),
            "subnets": list(p["subnets"]),
            "amiType": ami_type,
            "nodeRole": role,
            "labels": dict(labels),
            "taints": self._taints(p.get("taints")),
            "resources": {"autoScalingGroups": [{"name": f"eks-{name}-{uid}"}]},
            "health": {"issues": []},
            "updateConfig": p.get("updateConfig") or {"maxUnavailable": 1},
            "tags": self._tags(p.get("tags")),
        }
        if release:
            ng["releaseVersion"] = release
        # EKS keeps and reports the node auto repair setting it was given.
        if p.get("nodeRepairConfig") is not None:
            ng["nodeRepairConfig"] = {"enabled": bool(p["nodeRepairConfig"].get("enabled"))}
        if not lt:
            ng["diskSize"] = int(p.get("diskSize") or 20)
            if p.get("remoteAccess"):
                ng["remoteAccess"] = p["remoteAccess"]
        else:
            ng["launchTemplate"] = {k: lt[k] for k in ("name", "version", "id")}
        self.state(ctx).nodegroups[(cluster, name)] = ng
        self._remember(ctx, ("nodegroup", cluster), token, fingerprint, name)
        fault = self.kube.nodegroup_fault(ctx.region, cluster, name)
        if fault and fault.get("create_fails"):
            self._fail_creation(ctx, ng, fault["create_fails"])
            return {"nodegroup": self._ng_view(ng)}
        self._sync_nodes(ctx, ng, ready=False)
        if fault and fault.get("never_ready"):
            self._never_join(ctx, ng)
            return {"nodegroup": self._ng_view(ng)}

        def activate() -> None:
            if self.state(ctx).nodegroups.get((cluster, name)) is ng and ng["status"] == "CREATING":
                ng["status"] = "ACTIVE"
                ng["modifiedAt"] = _ts(self.clock.now())
                self._sync_nodes(ctx, ng, ready=True)

        self.scheduler.after(DURATIONS["nodegroup.create"], activate)
        return {"nodegroup": self._ng_view(ng)}

    def _fail_creation(self, ctx: Ctx, ng: dict, message: str) -> None:
        """A ``create_fails`` fault: no instance launches, and soon after EKS reports it."""
        def fail() -> None:
            if self.state(ctx).nodegroups.get((ng["clusterName"], ng["nodegroupName"])) is ng \
                    and ng["status"] == "CREATING":
                ng["status"], ng["modifiedAt"] = "CREATE_FAILED", _ts(self.clock.now())
                ng["health"] = {"issues": [{
                    "code": "AsgInstanceLaunchFailures", "message": message,
                    "resourceIds": [ng["resources"]["autoScalingGroups"][0]["name"]]}]}

        self.scheduler.after(DURATIONS["nodegroup.create_fails"], fail)

    def _never_join(self, ctx: Ctx, ng: dict) -> None:
        """A ``never_ready`` fault: the instances run and their nodes register but never turn Ready;
        EKS waits for them to join, then gives up as it does (NodeCreationFailure)."""
        def give_up() -> None:
            if self.state(ctx).nodegroups.get((ng["clusterName"], ng["nodegroupName"])) is ng \
                    and ng["status"] == "CREATING":
                ng["status"], ng["modifiedAt"] = "CREATE_FAILED", _ts(self.clock.now())
                ng["health"] = {"issues": [{
                    "code": "NodeCreationFailure", "message": "Instances failed to join the kubernetes cluster",
                    "resourceIds": self.kube.instance_ids(ctx.region, ng["clusterName"], ng["nodegroupName"])}]}

        self.scheduler.after(DURATIONS["nodegroup.join_timeout"], give_up)

    def op_DescribeNodegroup(self, ctx: Ctx, p: dict) -> dict:
        return {"nodegroup": self._ng_view(self._nodegroup(ctx, p["name"], p["nodegroupName"]))}

    def op_ListNodegroups(self, ctx: Ctx, p: dict) -> dict:
        name = p["name"]
        self._cluster(ctx, name)
        names = sorted(ng for (cl, ng) in self.state(ctx).nodegroups if cl == name)
        return self._page_of("nodegroups", names, p)

    def _ng_updatable(self, ng: dict) -> None:
        if ng["status"] != "ACTIVE":
            raise in_use(f"Nodegroup {ng['nodegroupName']} is currently {ng['status']}; it must be ACTIVE.",
                         clusterName=ng["clusterName"], nodegroupName=ng["nodegroupName"])

    def op_UpdateNodegroupConfig(self, ctx: Ctx, p: dict) -> dict:
        cluster, name = p["name"], p["nodegroupName"]
        token = p.get("clientRequestToken")
        fingerprint = {k: v for k, v in p.items() if k != "clientRequestToken"}
        replay = self._idempotent(ctx, ("ng-update", cluster, name), token, fingerprint)
        if replay is not None:
            return {"update": self.state(ctx).updates[replay].view()}
        ng = self._nodegroup(ctx, cluster, name)
        self._ng_updatable(ng)
        params: list[dict] = []
        new = copy.deepcopy({k: ng.get(k) for k in ("labels", "taints", "scalingConfig", "updateConfig")})
        if p.get("labels"):
            lab = p["labels"]
            adds, removes = lab.get("addOrUpdateLabels") or {}, lab.get("removeLabels") or []
            if set(adds) & set(removes):
                raise invalid("The same label key cannot be both added and removed.")
            new["labels"].update(adds)
            for k in removes:
                new["labels"].pop(k, None)
            if adds:
                params.append({"type": "LabelsToAdd", "value": json.dumps(adds)})
            if removes:
                params.append({"type": "LabelsToRemove", "value": json.dumps(removes)})
        if p.get("taints"):
            tt = p["taints"]
            adds = self._taints(tt.get("addOrUpdateTaints"))
            removes = self._taints(tt.get("removeTaints"))
            keep = [t for t in new["taints"] if not any(t["key"] == r["key"] and t["effect"] == r["effect"]
                                                       for r in removes + adds)]
            new["taints"] = keep + adds
            if adds:
                params.append({"type": "TaintsToAdd", "value": json.dumps(adds)})
            if removes:
                params.append({"type": "TaintsToRemove", "value": json.dumps(removes)})
        if p.get("scalingConfig"):
            new["scalingConfig"] = self._scaling(p["scalingConfig"], ng["scalingConfig"])
            for k in ("minSize", "maxSize", "desiredSize"):
                if k in p["scalingConfig"]:
                    params.append({"type": k[0].upper() + k[1:], "value": str(p["scalingConfig"][k])})
        if p.get("updateConfig"):
            new["updateConfig"] = p["updateConfig"]
            for k, v in p["updateConfig"].items():
                params.append({"type": k[0].upper() + k[1:], "value": str(v)})
        if p.get("nodeRepairConfig") is not None:
            new["nodeRepairConfig"] = {"enabled": bool(p["nodeRepairConfig"].get("enabled"))}
            params.append({"type": "NodeRepairEnabled", "value": str(new["nodeRepairConfig"]["enabled"]).lower()})
        if not params:
            raise invalid("No changes needed for the nodegroup configuration provided",
                          clusterName=cluster, nodegroupName=name)
        update = self._new_update(ctx, cluster, "ConfigUpdate", params, token, nodegroup=name)
        ng["status"] = "UPDATING"
        self._remember(ctx, ("ng-update", cluster, name), token, fingerprint, update.id)
        # Scaling shows in the Kubernetes API as it happens; new nodes are not Ready yet.
        ng.update(new)
        self._sync_nodes(ctx, ng, ready=False)

        def done() -> None:
            if self.state(ctx).nodegroups.get((cluster, name)) is not ng:
                return
            ng["status"], ng["modifiedAt"] = "ACTIVE", _ts(self.clock.now())
            update.status = "Successful"
            self._sync_nodes(ctx, ng, ready=True)

        self.scheduler.after(DURATIONS["nodegroup.config"], done)
        return {"update": update.view()}

    def op_UpdateNodegroupVersion(self, ctx: Ctx, p: dict) -> dict:
        cluster, name = p["name"], p["nodegroupName"]
        token = p.get("clientRequestToken")
        fingerprint = {k: v for k, v in p.items() if k != "clientRequestToken"}
        replay = self._idempotent(ctx, ("ng-update", cluster, name), token, fingerprint)
        if replay is not None:
            return {"update": self.state(ctx).updates[replay].view()}
        ng = self._nodegroup(ctx, cluster, name)
        c = self._cluster(ctx, cluster)
        self._ng_updatable(ng)
        target = p.get("version") or c["version"]
        if target != c["version"]:
            raise invalid(
                f"Requested Nodegroup version {target} is invalid; it must match cluster {cluster} version "
                f"{c['version']}", clusterName=cluster, nodegroupName=name,
            )
        lt = self._launch_template(ctx, p.get("launchTemplate")) if p.get("launchTemplate") else None
        if lt and ng.get("launchTemplate") and lt["id"] != ng["launchTemplate"]["id"]:
            raise invalid("You cannot change the launch template of a node group, only its version.")
        release = None if ng["amiType"] == "CUSTOM" else catalog.node_release_version(ng["amiType"], target)
        if ng["amiType"] != "CUSTOM" and not catalog.ami_type_supported(ng["amiType"], target):
            raise invalid(f"AMI type {ng['amiType']} is not supported for Kubernetes version {target}",
                          clusterName=cluster, nodegroupName=name)
        if p.get("releaseVersion") and p["releaseVersion"] != release:
            raise invalid(f"Requested release version {p['releaseVersion']} is not valid for kubernetes version "
                          f"{target}.", clusterName=cluster, nodegroupName=name)
        same_lt = not lt or (ng.get("launchTemplate") or {}).get("version") == lt["version"]
        if target == ng["version"] and release == ng.get("releaseVersion") and same_lt:
            raise invalid(f"Nodegroup {name} is already at version {target} and release {release}.",
                          clusterName=cluster, nodegroupName=name)
        params = [{"type": "Version", "value": target}]
        if release:
            params.append({"type": "ReleaseVersion", "value": release})
        if lt:
            params.append({"type": "LaunchTemplateVersion", "value": lt["version"]})
        if p.get("force"):
            params.append({"type": "Force", "value": "true"})
        update = self._new_update(ctx, cluster, "VersionUpdate", params, token, nodegroup=name)
        ng["status"] = "UPDATING"
        self._remember(ctx, ("ng-update", cluster, name), token, fingerprint, update.id)
        goal = {"version": target, "releaseVersion": release, "launchTemplateVersion": lt["version"] if lt else None}
        RollingUpdate(self, ctx, ng, update, goal, bool(p.get("force")), DURATIONS).start()
        return {"update": update.view()}

    def op_DeleteNodegroup(self, ctx: Ctx, p: dict) -> dict:
        cluster, name = p["name"], p["nodegroupName"]
        ng = self._nodegroup(ctx, cluster, name)
        if ng["status"] == "DELETING":
            return {"nodegroup": self._ng_view(ng)}
        ng["status"] = "DELETING"
        st = self.state(ctx)
        kube = self.kube.get_cluster(ctx.region, cluster).state
        ends = self.clock.now() + self.clock.scaled(DURATIONS["nodegroup.delete"])
        forced_at = self.clock.now() + self.clock.scaled(DURATIONS["nodegroup.delete.drain_limit"])
        # EKS scales the group to zero: every node is cordoned, and drained before its instance
        # goes, through the Eviction API's rules; a node not drained after the limit goes anyway.
        kube.cordon_nodes([n["name"] for n in kube.nodegroup_nodes(name)], {})

        def drain() -> None:
            if st.nodegroups.get((cluster, name)) is not ng:
                return
            forced = self.clock.now() >= forced_at
            for node in [n["name"] for n in kube.nodegroup_nodes(name)]:
                if not kube.drain_node(node) or forced:
                    kube.terminate_node(node, cause="nodegroup-deleted")
            self.charge_subnet_ips(ctx, ng)
            if kube.nodegroup_nodes(name):
                self.scheduler.after(DURATIONS["nodegroup.version.eviction_retry"], drain)
            else:
                self.scheduler.after(max(0.0, ends - self.clock.now()) / self.clock.time_scale, gone)

        def gone() -> None:
            if st.nodegroups.get((cluster, name)) is not ng:
                return
            del st.nodegroups[(cluster, name)]
            for uid in [i for i, u in st.updates.items() if u.cluster == cluster and u.nodegroup == name]:
                del st.updates[uid]
            self.kube.delete_nodegroup(ctx.region, cluster, name)
            self.charge_subnet_ips(ctx, ng, gone=True)

        drain()
        return {"nodegroup": self._ng_view(ng)}

    # -------------------------------------------------------------- add-ons

    def _addon_view(self, a: dict) -> dict:
        return {k: copy.deepcopy(v) for k, v in a.items() if not k.startswith("_")}

    def _check_addon_pod_identities(self, ctx: Ctx, cluster: str, namespace: str, raw: Any,
                                    owner: Optional[str]) -> list[dict]:
        """An add-on's podIdentityAssociations ({serviceAccount, roleArn} each): one per service
        account, and none may take a service account another association already has."""
        if raw is None:
            return []
        if not isinstance(raw, list):
            raise invalid("podIdentityAssociations must be a list.")
        wanted: list[dict] = []
        for entry in raw:
            if not isinstance(entry, dict) or not entry.get("serviceAccount") or not entry.get("roleArn"):
                raise invalid("Each podIdentityAssociations entry needs serviceAccount and roleArn.")
            if not ROLE_ARN_RE.match(entry["roleArn"]):
                raise invalid(f"The role ARN {entry['roleArn']} is not a valid IAM role ARN.")
            if any(w["serviceAccount"] == entry["serviceAccount"] for w in wanted):
                raise invalid(f"Duplicate service account {entry['serviceAccount']} in podIdentityAssociations.")
            wanted.append({"serviceAccount": entry["serviceAccount"], "roleArn": entry["roleArn"]})
        for a in self.state(ctx).pods.values():
            if a["clusterName"] == cluster and a["namespace"] == namespace and \
                    (owner is None or a.get("ownerArn") != owner) and \
                    any(w["serviceAccount"] == a["serviceAccount"] for w in wanted):
                raise in_use("Association already exists: "
                             f"{a['associationId']} for namespace {namespace} and service account "
                             f"{a['serviceAccount']}", clusterName=cluster)
        return wanted

    def _set_addon_pod_identities(self, ctx: Ctx, a: dict, wanted: list[dict]) -> None:
        """Make the add-on's own associations (ownerArn = the add-on) exactly ``wanted``: an entry
        for a service account it already has keeps its association and takes the new role."""
        pods = self.state(ctx).pods
        owned = {x["serviceAccount"]: x for x in pods.values() if x.get("ownerArn") == a["addonArn"]}
        now = _ts(self.clock.now())
        arns = []
        for w in wanted:
            x = owned.pop(w["serviceAccount"], None)
            if x is None:
                aid = "a-" + secrets.token_hex(9)[:17]
                x = {
                    "clusterName": a["clusterName"], "namespace": a["_namespace"],
                    "serviceAccount": w["serviceAccount"], "roleArn": w["roleArn"],
                    "associationArn": self._arn(ctx, "podidentityassociation", a["clusterName"], aid),
                    "associationId": aid, "tags": {}, "createdAt": now, "modifiedAt": now,
                    "ownerArn": a["addonArn"], "disableSessionTags": False,
                }
                pods[aid] = x
            elif x["roleArn"] != w["roleArn"]:
                x["roleArn"], x["modifiedAt"] = w["roleArn"], now
            arns.append(x["associationArn"])
        for x in owned.values():
            del pods[x["associationId"]]
        a["podIdentityAssociations"] = arns

    def op_CreateAddon(self, ctx: Ctx, p: dict) -> dict:
        cluster, name = p["clusterName"], p["addonName"]
        token = p.get("clientRequestToken")
        fingerprint = {k: v for k, v in p.items() if k != "clientRequestToken"}
        replay = self._idempotent(ctx, ("addon", cluster), token, fingerprint)
        if replay is not None and (cluster, name) in self.state(ctx).addons:
            return {"addon": self._addon_view(self.state(ctx).addons[(cluster, name)])}
        c = self._cluster(ctx, cluster)
        if c["status"] not in ("ACTIVE", "UPDATING"):
            raise bad_request(f"Cluster '{cluster}' is not in ACTIVE status", clusterName=cluster)
        if name not in catalog.ADDONS:
            raise invalid(f"Addon {name} specified is not supported", clusterName=cluster, addonName=name)
        if (cluster, name) in self.state(ctx).addons:
            raise in_use(f"Addon already exists with name: {name}", clusterName=cluster, addonName=name)
        if p.get("addonVersion"):
            av = catalog.addon_version(name, p["addonVersion"])
            if av is None or c["version"] not in av.kubernetes:
                raise invalid(f"Addon version specified {p['addonVersion']} is not supported for addon {name} "
                              f"and Kubernetes version {c['version']}", clusterName=cluster, addonName=name)
        else:
            av = catalog.default_addon_version(name, c["version"])
            if av is None:
                raise invalid(f"No version of {name} supports Kubernetes {c['version']}", addonName=name)
        self._check_config_values(p.get("configurationValues"))
        if p.get("serviceAccountRoleArn") and not ROLE_ARN_RE.match(p["serviceAccountRoleArn"]):
            raise invalid(f"The role ARN {p['serviceAccountRoleArn']} is not a valid IAM role ARN.")
        namespace = (p.get("namespaceConfig") or {}).get("namespace") or "kube-system"
        pod_identities = self._check_addon_pod_identities(ctx, cluster, namespace, p.get("podIdentityAssociations"),
                                                          None)
        meta = catalog.ADDONS[name]
        now = self.clock.now()
        a = {
            "addonName": name,
            "clusterName": cluster,
            "status": "CREATING",
            "addonVersion": av.version,
            "health": {"issues": []},
            "addonArn": self._arn(ctx, "addon", cluster, name, str(uuid.uuid4())),
            "createdAt": _ts(now),
            "modifiedAt": _ts(now),
            "tags": self._tags(p.get("tags")),
            "publisher": meta.publisher,
            "owner": meta.owner,
            "podIdentityAssociations": [],
            "_namespace": namespace,
        }
        if p.get("serviceAccountRoleArn"):
            a["serviceAccountRoleArn"] = p["serviceAccountRoleArn"]
        if p.get("configurationValues"):
            a["configurationValues"] = p["configurationValues"]
        if namespace != "kube-system":
            a["namespaceConfig"] = {"namespace": namespace}
        self._set_addon_pod_identities(ctx, a, pod_identities)
        self.state(ctx).addons[(cluster, name)] = a
        self._remember(ctx, ("addon", cluster), token, fingerprint, name)

        def activate() -> None:
            if self.state(ctx).addons.get((cluster, name)) is a and a["status"] == "CREATING":
                a["status"], a["modifiedAt"] = "ACTIVE", _ts(self.clock.now())

        self.scheduler.after(DURATIONS["addon.create"], activate)
        return {"addon": self._addon_view(a)}

    @staticmethod
    def _check_config_values(raw: Any) -> None:
        if raw in (None, ""):
            return
        try:
            doc = json.loads(raw)
        except (TypeError, ValueError):
            raise invalid("ConfigurationValue provided in request is not supported: not valid JSON") from None
        if not isinstance(doc, dict):
            raise invalid("ConfigurationValue provided in request is not supported: expected a JSON object")

    def op_DescribeAddon(self, ctx: Ctx, p: dict) -> dict:
        return {"addon": self._addon_view(self._addon(ctx, p["name"], p["addonName"]))}

    def op_ListAddons(self, ctx: Ctx, p: dict) -> dict:
        name = p["name"]
        self._cluster(ctx, name)
        names = sorted(a for (cl, a) in self.state(ctx).addons if cl == name)
        return self._page_of("addons", names, p)

    def op_UpdateAddon(self, ctx: Ctx, p: dict) -> dict:
        cluster, name = p["name"], p["addonName"]
        token = p.get("clientRequestToken")
        fingerprint = {k: v for k, v in p.items() if k != "clientRequestToken"}
        replay = self._idempotent(ctx, ("addon-update", cluster, name), token, fingerprint)
        if replay is not None:
            return {"update": self.state(ctx).updates[replay].view()}
        a = self._addon(ctx, cluster, name)
        c = self._cluster(ctx, cluster)
        if a["status"] not in ("ACTIVE", "DEGRADED"):
            raise in_use(f"Addon {name} is currently {a['status']}.", clusterName=cluster, addonName=name)
        params: list[dict] = []
        new_version = a["addonVersion"]
        if p.get("addonVersion") and p["addonVersion"] != a["addonVersion"]:
            target = catalog.addon_version(name, p["addonVersion"])
            current = catalog.addon_version(name, a["addonVersion"])
            if target is None or c["version"] not in target.kubernetes:
                raise invalid(f"Addon version specified {p['addonVersion']} is not supported for addon {name} "
                              f"and Kubernetes version {c['version']}", clusterName=cluster, addonName=name)
            step = catalog.minor_index(target.home) - catalog.minor_index(current.home)
            if catalog.addon_minor(target.version) < catalog.addon_minor(current.version) or (
                step < 0
            ):
                raise invalid(f"Updating addon {name} from {current.version} to {target.version} is a downgrade, "
                              f"which is not supported", clusterName=cluster, addonName=name)
            if step > 1:
                raise invalid(
                    f"Updating addon {name} from {current.version} to {target.version} skips a minor version: "
                    f"update one minor at a time (next: a version released for Kubernetes "
                    f"{catalog.next_minor(current.home)})",
                    clusterName=cluster, addonName=name,
                )
            new_version = target.version
            params.append({"type": "AddonVersion", "value": target.version})
        if p.get("resolveConflicts"):
            if p["resolveConflicts"] not in ("OVERWRITE", "NONE", "PRESERVE"):
                raise invalid("resolveConflicts must be OVERWRITE, NONE or PRESERVE.")
            params.append({"type": "ResolveConflicts", "value": p["resolveConflicts"]})
        changes: dict = {"addonVersion": new_version}
        if "serviceAccountRoleArn" in p:
            params.append({"type": "ServiceAccountRoleArn", "value": p["serviceAccountRoleArn"]})
            changes["serviceAccountRoleArn"] = p["serviceAccountRoleArn"]
        if "configurationValues" in p:
            self._check_config_values(p["configurationValues"])
            params.append({"type": "ConfigurationValues", "value": p["configurationValues"]})
            changes["configurationValues"] = p["configurationValues"]
        pod_identities: Optional[list[dict]] = None
        if "podIdentityAssociations" in p:
            wanted = self._check_addon_pod_identities(ctx, cluster, a["_namespace"], p["podIdentityAssociations"] or [],
                                                      a["addonArn"])
            current = sorted((x["serviceAccount"], x["roleArn"]) for x in self.state(ctx).pods.values()
                             if x.get("ownerArn") == a["addonArn"])
            if sorted((w["serviceAccount"], w["roleArn"]) for w in wanted) != current:
                params.append({"type": "PodIdentityAssociations", "value": json.dumps(wanted)})
                pod_identities = wanted
        if not any(x["type"] != "ResolveConflicts" for x in params):
            raise invalid(f"No changes needed for addon {name}.", clusterName=cluster, addonName=name)
        update = self._new_update(ctx, cluster, "AddonUpdate", params, token, addon=name)
        a["status"] = "UPDATING"
        self._remember(ctx, ("addon-update", cluster, name), token, fingerprint, update.id)

        def done() -> None:
            if self.state(ctx).addons.get((cluster, name)) is not a:
                return
            a.update(changes)
            if pod_identities is not None:
                self._set_addon_pod_identities(ctx, a, pod_identities)
            a["status"], a["modifiedAt"] = "ACTIVE", _ts(self.clock.now())
            update.status = "Successful"

        self.scheduler.after(DURATIONS["addon.update"], done)
        return {"update": update.view()}

    def op_DeleteAddon(self, ctx: Ctx, p: dict) -> dict:
        cluster, name = p["name"], p["addonName"]
        a = self._addon(ctx, cluster, name)
        if a["status"] == "DELETING":
            return {"addon": self._addon_view(a)}
        a["status"] = "DELETING"
        st = self.state(ctx)

        def gone() -> None:
            if st.addons.get((cluster, name)) is a:
                del st.addons[(cluster, name)]
                for aid in [i for i, x in st.pods.items() if x.get("ownerArn") == a["addonArn"]]:
                    del st.pods[aid]
                for uid in [i for i, u in st.updates.items() if u.cluster == cluster and u.addon == name]:
                    del st.updates[uid]

        self.scheduler.after(DURATIONS["addon.delete"], gone)
        return {"addon": self._addon_view(a)}

    def op_DescribeAddonVersions(self, ctx: Ctx, p: dict) -> dict:
        kube = p.get("kubernetesVersion")
        if kube and kube not in catalog.KUBERNETES_VERSIONS:
            raise invalid(f"unsupported Kubernetes version {kube}")
        out = []
        for name, addon in catalog.ADDONS.items():
            if p.get("addonName") and p["addonName"] != name:
                continue
            if p.get("types") and addon.type not in p["types"]:
                continue
            if p.get("publishers") and addon.publisher not in p["publishers"]:
                continue
            if p.get("owners") and addon.owner not in p["owners"]:
                continue
            versions = []
            for av in reversed(addon.versions):
                if kube and kube not in av.kubernetes:
                    continue
                compat = [
                    {"clusterVersion": k, "platformVersions": ["*"],
                     "defaultVersion": catalog.default_addon_version(name, k) == av}
                    for k in av.kubernetes if not kube or k == kube
                ]
                versions.append({
                    "addonVersion": av.version, "architecture": list(av.architectures), "computeTypes": ["ec2"],
                    "compatibilities": compat, "requiresConfiguration": False,
                    "requiresIamPermissions": name in ("aws-ebs-csi-driver", "vpc-cni"),
                })
            if versions:
                out.append({"addonName": name, "type": addon.type, "addonVersions": versions,
                            "publisher": addon.publisher, "owner": addon.owner,
                            "defaultNamespace": "kube-system"})
        return self._page_of("addons", out, p)

    def op_DescribeAddonConfiguration(self, ctx: Ctx, p: dict) -> dict:
        name, version = p["addonName"], p["addonVersion"]
        if catalog.addon_version(name, version) is None:
            raise not_found(f"Addon {name} version {version} not found", addonName=name)
        schema = {
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "resources": {"type": "object", "properties": {
                    "limits": {"type": "object"}, "requests": {"type": "object"}}},
                "tolerations": {"type": "array", "items": {"type": "object"}},
                "nodeSelector": {"type": "object", "additionalProperties": {"type": "string"}},
                "podAnnotations": {"type": "object", "additionalProperties": {"type": "string"}},
                "env": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        }
        return {"addonName": name, "addonVersion": version, "configurationSchema": json.dumps(schema),
                "podIdentityConfiguration": []}

    # -------------------------------------------------------------- access entries

    def _require_api_auth(self, c: dict) -> None:
        if c["accessConfig"]["authenticationMode"] == "CONFIG_MAP":
            raise bad_request(
                "The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform "
                "this operation.", clusterName=c["name"]
            )

    def _make_access_entry(self, ctx, cluster, principal, groups, username, type_, tags) -> dict:
        m = re.match(r"arn:aws:(iam|sts)::(\d{12}):(role|user|assumed-role)/(?:.*/)?([^/]+)$", principal) or \
            re.match(r"arn:aws:(iam)::(\d{12}):(root)()$", principal)
        if not m:
            raise invalid(f"The specified principalArn is invalid: {principal}")
        kind = "role" if m.group(3) in ("role", "assumed-role") else "user"
        if username is None:
            username = (f"arn:aws:sts::{m.group(2)}:assumed-role/{m.group(4)}/{{{{SessionName}}}}"
                        if kind == "role" else principal)
        if type_ in ("EC2_LINUX", "EC2_WINDOWS"):
            username = "system:node:{{EC2PrivateDNSName}}"
            groups = []
        now = self.clock.now()
        entry = {
            "clusterName": cluster,
            "principalArn": principal,
            "kubernetesGroups": list(groups),
            "accessEntryArn": self._arn(ctx, "access-entry", cluster, kind, m.group(2), m.group(4) or "root",
                                        str(uuid.uuid4())),
            "createdAt": _ts(now),
            "modifiedAt": _ts(now),
            "tags": tags,
            "username": username,
            "type": type_,
            "_policies": {},
        }
        self.state(ctx).access[(cluster, principal)] = entry
        return entry

    def _entry(self, ctx: Ctx, cluster: str, principal: str) -> dict:
        self._cluster(ctx, cluster)
        e = self.state(ctx).access.get((cluster, principal))
        if e is None:
            raise not_found(f"The specified access entry resource is not found: {principal}", clusterName=cluster)
        return e

    def op_CreateAccessEntry(self, ctx: Ctx, p: dict) -> dict:
        cluster, principal = p["name"], p["principalArn"]
        c = self._cluster(ctx, cluster)
        self._require_api_auth(c)
        if (cluster, principal) in self.state(ctx).access:
            raise in_use(f"The specified access entry resource is already in use on this cluster: {principal}",
                         clusterName=cluster)
        type_ = p.get("type", "STANDARD")
        if type_ not in ("STANDARD", "FARGATE_LINUX", "EC2_LINUX", "EC2_WINDOWS", "EC2", "HYBRID_LINUX"):
            raise invalid(f"Access entry type {type_} is invalid.")
        groups = p.get("kubernetesGroups") or []
        for g in groups:
            if g.startswith("system:"):
                raise invalid(f"The kubernetes group name {g} is invalid, it cannot start with system:")
        e = self._make_access_entry(ctx, cluster, principal, groups, p.get("username"), type_,
                                    self._tags(p.get("tags")))
        return {"accessEntry": self._entry_view(e)}

    @staticmethod
    def _entry_view(e: dict) -> dict:
        return {k: copy.deepcopy(v) for k, v in e.items() if not k.startswith("_")}

    def op_DescribeAccessEntry(self, ctx: Ctx, p: dict) -> dict:
        return {"accessEntry": self._entry_view(self._entry(ctx, p["name"], p["principalArn"]))}

    def op_UpdateAccessEntry(self, ctx: Ctx, p: dict) -> dict:
        e = self._entry(ctx, p["name"], p["principalArn"])
        if "kubernetesGroups" in p:
            e["kubernetesGroups"] = list(p["kubernetesGroups"] or [])
        if p.get("username"):
            e["username"] = p["username"]
        e["modifiedAt"] = _ts(self.clock.now())
        return {"accessEntry": self._entry_view(e)}

    def op_ListAccessEntries(self, ctx: Ctx, p: dict) -> dict:
        cluster = p["name"]
        self._cluster(ctx, cluster)
        arns = sorted(pr for (cl, pr), e in self.state(ctx).access.items() if cl == cluster and (
            not p.get("associatedPolicyArn") or p["associatedPolicyArn"] in e["_policies"]))
        return self._page_of("accessEntries", arns, p)

    def op_DeleteAccessEntry(self, ctx: Ctx, p: dict) -> dict:
        self._entry(ctx, p["name"], p["principalArn"])
        del self.state(ctx).access[(p["name"], p["principalArn"])]
        return {}

    def op_AssociateAccessPolicy(self, ctx: Ctx, p: dict) -> dict:
        e = self._entry(ctx, p["name"], p["principalArn"])
        policy = p["policyArn"]
        if (not policy.startswith(ACCESS_POLICY_PREFIX)
                or policy[len(ACCESS_POLICY_PREFIX):] not in CLUSTER_ACCESS_POLICIES):
            raise invalid(f"The specified policyArn is invalid: {policy}")
        scope = p.get("accessScope") or {}
        if scope.get("type") not in ("cluster", "namespace"):
            raise invalid("accessScope.type must be cluster or namespace.")
        namespaces = list(scope.get("namespaces") or [])
        if scope["type"] == "namespace" and not namespaces:
            raise invalid("A namespace access scope needs at least one namespace.")
        if scope["type"] == "cluster" and namespaces:
            raise invalid("A cluster access scope cannot list namespaces.")
        now = _ts(self.clock.now())
        prior = e["_policies"].get(policy)
        e["_policies"][policy] = {
            "policyArn": policy, "accessScope": {"type": scope["type"], "namespaces": namespaces},
            "associatedAt": prior["associatedAt"] if prior else now, "modifiedAt": now,
        }
        return {"clusterName": p["name"], "principalArn": p["principalArn"],
                "associatedAccessPolicy": copy.deepcopy(e["_policies"][policy])}

    def op_ListAssociatedAccessPolicies(self, ctx: Ctx, p: dict) -> dict:
        e = self._entry(ctx, p["name"], p["principalArn"])
        items = [copy.deepcopy(v) for _, v in sorted(e["_policies"].items())]
        return self._page_of("associatedAccessPolicies", items, p,
                             clusterName=p["name"], principalArn=p["principalArn"])

    def op_DisassociateAccessPolicy(self, ctx: Ctx, p: dict) -> dict:
        e = self._entry(ctx, p["name"], p["principalArn"])
        if p["policyArn"] not in e["_policies"]:
            raise not_found(f"The specified access policy is not associated: {p['policyArn']}",
                            clusterName=p["name"])
        del e["_policies"][p["policyArn"]]
        return {}

    def op_ListAccessPolicies(self, ctx: Ctx, p: dict) -> dict:
        items = [{"name": n, "arn": ACCESS_POLICY_PREFIX + n} for n in CLUSTER_ACCESS_POLICIES]
        return self._page_of("accessPolicies", items, p)

    # -------------------------------------------------------------- pod identity

    def _assoc(self, ctx: Ctx, cluster: str, aid: str) -> dict:
        self._cluster(ctx, cluster)
        a = self.state(ctx).pods.get(aid)
        if a is None or a["clusterName"] != cluster:
            raise not_found(f"No association found for id {aid}", clusterName=cluster)
        return a

    @staticmethod
    def _assoc_view(a: dict) -> dict:
        return {k: copy.deepcopy(v) for k, v in a.items() if not k.startswith("_")}

    def op_CreatePodIdentityAssociation(self, ctx: Ctx, p: dict) -> dict:
        cluster = p["clusterName"]
        token = p.get("clientRequestToken")
        fingerprint = {k: v for k, v in p.items() if k != "clientRequestToken"}
        replay = self._idempotent(ctx, ("pod-identity", cluster), token, fingerprint)
        if replay is not None and replay in self.state(ctx).pods:
            return {"association": self._assoc_view(self.state(ctx).pods[replay])}
        self._cluster(ctx, cluster)
        if not ROLE_ARN_RE.match(p["roleArn"]):
            raise invalid(f"The role ARN {p['roleArn']} is not a valid IAM role ARN.")
        for a in self.state(ctx).pods.values():
            if a["clusterName"] == cluster and a["namespace"] == p["namespace"] and \
                    a["serviceAccount"] == p["serviceAccount"]:
                raise in_use("Association already exists: "
                             f"{a['associationId']} for namespace {p['namespace']} and service account "
                             f"{p['serviceAccount']}", clusterName=cluster)
        aid = "a-" + secrets.token_hex(9)[:17]
        now = _ts(self.clock.now())
        a = {
            "clusterName": cluster, "namespace": p["namespace"], "serviceAccount": p["serviceAccount"],
            "roleArn": p["roleArn"], "associationArn": self._arn(ctx, "podidentityassociation", cluster, aid),
            "associationId": aid, "tags": self._tags(p.get("tags")), "createdAt": now, "modifiedAt": now,
            "disableSessionTags": bool(p.get("disableSessionTags", False)),
        }
        if p.get("targetRoleArn"):
            a["targetRoleArn"] = p["targetRoleArn"]
        self.state(ctx).pods[aid] = a
        self._remember(ctx, ("pod-identity", cluster), token, fingerprint, aid)
        return {"association": self._assoc_view(a)}

    def op_DescribePodIdentityAssociation(self, ctx: Ctx, p: dict) -> dict:
        return {"association": self._assoc_view(self._assoc(ctx, p["name"], p["associationId"]))}

    def op_UpdatePodIdentityAssociation(self, ctx: Ctx, p: dict) -> dict:
        a = self._assoc(ctx, p["name"], p["associationId"])
        if p.get("roleArn"):
            if not ROLE_ARN_RE.match(p["roleArn"]):
                raise invalid(f"The role ARN {p['roleArn']} is not a valid IAM role ARN.")
            a["roleArn"] = p["roleArn"]
        if "disableSessionTags" in p:
            a["disableSessionTags"] = bool(p["disableSessionTags"])
        a["modifiedAt"] = _ts(self.clock.now())
        return {"association": self._assoc_view(a)}

    def op_ListPodIdentityAssociations(self, ctx: Ctx, p: dict) -> dict:
        cluster = p["name"]
        self._cluster(ctx, cluster)
        items = [
            {k: a[k] for k in ("clusterName", "namespace", "serviceAccount", "associationArn", "associationId",
                               "ownerArn") if k in a}
            for a in sorted(self.state(ctx).pods.values(), key=lambda a: a["createdAt"])
            if a["clusterName"] == cluster
            and (not p.get("namespace") or a["namespace"] == p["namespace"])
            and (not p.get("serviceAccount") or a["serviceAccount"] == p["serviceAccount"])
        ]
        return self._page_of("associations", items, p)

    def op_DeletePodIdentityAssociation(self, ctx: Ctx, p: dict) -> dict:
        a = self._assoc(ctx, p["name"], p["associationId"])
        del self.state(ctx).pods[a["associationId"]]
        for addon in self.state(ctx).addons.values():
            if addon["addonArn"] == a.get("ownerArn"):
                addon["podIdentityAssociations"].remove(a["associationArn"])
        return {"association": self._assoc_view(a)}

    # -------------------------------------------------------------- tags

    def _tagged(self, ctx: Ctx, arn: str) -> dict:
        m = re.match(r"^arn:aws:eks:([a-z0-9-]+):(\d{12}):(cluster|nodegroup|addon|access-entry|"
                     r"podidentityassociation|fargateprofile|identityproviderconfig)/(.+)$", arn)
        if not m:
            raise EksError("BadRequestException", f"{arn} is not a valid EKS resource ARN.", 400)
        if (m.group(2), m.group(1)) != (ctx.account, ctx.region):
            raise EksError("NotFoundException", f"Resource {arn} was not found.", 404)
        st = self.state(ctx)
        candidates: list[dict] = list(st.clusters.values()) + list(st.nodegroups.values()) + \
            list(st.addons.values()) + list(st.access.values()) + list(st.pods.values())
        for obj in candidates:
            if arn in (obj.get("arn"), obj.get("nodegroupArn"), obj.get("addonArn"), obj.get("accessEntryArn"),
                       obj.get("associationArn")):
                return obj
        raise EksError("NotFoundException", f"Resource {arn} was not found.", 404)

    def op_TagResource(self, ctx: Ctx, p: dict) -> dict:
        obj = self._tagged(ctx, p["resourceArn"])
        merged = dict(obj.get("tags") or {})
        merged.update(self._tags(p["tags"]))
        obj["tags"] = self._tags(merged)
        return {}

    def op_UntagResource(self, ctx: Ctx, p: dict) -> dict:
        obj = self._tagged(ctx, p["resourceArn"])
        for k in p.get("tagKeys") or []:
            (obj.get("tags") or {}).pop(k, None)
        return {}

    def op_ListTagsForResource(self, ctx: Ctx, p: dict) -> dict:
        return {"tags": dict(self._tagged(ctx, p["resourceArn"]).get("tags") or {})}
