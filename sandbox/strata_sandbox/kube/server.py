"""The HTTPS API server of one sandbox cluster: routing, authentication, JSON in and out."""

from __future__ import annotations

import base64
import datetime
import json
import socket
import ssl
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import auth
from .cluster import ClusterState, Kind, kubelet_version, now_precise
from .errors import ApiError, bad_request
from .patch import json_patch, merge_patch
from .pki import ClusterPKI, server_context
from .selectors import SelectorError, parse_field_selector, parse_label_selector

# Served to anonymous callers too, as the system:public-info-viewer role allows on EKS.
PUBLIC_PATHS = {"/version", "/healthz", "/livez", "/readyz"}
APPLY = "application/apply-patch+yaml"
MERGE_PATCHES = {"application/merge-patch+json", "application/strategic-merge-patch+json"}
JSON_PATCH = "application/json-patch+json"
MAX_BODY = 8 * 1024 * 1024


class _Route:
    def __init__(self, group: str, version: str, plural: str, ns: str | None, name: str | None, sub: str | None):
        self.group, self.version, self.plural = group, version, plural
        self.ns, self.name, self.sub = ns, name, sub


def parse_route(path: str) -> _Route | tuple[str, str] | None:
    """Splits /api/v1/... and /apis/G/V/... paths; returns (group, version) for discovery."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if not rest:
        return (group, version)
    if rest[0] == "namespaces" and len(rest) >= 3 and not (group == "" and rest[2] in ("status", "finalize")):
        ns, plural, tail = rest[1], rest[2], rest[3:]
    else:
        ns, plural, tail = None, rest[0], rest[1:]
    if len(tail) > 2:
        return None
    name = tail[0] if tail else None
    sub = tail[1] if len(tail) > 1 else None
    return _Route(group, version, plural, ns, name, sub)


class ApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "strata-sandbox-kube"
    sys_version = ""
    server: "_TLSServer"

    def setup(self) -> None:
        self.request.settimeout(30)
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - signature is http.server's
        pass  # requests are recorded in the cluster's request log instead

    # ----- plumbing -------------------------------------------------------------------------------

    def _send(self, code: int, body: dict) -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", self._audit_id)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self._code = code

    def _read_body(self) -> bytes:
        return self._raw

    def _consume_body(self) -> None:
        """Reads the whole request body up front, so every error path leaves the stream clean."""
        self._raw = b""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            self._raw = self._read_chunked()
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            raise bad_request("invalid Content-Length") from None
        if length > MAX_BODY:
            self.close_connection = True
            raise ApiError(413, "Request entity too large: limit is 8388608", "RequestEntityTooLarge")
        if length:
            self._raw = self.rfile.read(length)

    def _json_body(self) -> Any:
        raw = self._read_body()
        if not raw:
            raise bad_request("the request body is required")
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise bad_request(f"the body of the request was in an unknown format: {e}") from None

    def _dispatch(self) -> None:
        self._audit_id = str(uuid.uuid4())
        self._code = 0
        self._user = None
        cluster = self.server.cluster
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        try:
            self._consume_body()
            self._authenticate(path)
            self._handle(cluster, path, query)
        except ApiError as e:
            self._send(e.code, e.status())
        except (ConnectionError, socket.timeout, ssl.SSLError):
            self.close_connection = True
            return
        except Exception as e:  # a bug here must surface as a 500 Status, never a hung client
            self._send(500, ApiError(500, f"internal error: {type(e).__name__}: {e}").status())
        cluster.record_request({"method": self.command, "path": split.path, "query": split.query,
                                "code": self._code, "user": self._user, "time": now_precise()})

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _dispatch

    def _read_chunked(self) -> bytes:
        """Transfer-Encoding: chunked request bodies (what libcurl sends for unknown lengths)."""
        chunks, total = [], 0
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                self.close_connection = True
                raise bad_request("malformed chunked request body") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                self.close_connection = True
                raise ApiError(413, "Request entity too large: limit is 8388608", "RequestEntityTooLarge")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _authenticate(self, path: str) -> None:
        token = auth.bearer_token(self.headers.get("Authorization"))
        if token is None and self.headers.get("Authorization") is None and path in PUBLIC_PATHS:
            self._user = "system:anonymous"
            return
        cluster = self.server.cluster
        try:
            if token is None:
                raise auth.TokenError("no bearer token")
            identity = auth.authenticate(token, cluster.name, datetime.datetime.now(datetime.timezone.utc),
                                         self.server.verifier)
        except auth.TokenError as e:
            with cluster.lock:
                cluster.observations.auth_failures.append(
                    {"path": path, "method": self.command, "reason": str(e), "time": now_precise()})
            raise ApiError(401, "Unauthorized", "Unauthorized") from None
        self._user = identity.username
        self._refuse_if_access_withdrawn(cluster, path)

    def _refuse_if_access_withdrawn(self, cluster: ClusterState, path: str) -> None:
        """What EKS answers a valid token once the caller's access is withdrawn (control route
        ``access``): no access entry maps it to a user (401, as for a bad token), or the user
        it maps to may do nothing (403, RBAC's message)."""
        with cluster.lock:
            refuse = cluster.refuse_access
            if refuse == 401:
                cluster.observations.auth_failures.append(
                    {"path": path, "method": self.command, "reason": "no access entry for the caller",
                     "time": now_precise()})
        if refuse == 401:
            raise ApiError(401, "Unauthorized", "Unauthorized")
        if refuse == 403 and path not in PUBLIC_PATHS:
            raise ApiError(403, f'{self.command} {path} is forbidden: User "{self._user}" cannot access it',
                           "Forbidden")

    # ----- routes ---------------------------------------------------------------------------------

    def _handle(self, cluster: ClusterState, path: str, query: dict[str, str]) -> None:
        method = self.command
        if path == "/version" and method == "GET":
            gv = kubelet_version(cluster.version)
            major, minor = cluster.version.split(".")[:2]
            return self._send(200, {
                "major": major, "minor": f"{minor}+", "gitVersion": gv,
                "gitCommit": gv.rsplit("-", 1)[-1], "gitTreeState": "clean",
                "buildDate": "2026-01-01T00:00:00Z", "goVersion": "go1.23.4", "compiler": "gc",
                "platform": "linux/amd64",
            })
        if path in ("/healthz", "/livez", "/readyz") and method == "GET":
            return self._send_text(200, "ok")
        if path == "/api" and method == "GET":
            return self._send(200, {
                "kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
            })
        if path == "/apis" and method == "GET":
            return self._send(200, self._group_list(cluster))
        parts = [p for p in path.split("/") if p]
        if len(parts) == 2 and parts[0] == "apis" and method == "GET":
            group = next((g for g in self._group_list(cluster)["groups"] if g["name"] == parts[1]), None)
            if group is None:
                raise ApiError(404, "the server could not find the requested resource", "NotFound")
            return self._send(200, dict(group, kind="APIGroup", apiVersion="v1"))
        route = parse_route(path)
        if route is None:
            raise ApiError(404, "the server could not find the requested resource", "NotFound",
                           {"causes": [{"reason": "UnexpectedServerResponse", "message": "404 page not found"}]})
        if isinstance(route, tuple):
            return self._send(200, self._resource_list(cluster, *route))
        if query.get("watch") in ("1", "true"):
            raise ApiError(405, "watch is not supported by the strata sandbox; poll with list", "MethodNotAllowed")

        kind = cluster.kind_for(route.group, route.plural)
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if kind is None and method == "PATCH" and content_type == APPLY and route.name and not route.sub:
            kind = self._register_from_apply(cluster, route)
        if kind is None or kind.version != route.version:
            raise ApiError(404, "the server could not find the requested resource", "NotFound")
        if route.ns is not None and not kind.namespaced:
            raise ApiError(404, "the server could not find the requested resource", "NotFound")
        if kind.namespaced and route.ns is None and route.name is not None:
            raise ApiError(404, "the server could not find the requested resource", "NotFound")
        ns = route.ns or ""
        dry_run = "dryRun" in query
        manager = query.get("fieldManager") or (self.headers.get("User-Agent") or "unknown").split("/")[0]

        if route.sub:
            if kind.plural == "pods" and route.sub == "eviction" and method == "POST":
                body = self._json_body()
                return self._send(201, cluster.evict(ns, route.name, body, dry_run))
            if route.sub == "status" and method == "GET":
                return self._send(200, cluster.get(kind.group, kind.plural, ns, route.name))
            raise ApiError(405, f"{method} is not supported on {kind.plural}/{route.sub}", "MethodNotAllowed")

        if route.name is None:
            if method == "GET":
                return self._send(200, self._list(cluster, kind, route.ns, query))
            if method == "POST":
                if kind.namespaced and route.ns is None:
                    raise ApiError(405, f"POST is not supported on all-namespaces {kind.plural}", "MethodNotAllowed")
                body = self._json_body()
                if dry_run:
                    raise ApiError(400, "dryRun create is not supported by the strata sandbox")
                return self._send(201, cluster.create(kind.group, kind.plural, ns, body, manager))
            raise ApiError(405, "the server does not allow this method on the requested resource", "MethodNotAllowed")

        if method == "GET":
            return self._send(200, cluster.get(kind.group, kind.plural, ns, route.name))
        if method == "DELETE":
            grace = query.get("gracePeriodSeconds")
            try:
                options = json.loads(self._raw) if self._raw else {}
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise bad_request("the DeleteOptions body is not JSON") from None
            if grace is None and isinstance(options, dict) and options.get("gracePeriodSeconds") is not None:
                grace = str(options["gracePeriodSeconds"])
            if grace is not None and not grace.lstrip("-").isdigit():
                raise bad_request(f"gracePeriodSeconds: invalid value {grace!r}")
            obj = cluster.delete(kind.group, kind.plural, ns, route.name, dry_run,
                                 None if grace is None else max(0, int(grace)))
            return self._send(200, obj)
        if method == "PATCH":
            return self._patch(cluster, kind, ns, route.name, content_type, query, manager, dry_run)
        if method == "PUT":
            body = self._json_body()

            def replace(live: dict) -> dict:
                cluster._check_body(kind, body, ns, route.name)  # noqa: SLF001 - same package
                new = json.loads(json.dumps(body))
                if "status" in live:
                    new["status"] = live["status"]
                return new

            return self._send(200, cluster.patch(kind.group, kind.plural, ns, route.name, replace, manager))
        raise ApiError(405, "the server does not allow this method on the requested resource", "MethodNotAllowed")

    def _patch(self, cluster: ClusterState, kind: Kind, ns: str, name: str, content_type: str,
               query: dict[str, str], manager: str, dry_run: bool) -> None:
        if dry_run:
            raise ApiError(400, "dryRun patch is not supported by the strata sandbox")
        if content_type == APPLY:
            raw = self._read_body()
            try:
                body = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError):
                raise ApiError(415, "the strata sandbox accepts apply patches in JSON form (JSON is YAML); "
                                    "send the manifest as JSON", "UnsupportedMediaType") from None
            if not query.get("fieldManager"):
                raise ApiError(422, "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: "
                                    "is required for apply patch", "Invalid")
            force = query.get("force") in ("true", "1")
            obj, created = cluster.apply(kind.group, kind.plural, ns, name, body, query["fieldManager"], force)
            return self._send(201 if created else 200, obj)
        if content_type in MERGE_PATCHES:
            patch = self._json_body()
            if not isinstance(patch, dict):
                raise bad_request("a merge patch must be a JSON object")
            return self._send(200, cluster.patch(kind.group, kind.plural, ns, name,
                                                 lambda live: merge_patch(live, patch), manager))
        if content_type == JSON_PATCH:
            ops = self._json_body()
            return self._send(200, cluster.patch(kind.group, kind.plural, ns, name,
                                                 lambda live: json_patch(live, ops), manager))
        raise ApiError(415, f"the body of the request was in an unknown format - accepted media types include: "
                            f"{JSON_PATCH}, application/merge-patch+json, application/apply-patch+yaml, "
                            f"application/strategic-merge-patch+json", "UnsupportedMediaType")

    def _register_from_apply(self, cluster: ClusterState, route: _Route) -> Kind | None:
        """Custom resources (Karpenter NodePool, ...) come into being on their first apply.

        A real cluster needs the CRD first; the sandbox takes the kind from the manifest and the
        scope from the URL, so manifests can be applied without shipping CRDs.
        """
        try:
            body = json.loads(self._raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = None
        expected = f"{route.group}/{route.version}" if route.group else route.version
        if not isinstance(body, dict) or body.get("apiVersion") != expected or not isinstance(body.get("kind"), str):
            return None
        return cluster.register_kind(route.group, route.version, route.plural, body["kind"], route.ns is not None)

    def _list(self, cluster: ClusterState, kind: Kind, ns: str | None, query: dict[str, str]) -> dict:
        try:
            label_pred = parse_label_selector(query.get("labelSelector"))
            field_pred = parse_field_selector(query.get("fieldSelector"), kind.plural)
        except SelectorError as e:
            raise bad_request(str(e)) from None
        items, rv = cluster.list(kind.group, kind.plural, ns,
                                 lambda o: label_pred(o["metadata"].get("labels") or {}) and field_pred(o))
        start_after = None
        if query.get("continue"):
            try:
                token = json.loads(base64.urlsafe_b64decode(query["continue"] + "=" * (-len(query["continue"]) % 4)))
                start_after = (token["ns"], token["name"])
            except (ValueError, KeyError, TypeError):
                raise ApiError(410, "The provided continue parameter is too old to display a consistent list result. "
                                    "You can start a new list without the continue parameter.", "Expired") from None
            items = [o for o in items if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > start_after]
        meta: dict[str, Any] = {"resourceVersion": rv}
        limit = int(query["limit"]) if query.get("limit", "").isdigit() and int(query["limit"]) > 0 else None
        if limit is not None and len(items) > limit:
            last = items[limit - 1]["metadata"]
            meta["continue"] = base64.urlsafe_b64encode(json.dumps(
                {"ns": last.get("namespace", ""), "name": last["name"]}).encode()).decode().rstrip("=")
            meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        for item in items:
            item.pop("apiVersion", None)
            item.pop("kind", None)
        return {"kind": f"{kind.kind}List", "apiVersion": kind.api_version, "metadata": meta, "items": items}

    def _send_text(self, code: int, text: str) -> None:
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self._code = code

    @staticmethod
    def _group_list(cluster: ClusterState) -> dict:
        groups: dict[str, set[str]] = {}
        with cluster.lock:
            for k in cluster.kinds.values():
                if k.group:
                    groups.setdefault(k.group, set()).add(k.version)
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [
            {"name": g, "versions": [{"groupVersion": f"{g}/{v}", "version": v} for v in sorted(vs)],
             "preferredVersion": {"groupVersion": f"{g}/{sorted(vs)[-1]}", "version": sorted(vs)[-1]}}
            for g, vs in sorted(groups.items())]}

    @staticmethod
    def _resource_list(cluster: ClusterState, group: str, version: str) -> dict:
        with cluster.lock:
            kinds = [k for k in cluster.kinds.values() if k.group == group and k.version == version]
        if not kinds:
            raise ApiError(404, "the server could not find the requested resource", "NotFound")
        resources = []
        for k in sorted(kinds, key=lambda k: k.plural):
            resources.append({"name": k.plural, "singularName": k.kind.lower(), "namespaced": k.namespaced,
                              "kind": k.kind, "verbs": ["create", "delete", "get", "list", "patch", "update"]})
            if k.plural == "pods":
                resources.append({"name": "pods/eviction", "singularName": "", "namespaced": True,
                                  "group": "policy", "version": "v1", "kind": "Eviction", "verbs": ["create"]})
        return {"kind": "APIResourceList", "apiVersion": "v1",
                "groupVersion": f"{group}/{version}" if group else version, "resources": resources}


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, cluster: ClusterState, ctx: ssl.SSLContext, verifier: auth.Verifier) -> None:
        self.cluster = cluster
        self.ctx = ctx
        self.verifier = verifier
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), ApiHandler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        # The handshake runs in the connection's own thread (first read), so one slow or
        # refusing client cannot stall accept().
        tls = self.ctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self._conn_lock:
            self._connections.add(tls)
        return tls, addr

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # TLS failures from clients that refuse our CA are expected, not server faults

    def close_connections(self) -> None:
        with self._conn_lock:
            conns = list(self._connections)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class ClusterServer:
    """An HTTPS API server bound to 127.0.0.1 on an ephemeral port, serving one ClusterState."""

    def __init__(self, cluster: ClusterState, pki: ClusterPKI, verifier: auth.Verifier) -> None:
        self.cluster = cluster
        self._httpd = _TLSServer(cluster, server_context(pki), verifier)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"kube-api-{cluster.name}", daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join(timeout=5)
