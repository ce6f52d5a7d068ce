#!/usr/bin/env bash
# Plan benchmark (issue #5): the AWS calls and wall time of a no-op plan of stacks/prod, strata
# against Terraform, each on a fresh sandbox of its own at the same time scale.
#   strata:    `strata apply stacks/prod`, then RUNS x `strata plan` (must say no changes);
#   terraform: `terraform apply` of the equivalent configuration (benchmarks/terraform/prod),
#              then RUNS x `terraform plan` (must say no changes).
# Calls are counted in the sandbox's request log (by action), cleared before each plan; strata's
# are also attributed to the resource types they serve (plan_calls.py) against the goal of at
# most 2 calls per resource type present, plus pages. Times are the command's wall time and the
# span of its AWS calls in the log. Nothing is written into the repository: sandboxes, terraform
# state and data directory live in a temporary directory removed at exit. Figures in README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/terraform/lib.sh
STRATA=${STRATA:-.build/release/strata}
[ -x "$STRATA" ] || swift build -c release --product strata
STACK=stacks/prod # the Terraform configuration mirrors this stack
TIME_SCALE=${TIME_SCALE:-0.001}
RUNS=${RUNS:-3}
WORK=$(mktemp -d)
trap 'stop_sandboxes; rm -rf "$WORK"' EXIT

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_PROFILE= AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
export NO_COLOR=1

# plan_runs TOOL URL COMMAND...: RUNS plans, each with a cleared request log; writes
# $WORK/TOOL-N.json (the log), $WORK/TOOL-N.kube-before/after.json (the requests the prod
# cluster's Kubernetes API had served) and $WORK/TOOL.times (wall seconds, exit status per run).
plan_runs() {
  local tool=$1 url=$2 run start end status
  shift 2
  : >"$WORK/$tool.times"
  for run in $(seq 1 "$RUNS"); do
    curl -s -X DELETE "$url/_sandbox/requests" >/dev/null
    curl -s "$url/_sandbox/kube/clusters/us-east-1/prod/requests" >"$WORK/$tool-$run.kube-before.json"
    start=$(seconds)
    "$@" >"$WORK/$tool-$run.out" 2>&1 && status=0 || status=$?
    end=$(seconds)
    curl -s "$url/_sandbox/requests" >"$WORK/$tool-$run.json"
    curl -s "$url/_sandbox/kube/clusters/us-east-1/prod/requests" >"$WORK/$tool-$run.kube-after.json"
    echo "$start $end $status" >>"$WORK/$tool.times"
    [ "$status" = 0 ] || [ "$status" = 2 ] || { echo "$tool plan failed (exit $status):"; tail -30 "$WORK/$tool-$run.out"; exit 1; }
  done
}

# --- strata ---------------------------------------------------------------------------------
PORT=$(free_port)
start_sandbox "$PORT" "$TIME_SCALE" "$WORK/sandbox-strata.log"
URL="http://127.0.0.1:$PORT"
AWS_ENDPOINT_URL=$URL "$STRATA" apply "$STACK" --auto-approve >"$WORK/strata-apply.txt" 2>&1 \
  || { tail -30 "$WORK/strata-apply.txt"; exit 1; }
"$STRATA" graph "$STACK" --format json >"$WORK/graph.json"
plan_runs strata "$URL" env AWS_ENDPOINT_URL="$URL" "$STRATA" plan "$STACK" --detailed-exitcode --json
stop_sandboxes

# --- terraform ------------------------------------------------------------------------------
if terraform_available; then
  PORT=$(free_port)
  start_sandbox "$PORT" "$TIME_SCALE" "$WORK/sandbox-terraform.log"
  URL="http://127.0.0.1:$PORT"
  tf_prepare "$WORK/tf"
  tf apply -auto-approve -no-color -parallelism=10 -var "endpoint=$URL" >"$WORK/terraform-apply.txt" 2>&1 \
    || { tail -30 "$WORK/terraform-apply.txt"; exit 1; }
  plan_runs terraform "$URL" tf plan -detailed-exitcode -no-color -parallelism=10 -var "endpoint=$URL"
  stop_sandboxes
else
  echo "terraform or its AWS provider ($TF_PLUGIN_DIR) is not installed offline: strata only"
fi

python3 - "$WORK" "$RUNS" "$TIME_SCALE" <<'PY'
import json, os, statistics, sys
from collections import Counter
from datetime import datetime

work, runs, scale = sys.argv[1], int(sys.argv[2]), sys.argv[3]
graph = json.load(open(f"{work}/graph.json"))
types = Counter(r["type"] for r in graph["resources"])

def ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

def tool(name):
    if not os.path.exists(f"{work}/{name}.times"):
        return None
    times = [line.split() for line in open(f"{work}/{name}.times")]
    logs = [json.load(open(f"{work}/{name}-{n}.json"))["requests"] for n in range(1, runs + 1)]
    spans = [max(ts(r["start"]) + r["duration_ms"] / 1000 for r in log) - min(ts(r["start"]) for r in log) for log in logs]
    def kube(n):
        before = json.load(open(f"{work}/{name}-{n}.kube-before.json")).get("requests", [])
        after = json.load(open(f"{work}/{name}-{n}.kube-after.json")).get("requests", [])
        return [f'{r["method"]} {r["path"]}' for r in after[len(before):]]
    return {
        "kube": [kube(n) for n in range(1, runs + 1)],
        "calls": [len(log) for log in logs],
        "by_action": Counter(f'{r["service"]}/{r["action"]}' for r in logs[0]),
        "wall": [float(e) - float(s) for s, e, _ in times],
        "span": spans,
        "status": [int(st) for _, _, st in times],
    }

def rng(values):
    return f"{min(values):.2f}-{max(values):.2f} s" if len(values) > 1 else f"{values[0]:.2f} s"

def verdict(status):
    return "no changes" if set(status) == {0} else "NOT a no-op (exit 2): see the plan output"

s, t = tool("strata"), tool("terraform")
print(f"stack: stacks/prod  resources: {sum(types.values())}  resource types: {len(types)}  "
      f"(time scale {scale}, {runs} plans per tool, each on its own fresh sandbox)")
print(f"{'':<40} {'AWS calls':>9} {'per resource':>12}  {'wall':>15}  {'AWS-call span':>15}")
print(f"{'strata plan after strata apply':<40} {s['calls'][0]:>9} {s['calls'][0] / sum(types.values()):>12.2f}  "
      f"{rng(s['wall']):>15}  {rng(s['span']):>15}  {verdict(s['status'])}")
if t:
    n = sum(v for k, v in types.items() if k != "kubernetes_manifest")
    print(f"{'terraform plan after terraform apply':<40} {t['calls'][0]:>9} {t['calls'][0] / n:>12.2f}  "
          f"{rng(t['wall']):>15}  {rng(t['span']):>15}  {verdict(t['status'])} ({n} resources: no kubernetes_manifest)")
    ratio = lambda a, b: statistics.median(a) / statistics.median(b)
    print(f"ratio terraform / strata: calls {t['calls'][0] / s['calls'][0]:.2f}x, "
          f"wall {ratio(t['wall'], s['wall']):.1f}x, AWS-call span {ratio(t['span'], s['span']):.1f}x (medians)")
print(f"strata's Kubernetes API calls per plan (cluster prod, {types['kubernetes_manifest']} manifests): "
      f"{len(s['kube'][0])}: " + ", ".join(sorted(set(s['kube'][0]))))
for name, d in (("strata", s), ("terraform", t)):
    if d and len(set(d["calls"])) > 1:
        print(f"note: {name}'s call count varied between runs: {d['calls']}")
print()
print("strata's calls by the resource types they serve (first plan):")
sys.stdout.flush()
os.system(f"python3 benchmarks/plan_calls.py {work}/graph.json {work}/strata-1.json | sed 's/^/  /'")
if t:
    print("terraform's calls by action (first plan):")
    items = sorted(t["by_action"].items())
    for i in range(0, len(items), 6):
        print("  " + " ".join(f"{k}={v}" for k, v in items[i:i + 6]))
PY
