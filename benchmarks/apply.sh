#!/usr/bin/env bash
# Apply benchmark (issue #6): applies stacks/prod at a fixed time scale and compares the wall
# time of the apply with its critical path (the longest chain of operation durations along the
# tool's own dependency edges: apply_critical_path.py), then does the same for Terraform applying
# the equivalent configuration (benchmarks/terraform/prod) on a fresh sandbox at the same time
# scale, both with parallelism 10. Goal for strata: wall / critical path <= 1.1. Each run is an
# apply and a destroy; the sandboxes, terraform state and data directory live in a temporary
# directory removed at exit. Figures in README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/terraform/lib.sh
STRATA=${STRATA:-.build/release/strata}
[ -x "$STRATA" ] || swift build -c release --product strata
STACK=stacks/prod # the Terraform configuration mirrors this stack
TIME_SCALE=${TIME_SCALE:-0.02}
RUNS=${RUNS:-3}
TF_RUNS=${TF_RUNS:-$RUNS}
WORK=$(mktemp -d)
trap 'stop_sandboxes; rm -rf "$WORK"' EXIT

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_PROFILE= AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
export NO_COLOR=1 STRATA_POLL_INTERVAL_MS=${STRATA_POLL_INTERVAL_MS:-50}

echo "apply benchmark: $STACK, time scale $TIME_SCALE, parallelism 10, a fresh sandbox per tool"
echo "wall = first operation started -> last finished; command = the whole command (plan, start-up)"
printf '%-10s %-4s %8s %9s %9s %7s %4s\n' tool run command wall critical ratio ops
: >"$WORK/results"

PORT=$(free_port)
start_sandbox "$PORT" "$TIME_SCALE" "$WORK/sandbox-strata.log"
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT"
for run in $(seq 1 "$RUNS"); do
  start=$(seconds)
  "$STRATA" apply "$STACK" --auto-approve --parallelism 10 --events "$WORK/events-$run.jsonl" >"$WORK/apply-$run.txt" 2>&1 \
    || { tail -30 "$WORK/apply-$run.txt"; exit 1; }
  end=$(seconds)
  read -r wall critical ratio ops chain < <(python3 benchmarks/apply_critical_path.py "$WORK/events-$run.jsonl")
  command=$(python3 -c "print(f'{$end - $start:.2f}')")
  printf '%-10s %-4s %7ss %8ss %8ss %7s %4s\n' strata "$run" "$command" "$wall" "$critical" "$ratio" "$ops"
  echo "strata $command $wall $critical $ratio" >>"$WORK/results"
  [ "$run" = 1 ] && echo "     critical path: $chain"
  "$STRATA" destroy "$STACK" --auto-approve >"$WORK/destroy-$run.txt" 2>&1 || { tail -30 "$WORK/destroy-$run.txt"; exit 1; }
done
stop_sandboxes
unset AWS_ENDPOINT_URL

if terraform_available; then
  PORT=$(free_port)
  start_sandbox "$PORT" "$TIME_SCALE" "$WORK/sandbox-terraform.log"
  URL="http://127.0.0.1:$PORT"
  tf_prepare "$WORK/tf"
  for run in $(seq 1 "$TF_RUNS"); do
    start=$(seconds)
    tf apply -json -auto-approve -parallelism=10 -var "endpoint=$URL" >"$WORK/tf-apply-$run.jsonl" 2>"$WORK/tf-apply-$run.err" \
      || { tail -c 3000 "$WORK/tf-apply-$run.jsonl"; cat "$WORK/tf-apply-$run.err"; exit 1; }
    end=$(seconds)
    tf show -json >"$WORK/tf-state-$run.json"
    read -r wall critical ratio ops chain < <(python3 benchmarks/apply_critical_path.py --terraform "$WORK/tf-apply-$run.jsonl" "$WORK/tf-state-$run.json")
    command=$(python3 -c "print(f'{$end - $start:.2f}')")
    printf '%-10s %-4s %7ss %8ss %8ss %7s %4s\n' terraform "$run" "$command" "$wall" "$critical" "$ratio" "$ops"
    echo "terraform $command $wall $critical $ratio" >>"$WORK/results"
    [ "$run" = 1 ] && echo "     critical path: $chain"
    tf destroy -auto-approve -no-color -parallelism=10 -var "endpoint=$URL" >"$WORK/tf-destroy-$run.txt" 2>&1 \
      || { tail -30 "$WORK/tf-destroy-$run.txt"; exit 1; }
  done
  stop_sandboxes
  python3 - "$WORK/results" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
med = lambda tool, i: statistics.median(float(r[i]) for r in rows if r[0] == tool)
print(f"ratio terraform / strata (medians): wall {med('terraform', 2) / med('strata', 2):.2f}x, "
      f"command {med('terraform', 1) / med('strata', 1):.2f}x, critical path {med('terraform', 3) / med('strata', 3):.2f}x")
print(f"wall / critical path (medians): strata {med('strata', 4):.3f}, terraform {med('terraform', 4):.3f}")
PY
else
  echo "terraform or its AWS provider ($TF_PLUGIN_DIR) is not installed offline: no Terraform comparison"
fi
