"""Command line: serve the sandbox on 127.0.0.1 in the foreground."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading

# Tests and the demo want AWS's order of events, not its wall-clock: a cluster in ~5 s.
DEFAULT_SCALE = 0.01


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="sandbox/run", description="strata's local AWS (moto + extensions) on loopback")
    p.add_argument("--port", type=int, required=True, help="TCP port on 127.0.0.1")
    p.add_argument("--time-scale", type=float,
                   default=float(os.environ.get("STRATA_SANDBOX_TIME_SCALE", DEFAULT_SCALE)),
                   help="multiply AWS lifecycle durations by this; 1 is AWS's pace (a cluster takes ~9 min). "
                   f"Default {DEFAULT_SCALE} (5.4 s), or $STRATA_SANDBOX_TIME_SCALE")
    p.add_argument("--verify-signatures", action="store_true", help="check SigV4 on every AWS request")
    p.add_argument("--region-default", default="us-east-1", help="region for requests that do not name one")
    args = p.parse_args(argv)
    if args.time_scale <= 0:
        p.error("--time-scale must be positive")
    if not 0 < args.port < 65536:
        p.error("--port must be 1..65535")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # moto reads these at import time.
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    # moto's own signature check rejects body-less GETs and checks neither payload nor clock;
    # the sandbox verifies signatures itself (--verify-signatures), so moto's stays off.
    os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "inf"
    os.environ.setdefault("AWS_DEFAULT_REGION", args.region_default)
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")

    from werkzeug.serving import WSGIRequestHandler, make_server

    from strata_sandbox.app import Sandbox

    class Handler(WSGIRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: every response carries a Content-Length

        def log_request(self, code="-", size="-"):  # the request log is at /_sandbox/requests
            pass

    sandbox = Sandbox(time_scale=args.time_scale, verify_signatures=args.verify_signatures,
                      region_default=args.region_default)
    sandbox.reset()
    try:
        server = make_server("127.0.0.1", args.port, sandbox, threaded=True, request_handler=Handler)
    except OSError as e:
        sandbox.scheduler.stop()
        print(f"sandbox: cannot listen on 127.0.0.1:{args.port}: {e.strerror or e}", file=sys.stderr)
        return 1
    server.daemon_threads = True

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"sandbox listening on http://127.0.0.1:{args.port} (verify_signatures={args.verify_signatures}, "
          f"time_scale={args.time_scale})", flush=True)
    try:
        server.serve_forever()
    finally:
        sandbox.scheduler.stop()
        try:
            sandbox.kube.reset()
        except Exception:
            pass
        server.server_close()
    return 0
