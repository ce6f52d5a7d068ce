#!/usr/bin/env bash
# Plan benchmark: applies stacks/prod on a fresh sandbox, then times a no-op `strata plan` and
# counts its AWS calls in the sandbox's request log, beside the stack's resource count and
# resource-type count. If terraform and the AWS provider are available offline
# (TF_PLUGIN_DIR, default /opt/tf-plugins; nothing is downloaded), it also reads the same live
# resources the way Terraform refreshes them (benchmarks/plan_terraform.py) and prints the ratio.
# Figures and their reading are in README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
STRATA=${STRATA:-.build/release/strata}
[ -x "$STRATA" ] || swift build -c release --product strata
STACK=${STACK:-stacks/prod}
# A port nobody listens on: the benchmark must never talk to someone else's sandbox.
PORT=${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
if (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then echo "port $PORT is taken"; exit 1; fi
WORK=$(mktemp -d)
URL="http://127.0.0.1:$PORT"

python3 sandbox/run --port "$PORT" --time-scale 0.001 >"$WORK/sandbox.log" 2>&1 &
SANDBOX=$!
trap 'kill "$SANDBOX" 2>/dev/null; wait "$SANDBOX" 2>/dev/null; rm -rf "$WORK"' EXIT
python3 sandbox/wait_ready.py "$URL" 60 >/dev/null
kill -0 "$SANDBOX" 2>/dev/null || { echo "the sandbox did not start:"; cat "$WORK/sandbox.log"; exit 1; }

export AWS_ENDPOINT_URL="$URL" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_PROFILE= AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
export NO_COLOR=1

requests() { # -> number of AWS requests in the log, and a per-action breakdown in $WORK/$1.json
  curl -s "$URL/_sandbox/requests" >"$WORK/$1.json"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["requests"] if isinstance(d, dict) else d))' "$WORK/$1.json"
}
seconds() { python3 -c 'import time; print(f"{time.monotonic():.3f}")'; }

"$STRATA" apply "$STACK" --auto-approve >"$WORK/apply.txt" 2>&1 || { cat "$WORK/apply.txt"; exit 1; }
"$STRATA" graph "$STACK" --format json >"$WORK/graph.json"
read -r resources types < <(python3 -c '
import json, sys
g = json.load(open(sys.argv[1]))
print(len(g["resources"]), len({r["type"] for r in g["resources"]}))' "$WORK/graph.json")

curl -s -X DELETE "$URL/_sandbox/requests" >/dev/null
start=$(seconds)
"$STRATA" plan "$STACK" --detailed-exitcode --json >"$WORK/plan.json" && status=0 || status=$?
end=$(seconds)
calls=$(requests strata)
case "$status" in
  0) verdict="no changes" ;;
  2) verdict="NOT a no-op: $(python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
print(", ".join(r["address"] + " " + "/".join(r["change"]["actions"]) for r in p["resource_changes"] if r["change"]["actions"] != ["no-op"]))' "$WORK/plan.json")" ;;
  *) echo "strata plan failed (exit $status)"; exit 1 ;;
esac
plan_s=$(python3 -c "print(f'{$end - $start:.2f}')")
providers=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); reqs = d["requests"] if isinstance(d, dict) else d
from collections import Counter
c = Counter(r["service"] + "/" + r["action"] for r in reqs)
print(" ".join(f"{k}={v}" for k, v in sorted(c.items())))' "$WORK/strata.json")

echo "stack: $STACK  resources: $resources  resource types: $types"
echo "strata plan after apply: $calls AWS calls, $plan_s s ($verdict)"
echo "calls by action: $providers"

if command -v terraform >/dev/null && [ -d "${TF_PLUGIN_DIR:-/opt/tf-plugins}/registry.terraform.io/hashicorp/aws" ]; then
  python3 benchmarks/plan_terraform.py "$WORK/plan.json" "$WORK/terraform" "$URL" "${TF_PLUGIN_DIR:-/opt/tf-plugins}" "$calls" "$plan_s"
else
  echo "terraform comparison skipped: terraform or its AWS provider is not available offline"
fi
