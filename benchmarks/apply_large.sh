#!/usr/bin/env bash
# Large apply benchmark (issue 10): apply and destroy of a synthetic stack of about RESOURCES
# (default 490) EC2 resources — compile_stack.py's cells: per cell a VPC, 32 subnets, a route
# table, 32 associations and 32 security groups — by strata and by Terraform (the twin
# compile_stack.py writes with --terraform), each on a fresh sandbox of its own, both with
# parallelism 10. Reported per tool: the command's wall time and its AWS calls (all, EC2 writes,
# answers that were errors) from the sandbox's request log, cleared before each command; then the
# ratios strata / Terraform. strata runs once per variant in STRATA_VARIANTS (default
# "standard adaptive unlimited"): AWS_RETRY_MODE=standard or adaptive, and "unlimited" for
# standard with STRATA_CLIENT_RATE_LIMITS=off (no client-side buckets: what the client itself
# costs). STRATA=path compares another build (an older one ignores both settings). Everything
# lives in a temporary directory removed at exit. Figures in README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/terraform/lib.sh
STRATA=${STRATA:-.build/release/strata}
[ -x "$STRATA" ] || swift build -c release --product strata
RESOURCES=${RESOURCES:-490}
TIME_SCALE=${TIME_SCALE:-0.001} # no EKS or NAT here: nothing waits on the sandbox's clock
STRATA_VARIANTS=${STRATA_VARIANTS:-standard adaptive unlimited}
WORK=$(mktemp -d)
trap 'stop_sandboxes; rm -rf "$WORK"' EXIT

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_PROFILE= AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
export NO_COLOR=1

# us-east-1: the sandbox knows six zones there, as many as strata's `zones` names.
count=$(python3 benchmarks/compile_stack.py "$RESOURCES" "$WORK/stack" --region us-east-1 --terraform "$WORK/terraform")
echo "large apply benchmark: $count resources ($WORK/stack), parallelism 10, a fresh sandbox per run"
: >"$WORK/results"

# timed NAME URL COMMAND...: runs COMMAND with the request log cleared first; records its wall
# time and saves the log as $WORK/NAME.json.
timed() {
  local name=$1 url=$2 start end
  shift 2
  curl -s -X DELETE "$url/_sandbox/requests" >/dev/null
  start=$(seconds)
  "$@" >"$WORK/$name.out" 2>&1 || { echo "$name failed:"; tail -30 "$WORK/$name.out"; exit 1; }
  end=$(seconds)
  curl -s "$url/_sandbox/requests" >"$WORK/$name.json"
  echo "$name $start $end" >>"$WORK/results"
}

for variant in $STRATA_VARIANTS; do
  case $variant in
    standard | adaptive) mode=$variant limits=aws ;;
    unlimited) mode=standard limits=off ;;
    *) echo "unknown variant $variant (standard, adaptive, unlimited)" >&2; exit 1 ;;
  esac
  PORT=$(free_port)
  start_sandbox "$PORT" "$TIME_SCALE" "$WORK/sandbox-strata-$variant.log"
  URL="http://127.0.0.1:$PORT"
  export AWS_ENDPOINT_URL=$URL AWS_RETRY_MODE=$mode STRATA_CLIENT_RATE_LIMITS=$limits
  timed "strata-$variant-apply" "$URL" "$STRATA" apply "$WORK/stack" --auto-approve --parallelism 10
  timed "strata-$variant-destroy" "$URL" "$STRATA" destroy "$WORK/stack" --auto-approve --parallelism 10
  unset AWS_ENDPOINT_URL AWS_RETRY_MODE STRATA_CLIENT_RATE_LIMITS
  stop_sandboxes
done

if terraform_available; then
  PORT=$(free_port)
  start_sandbox "$PORT" "$TIME_SCALE" "$WORK/sandbox-terraform.log"
  URL="http://127.0.0.1:$PORT"
  tf_prepare "$WORK/tf" "$WORK/terraform"
  # The twin must manage what strata manages, address for address.
  "$STRATA" graph "$WORK/stack" --format json >"$WORK/graph.json"
  tf plan -no-color -var "endpoint=$URL" -out "$WORK/tf.plan" >"$WORK/tf-plan.txt" 2>&1 || { cat "$WORK/tf-plan.txt"; exit 1; }
  tf show -json "$WORK/tf.plan" >"$WORK/tf-plan.json"
  python3 benchmarks/terraform/addresses.py "$WORK/graph.json" "$WORK/tf-plan.json"
  timed terraform-apply "$URL" tf apply -auto-approve -no-color -parallelism=10 -var "endpoint=$URL"
  timed terraform-destroy "$URL" tf destroy -auto-approve -no-color -parallelism=10 -var "endpoint=$URL"
  stop_sandboxes
else
  echo "terraform or its AWS provider ($TF_PLUGIN_DIR) is not installed offline: strata only"
fi

python3 - "$WORK" <<'PY'
import json, sys
from collections import Counter
from datetime import datetime

work = sys.argv[1]
READS = ("Describe", "List", "Get")
def ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def spans(log, writes):
    """Per EC2 write action: when its first call started and its last ended, in seconds from
    the command's first call."""
    if not log:
        return {}
    origin = min(ts(r["start"]) for r in log)
    out = {}
    for r in writes:
        start, end = ts(r["start"]) - origin, ts(r["start"]) + r["duration_ms"] / 1000 - origin
        first, last = out.get(r["action"], (start, end))
        out[r["action"]] = (min(first, start), max(last, end))
    return out


runs = {}
for line in open(f"{work}/results"):
    name, start, end = line.split()
    log = json.load(open(f"{work}/{name}.json"))["requests"]
    ec2_writes = [r for r in log if r["service"] == "ec2" and not r["action"].startswith(READS)]
    runs[name] = {
        "wall": float(end) - float(start),
        "calls": len(log),
        "writes": len(ec2_writes),
        "errors": sum(1 for r in log if r["status"] >= 400 or r["status"] == 0),
        "actions": Counter(r["action"] for r in ec2_writes),
        "error_kinds": Counter(f'{r["action"]} {r["status"]}' for r in log if r["status"] >= 400 or r["status"] == 0),
        "spans": spans(log, ec2_writes),
    }

print(f"{'':<28} {'wall':>8} {'AWS calls':>10} {'EC2 writes':>11} {'errors':>7}")
for name, r in runs.items():
    print(f"{name:<28} {r['wall']:>7.1f}s {r['calls']:>10} {r['writes']:>11} {r['errors']:>7}")
for phase in ("apply", "destroy"):
    tf = runs.get(f"terraform-{phase}")
    if not tf:
        continue
    for name, r in runs.items():
        if name.startswith("strata-") and name.endswith(f"-{phase}"):
            print(f"ratio {name} / terraform-{phase}: wall {r['wall'] / tf['wall']:.2f}x, "
                  f"AWS calls {r['calls'] / tf['calls']:.2f}x")
for name, r in runs.items():
    print(f"{name}: EC2 writes (calls, from-to seconds after the first call): " + ", ".join(
        f"{a} {n} ({r['spans'][a][0]:.1f}-{r['spans'][a][1]:.1f})" for a, n in sorted(r["actions"].items())))
    if r["error_kinds"]:
        print(f"{name}: error answers: " + ", ".join(f"{k} x{n}" for k, n in r["error_kinds"].most_common(6)))
PY
