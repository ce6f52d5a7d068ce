"""The sandbox's WSGI application: moto in-process behind a layer that does what AWS's front
door does and moto does not.

For every AWS request, in order:

1. identify service, region and action (signature scope, X-Amz-Target, API version, path);
2. verify the SigV4 signature (``--verify-signatures``) and answer AWS-shaped auth errors;
3. apply injected faults (latency, throttling, 5xx) with each service's real error codes;
4. dispatch: EKS to :mod:`strata_sandbox.eks`, EC2 through :mod:`strata_sandbox.ec2_ext`
   (idempotency, dependency checks, NAT lifecycle), ELB/ELBv2 through :mod:`strata_sandbox.elb_ext`
   (what load balancers hold for those dependency checks), SSM after seeding public parameters,
   everything else to moto's own backend app;
5. normalise the answer: a request id in ``x-amzn-RequestId`` (and the XML body), AWS errors
   instead of moto's HTML pages, a Content-Length so connections can be kept alive; then, if a
   fault says so, break its body (:mod:`strata_sandbox.mangle`);
6. log it (``GET /_sandbox/requests``).

``/_sandbox/...`` are the control endpoints (reset, health, faults, requests, clock, kube).
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import os
import random
import re
import socket
import sys
import threading
import time
import traceback
import uuid
from typing import Any, Callable, Iterable, Optional
from urllib.parse import parse_qs

from strata_sandbox import catalog, limits, logs_ext, mangle, protocols, sigv4_verify, tagging
from strata_sandbox.clock import Clock
from strata_sandbox.faults import Faults, RuleError
from strata_sandbox.requestlog import RequestLog
from strata_sandbox.scheduler import Scheduler

Response = tuple[int, list[tuple[str, str]], bytes]

_REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request",
            401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
            409: "Conflict", 412: "Precondition Failed", 429: "Too Many Requests",
            500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable"}

_XML_REQUEST_ID = re.compile(rb"<(RequestId|RequestID|requestId)>[^<]*</\1>")
# AWS accepts these unsigned: the web identity token / SAML assertion is the credential.
_UNSIGNED_STS = {"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"}
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "x-amzn-requestid",
               "x-amz-request-id", "server", "date"}


class DropConnection(Exception):
    """Fault injection: close the client's connection without answering."""


def _status_line(status: int) -> str:
    return f"{status} {_REASONS.get(status, 'Status')}"


def _json(status: int, doc: Any) -> Response:
    return status, [("Content-Type", "application/json")], json.dumps(doc, default=str).encode()


class Sandbox:
    def __init__(self, time_scale: float = 1.0, verify_signatures: bool = False,
                 region_default: str = "us-east-1", kube_registry: Any = None) -> None:
        from moto.moto_server.werkzeug_app import create_backend_app  # after MOTO_* env is set

        self._create_backend_app = create_backend_app
        _real_service_linked_role_names()
        from strata_sandbox import moto_fixes

        moto_fixes.install()
        self.verify_signatures = verify_signatures
        self.region_default = region_default
        self.clock = Clock(time_scale)
        self.lock = threading.RLock()
        self.faults = Faults()
        self.log = RequestLog()
        self.scheduler = Scheduler(self.clock, self.lock)
        if kube_registry is None:
            from strata_sandbox.kube import KubeRegistry

            kube_registry = KubeRegistry(time_scale)
        self.kube = kube_registry
        from strata_sandbox.ec2_ext import Ec2Extensions
        from strata_sandbox.eks import EksService
        from strata_sandbox.elb_ext import ElbExtensions

        self.eks = EksService(self.clock, self.scheduler, self.kube, self.ec2_backend)
        self.ec2x = Ec2Extensions(self.clock, self.scheduler)
        self.elbx = ElbExtensions(self.clock, self.scheduler)
        self.ec2x.load_balancers = self.elbx.holders
        self._moto_apps: dict[str, Any] = {}
        self._seeded: set[tuple[str, str]] = set()
        self._regions = self._known_regions()
        self.started = time.time()
        self.scheduler.start()

    # -------------------------------------------------------------- moto plumbing

    @staticmethod
    def ec2_backend(account: str, region: str):
        from moto.ec2.models import ec2_backends

        return ec2_backends[account][region]

    @staticmethod
    def _known_regions() -> set[str]:
        import boto3

        regions = set(boto3.session.Session().get_available_regions("ec2"))
        return regions | {"us-east-1"}

    def _moto_app(self, service: str):
        app = self._moto_apps.get(service)
        if app is None:
            app = self._create_backend_app(protocols.MOTO_MODULES.get(service, service))
            self._moto_apps[service] = app
        return app

    def _seed_ssm(self, account: str, region: str) -> None:
        """SSM's /aws/service/eks and /aws/service/bottlerocket parameters, and the AMIs they name
        in EC2, for one account and region (moto refuses PutParameter under /aws/)."""
        if (account, region) in self._seeded:
            return
        from collections import defaultdict

        from moto.ssm.models import Parameter, ssm_backends

        params = ssm_backends[account][region]._parameters
        now = _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)
        for name, value in catalog.ssm_public_parameters(region).items():
            versions = defaultdict.__getitem__(params, name)
            if versions:
                continue
            versions.append(Parameter(
                account_id=account, name=name, value=value, parameter_type="String", description=None,
                allowed_pattern=None, keyid=None, last_modified_date=now, version=1,
                data_type="aws:ec2:image" if name.endswith("/image_id") else "text",
            ))
        self._seeded.add((account, region))
        self._seed_images(account, region)

    def _seed_images(self, account: str, region: str) -> None:
        from moto.ec2.models.amis import Ami

        ec2 = self.ec2_backend(account, region)
        for image in catalog.eks_images(region):
            if image["id"] in ec2.amis:
                continue
            ec2.amis[image["id"]] = Ami(
                ec2, image["id"], name=image["name"], description=image["description"], owner_id=image["owner"],
                owner_alias="amazon", public=True, virtualization_type="hvm", architecture=image["arch"],
                root_device_type="ebs", root_device_name="/dev/xvda", platform=None, hypervisor="xen",
                region_name=region, sriov="simple", boot_mode="uefi-preferred" if image["arch"] == "x86_64" else "uefi",
            )

    def reset(self) -> None:
        from moto.moto_api._internal.models import moto_api_backend

        with self.lock:
            self.scheduler.clear()
            moto_api_backend.reset()
            self.eks.reset()
            self.ec2x.reset()
            self.elbx.reset()
            self.kube.reset()
            self.clock.reset()
            self.faults.clear()
            self.log.clear()
            self._seeded.clear()
            self._seed_ssm(self._account(None, {}), self.region_default)

    @staticmethod
    def _account(access_key: Optional[str], environ: dict) -> str:
        if "MOTO_ACCOUNT_ID" in os.environ:
            return os.environ["MOTO_ACCOUNT_ID"]
        if environ.get("HTTP_X_MOTO_ACCOUNT_ID"):
            return environ["HTTP_X_MOTO_ACCOUNT_ID"]
        from moto.iam.models import get_account_id_from

        return get_account_id_from(access_key or "test")

    def _caller_arn(self, access_key: Optional[str], account: str, region: str) -> str:
        from moto.sts.models import sts_backends

        try:
            _, arn, _ = sts_backends[account]["aws"].get_caller_identity(access_key or "test", region)
            if arn.endswith(":user/moto"):
                return f"arn:aws:iam::{account}:root"
            return arn
        except Exception:
            return f"arn:aws:iam::{account}:root"

    # -------------------------------------------------------------- WSGI entry

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "/")
        try:
            if path.startswith("/_sandbox/") or path == "/_sandbox":
                status, headers, body = self._control(environ, path)
            elif path.startswith("/moto-api"):
                status, headers, body = _json(404, {"message": "moto's own API is not exposed; use /_sandbox/"})
            else:
                status, headers, body = self._aws(environ)
        except DropConnection:
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            # werkzeug treats a ConnectionError from the app as a dropped connection: no answer.
            raise ConnectionResetError("fault injection: connection dropped") from None
        except Exception:  # last resort: never let a bug become an HTML page
            traceback.print_exc()
            status, headers, body = _json(500, {"message": "sandbox internal error", "__type": "InternalFailure"})
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(_status_line(status), headers)
        return [body] if environ.get("REQUEST_METHOD") != "HEAD" else [b""]

    @staticmethod
    def _read_body(environ: dict) -> bytes:
        stream = environ.get("wsgi.input")
        if stream is None:
            return b""
        length = environ.get("CONTENT_LENGTH")
        if length:
            try:
                n = int(length)
            except ValueError:
                return b""
            chunks, left = [], n
            while left > 0:
                chunk = stream.read(left)
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks)
        if environ.get("wsgi.input_terminated"):
            return stream.read()
        return b""

    # -------------------------------------------------------------- control endpoints

    def _control(self, environ: dict, path: str) -> Response:
        method = environ.get("REQUEST_METHOD", "GET")
        parts = [p for p in path.split("/") if p][1:]
        raw = self._read_body(environ)
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            return _json(400, {"message": "body must be JSON"})
        query = parse_qs(environ.get("QUERY_STRING", ""))
        head = parts[0] if parts else ""
        if head == "health" and method == "GET":
            return _json(200, {
                "status": "ok", "pid": os.getpid(), "verify_signatures": self.verify_signatures,
                "time_scale": self.clock.time_scale,
                "region_default": self.region_default, "uptime_s": round(time.time() - self.started, 3),
                "pending_transitions": self.scheduler.pending(), "clock_offset_s": self.clock.offset(),
            })
        if head == "reset" and method == "POST":
            self.reset()
            return _json(200, {"status": "ok"})
        if head == "faults":
            if method == "GET":
                return _json(200, {"rules": self.faults.list()})
            if method == "DELETE":
                self.faults.clear()
                return _json(200, {"rules": []})
            if method in ("POST", "PUT"):
                rules = body.get("rules") if isinstance(body, dict) and "rules" in body else body
                if isinstance(rules, dict):
                    rules = [rules]
                if not isinstance(rules, list):
                    return _json(400, {"message": "expected a rule object, a list of rules or {\"rules\": [...]}"})
                try:
                    listed = self.faults.set(rules) if method == "PUT" else self.faults.add(rules)
                except (RuleError, ValueError, TypeError) as e:
                    return _json(400, {"message": str(e)})
                return _json(200, {"rules": listed})
        if head == "requests":
            if method == "GET":
                since = int((query.get("since") or ["0"])[0])
                entries = self.log.query((query.get("service") or [None])[0], (query.get("action") or [None])[0],
                                         since)
                return _json(200, {"requests": entries, "count": len(entries)})
            if method == "DELETE":
                self.log.clear()
                return _json(200, {"requests": [], "count": 0})
        if head == "clock":
            if method == "GET":
                return _json(200, {"now": self.clock.now_dt().isoformat(), "offset_s": self.clock.offset(),
                                   "time_scale": self.clock.time_scale, "frozen": self.clock.frozen()})
            if method == "POST":
                if isinstance(body, dict) and "freeze" in body:
                    self.clock.freeze(bool(body["freeze"]))
                if isinstance(body, dict) and isinstance(body.get("freeze_after"), dict):
                    trigger = body["freeze_after"]
                    try:
                        self.clock.freeze_after(str(trigger["service"]), str(trigger["action"]),
                                                int(trigger.get("count", 1)))
                    except (KeyError, TypeError, ValueError) as e:
                        return _json(400, {"message": f"freeze_after needs service, action and a count >= 1: {e}"})
                try:
                    seconds = float((body or {}).get("advance_seconds", 0))
                    if (body or {}).get("advance_aws_seconds") is not None:
                        seconds += self.clock.scaled(float(body["advance_aws_seconds"]))
                    self.clock.advance(seconds)
                except (TypeError, ValueError) as e:
                    return _json(400, {"message": f"advance_seconds: {e}"})
                self.scheduler.kick()
                self.scheduler.run_due()
                return _json(200, {"now": self.clock.now_dt().isoformat(), "offset_s": self.clock.offset(),
                                   "frozen": self.clock.frozen()})
        if parts == ["eks", "durations"] and method == "GET":
            from strata_sandbox.eks import DURATIONS

            # What a lifecycle takes on AWS (seconds, unscaled) and how the sandbox scales it, so a
            # client's estimates can be checked against the table the sandbox runs on.
            return _json(200, {"durations": dict(DURATIONS), "time_scale": self.clock.time_scale})
        if head == "kube":
            status, doc = self.kube.control(parts[1:], method, body)
            return _json(status, doc)
        return _json(404, {"message": f"no control endpoint {method} {path}"})

    # -------------------------------------------------------------- AWS requests

    def _aws(self, environ: dict) -> Response:
        started = time.time()
        request_id = str(uuid.uuid4())
        body = self._read_body(environ)
        info = protocols.identify(environ, body, _eks_operation)
        account: Optional[str] = None
        try:
            (status, headers, out), account = self._serve(environ, body, info, request_id)
        except DropConnection:
            self.log.add(self._log_entry(environ, info, request_id, started, 0, None))
            raise
        except Exception as e:  # a sandbox bug: answer as the service's internal error, keep the trace
            print(f"sandbox: failed on {info.service}:{info.action}:", file=sys.stderr)
            traceback.print_exc()
            svc = protocols.SERVICES.get(info.service)
            code, code_status = svc.server_error if svc else ("InternalFailure", 500)
            status, headers, out = self._error(info, code, f"Internal error ({type(e).__name__})", code_status,
                                               request_id)
        status, headers, out = self._finish(info, request_id, status, headers, out)
        if info.mangle is not None and status < 300:
            kind, seed = info.mangle
            info.mangled, out = mangle.mangle(out, random.Random(seed), only=kind)
        self.clock.answered(info.service, info.action, status)
        self.log.add(self._log_entry(environ, info, request_id, started, status, account))
        return status, headers, out

    @staticmethod
    def _log_entry(environ, info, request_id, started, status, account) -> dict:
        """One request log line; status 0 means the connection was dropped on purpose."""
        return {
            "request_id": request_id, "service": info.service, "action": info.action,
            "method": environ.get("REQUEST_METHOD", "GET"), "path": environ.get("PATH_INFO", "/"),
            "status": status, "start": _dt.datetime.fromtimestamp(started, _dt.timezone.utc).isoformat(),
            "duration_ms": round((time.time() - started) * 1000, 3), "access_key_id": info.access_key_id,
            "region": info.region, "account": account, **({"mangled": info.mangled} if info.mangled else {}),
        }

    def _error(self, info, code, message, status, request_id, **extra) -> Response:
        return protocols.error_body(info, code, message, status, request_id, extra=extra or None)

    def _serve(self, environ, body, info, request_id) -> tuple[Response, Optional[str]]:
        """The answer to one AWS request, and the account it ran in (None if refused early)."""
        unsigned_ok = (info.service == "sts" and info.action in _UNSIGNED_STS and not environ.get("HTTP_AUTHORIZATION")
                       and "X-Amz-Signature" not in environ.get("QUERY_STRING", ""))
        if self.verify_signatures and not unsigned_ok:
            try:
                verified = sigv4_verify.verify_wsgi(environ, body, _dt.datetime.now(_dt.timezone.utc))
            except sigv4_verify.SignatureError as e:
                code, status = protocols.auth_error(info, e.code)
                return self._error(info, code, e.message, status, request_id), None
            info.access_key_id = verified.access_key_id
            info.region = verified.region
        if info.region and info.region not in self._regions:
            code, status = protocols.auth_error(info, "SignatureDoesNotMatch")
            message = f"Credential should be scoped to a valid region, not '{info.region}'."
            return self._error(info, code, message, status, request_id), None
        region = info.region = info.region or self.region_default
        if info.service not in protocols.SERVICES:
            message = f"The sandbox does not serve the service '{info.service}'."
            return self._error(info, "UnrecognizedClientException", message, 400, request_id), None

        decision = self.faults.decide(info.service, info.action)
        if decision.latency_s:
            time.sleep(decision.latency_s)  # injected latency, outside the state lock
        if decision.fault == "throttle":
            code, status = protocols.SERVICES[info.service].throttle
            return self._error(info, code, "Rate exceeded", status, request_id), None
        if decision.fault == "drop":
            raise DropConnection()
        if decision.fault == "mangle":
            info.mangle = (decision.mangle, decision.mangle_seed)
        if decision.fault == "error" and not decision.after:
            return self._server_error(info, decision.status, request_id), None
        refused = limits.refusal(info.service, info.action, self._form(environ, body), body)
        if refused is not None:
            code, message, status = refused
            return self._error(info, code, message, status, request_id), None
        response, account = self._dispatch(environ, body, info, region, request_id)
        if decision.fault == "error":
            # error_after: the request ran (a write took effect); its caller hears a 5xx all the same.
            return self._server_error(info, decision.status, request_id), account
        return response, account

    @staticmethod
    def _form(environ: dict, body: bytes) -> dict[str, str]:
        """A query-protocol request's parameters (body and query string), last value wins."""
        params = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if body and "json" not in environ.get("CONTENT_TYPE", ""):
            params.update(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
        return {k: v[-1] for k, v in params.items()}

    def _server_error(self, info, status_code: int, request_id: str) -> Response:
        svc = protocols.SERVICES[info.service]
        if status_code == 500:
            (code, status), message = svc.server_error, "We encountered an internal error. Please try again."
        else:
            (code, status), message = svc.unavailable, "Service is unavailable. Please try again."
        return self._error(info, code, message, status, request_id)

    def _dispatch(self, environ, body, info, region, request_id) -> tuple[Response, Optional[str]]:
        with self.lock:
            # moto's account lookup walks its backends: not while a reset rebuilds them.
            account = self._account(info.access_key_id, environ)
            self.scheduler.run_due()
            if info.service == "eks":
                return self._eks(environ, body, info, account, region, request_id), account
            if info.service == "ec2":
                return self._ec2(environ, body, info, account, region, request_id), account
            if info.service in ("elb", "elbv2"):
                return self._elb(environ, body, info, account, region, request_id), account
            if info.service == "ssm":
                self._seed_ssm(account, region)
            if info.service == "logs" and info.action == "DescribeLogGroups":
                served = self._logs_by_identifiers(body, info, account, region, request_id)
                if served is not None:
                    return served, account
            if info.service == "tagging" and info.action == "GetResources":
                served = self._tagging(body, info, account, region, request_id)
                if served is not None:
                    return served, account
            return self._moto(environ, body, info, region, request_id), account

    def _logs_by_identifiers(self, body, info, account, region, request_id) -> Optional[Response]:
        """DescribeLogGroups naming `logGroupIdentifiers` (moto ignores them); None leaves it to moto."""
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            return None
        try:
            answer = logs_ext.describe_log_groups(doc, account, region)
        except logs_ext.LogsError as e:
            return self._error(info, e.code, e.message, e.status, request_id)
        if answer is None:
            return None
        return 200, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(answer).encode()

    def _tagging(self, body, info, account, region, request_id) -> Optional[Response]:
        """GetResources for the types `tagging.py` serves; None leaves the request to moto."""
        from strata_sandbox.eks import Ctx

        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            return None
        if not tagging.serves(doc):
            return None
        def clusters(acct, rgn):
            return list(self.eks.state(Ctx(acct, rgn, "")).clusters.values())

        try:
            answer = tagging.get_resources(doc, account, region, clusters)
        except tagging.TaggingError as e:
            return self._error(info, e.code, e.message, e.status, request_id)
        return 200, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(answer).encode()

    def _ec2(self, environ, body, info, account, region, request_id) -> Response:
        self._seed_ssm(account, region)  # the EKS AMIs the SSM parameters name
        params = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True) if body else {}
        params.update(parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        flat = {k: v[-1] for k, v in params.items()}
        backend = self.ec2_backend(account, region)
        early = self.ec2x.before(info.action, flat, account, region, backend)
        if early is not None:
            code, message, status = early
            return self._error(info, code, message, status, request_id)
        replay = self.ec2x.replay(info.action, flat, account, region)
        if replay is not None:
            return replay
        status, headers, out = self._moto(environ, body, info, region, request_id)
        out = self.ec2x.after(info.action, flat, account, region, status, out, headers, backend)
        return status, headers, out

    def _elb(self, environ, body, info, account, region, request_id) -> Response:
        params = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True) if body else {}
        params.update(parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        flat = {k: v[-1] for k, v in params.items()}
        self.elbx.before(info.service, info.action, flat, account, region)
        status, headers, out = self._moto(environ, body, info, region, request_id)
        self.elbx.after(info.service, info.action, account, region, status)
        return status, headers, out

    def _eks(self, environ, body, info, account, region, request_id) -> Response:
        from strata_sandbox.eks import Ctx, EksError

        ctx = Ctx(account, region, self._caller_arn(info.access_key_id, account, region))
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        try:
            status, doc = self.eks.handle(
                environ.get("REQUEST_METHOD", "GET"), protocols.raw_path(environ), query, body, ctx)
        except EksError as e:
            fields = {k: v for k, v in e.fields.items() if v is not None}
            return self._error(info, e.code, e.message, e.status, request_id, **fields)
        return status, [("Content-Type", "application/json")], json.dumps(doc).encode()

    def _moto(self, environ, body, info, region, request_id) -> Response:
        env = dict(environ)
        env["wsgi.input"] = io.BytesIO(body)
        env["CONTENT_LENGTH"] = str(len(body))
        if not env.get("HTTP_AUTHORIZATION") or "Credential=" not in env.get("HTTP_AUTHORIZATION", ""):
            # moto picks the region (and account) from the credential scope; give it one.
            key = info.access_key_id or "test"
            env["HTTP_AUTHORIZATION"] = (
                f"AWS4-HMAC-SHA256 Credential={key}/{time.strftime('%Y%m%d')}/{region}/{info.service}/aws4_request, "
                "SignedHeaders=host, Signature=0"
            )
        captured: dict[str, Any] = {}

        def start_response(status_line, headers, exc_info=None):
            captured["status"] = int(status_line.split(" ", 1)[0])
            captured["headers"] = list(headers)
            return lambda data: None

        try:
            chunks = self._moto_app(info.service)(env, start_response)
            try:
                out = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close:
                    close()
        except NotImplementedError as e:
            code, message, status = protocols.unknown_operation(info)
            return self._error(info, code, f"{message} ({e})" if str(e) else message, status, request_id)
        except Exception as e:  # moto crashed: answer like AWS's 500, log the cause
            name = type(e).__name__
            if name in ("OperationNotFoundError",):
                code, message, status = protocols.unknown_operation(info)
                return self._error(info, code, message, status, request_id)
            print(f"sandbox: moto raised on {info.service}:{info.action}:", file=sys.stderr)
            traceback.print_exc()
            code, status = protocols.SERVICES[info.service].server_error
            return self._error(info, code, f"Internal error ({name}: {e})", status, request_id)
        return captured.get("status", 500), captured.get("headers", []), out

    def _finish(self, info, request_id, status, headers, out) -> Response:
        """Request id everywhere, AWS errors instead of HTML."""
        ctype = next((v for k, v in headers if k.lower() == "content-type"), "")
        head = out.lstrip()[:15].lower()
        # An S3 object is the user's bytes: never reinterpret or rewrite a successful S3 body.
        user_bytes = info.service == "s3" and status < 400
        html_error = ctype.startswith("text/html") and head.startswith(b"<") and status >= 400
        if not user_bytes and head.startswith((b"<!doctype", b"<html")) or html_error:
            text = out.decode("utf-8", "replace")
            if status in (404, 405) or "not been implemented" in text or "NotImplemented" in text:
                code, message, new_status = protocols.unknown_operation(info)
            else:
                svc = protocols.SERVICES.get(info.service)
                code, new_status = svc.server_error if svc else ("InternalFailure", 500)
                message = "Internal error"
            return protocols.error_body(info, code, message, new_status, request_id)
        if ctype.startswith("text/html") and not user_bytes:
            # moto labels many JSON and XML answers text/html; say what they are.
            svc = protocols.SERVICES.get(info.service)
            if head.startswith(b"<"):
                fixed = "text/xml"
            elif info.wire == "rest-json":
                fixed = "application/json"
            else:
                fixed = f"application/x-amz-json-{svc.json_version if svc else '1.1'}"
            headers = [(k, v) for k, v in headers if k.lower() != "content-type"] + [("Content-Type", fixed)]
        headers = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
        headers.append(("x-amzn-RequestId", request_id))
        if info.service == "s3":
            headers.append(("x-amz-request-id", request_id))  # where S3 clients read it
        if out and not user_bytes and ("xml" in ctype or out.lstrip().startswith(b"<")):
            out = _XML_REQUEST_ID.sub(lambda m: b"<%s>%s</%s>" % (m.group(1), request_id.encode(), m.group(1)), out)
        return status, headers, out


# moto derives service-linked role names from the service's host name (AWSServiceRoleForeks);
# these are the names AWS gives them. moto reads this table when it creates the role.
SERVICE_LINKED_ROLE_NAMES = {
    "eks": "AmazonEKS",
    "eks-nodegroup": "AmazonEKSNodegroup",
    "eks-fargate": "AmazonEKSForFargate",
    "eks-connector": "AmazonEKSConnector",
    "spot": "EC2Spot",
    "spotfleet": "EC2SpotFleet",
    "elasticloadbalancing": "ElasticLoadBalancing",
    "ssm": "AmazonSSM",
}


def _real_service_linked_role_names() -> None:
    from moto.iam import models as iam_models

    iam_models.SERVICE_NAME_CONVERSION.update(SERVICE_LINKED_ROLE_NAMES)


def _eks_operation(method: str, path: str) -> Optional[str]:
    from strata_sandbox.eks import operation_name

    return operation_name(method, path)
