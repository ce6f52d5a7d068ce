#!/usr/bin/env bash
# Where a no-op plan's wall time goes (issue #12): for stacks/prod and the synthetic stack of about
# RESOURCES (default 490; 0 skips it) EC2 resources of apply_large.sh (compile_stack.py),
# `strata apply STACK` on a sandbox of its own, then RUNS x `strata plan STACK --events FILE`
# (each must say no changes);
# each plan's `run.profile` event splits its wall time into compile (loading the files and every
# evaluation of the program), AWS calls, Kubernetes API calls (while at least one of the kind is
# in flight) and the rest. Prints the median of each part, in seconds and as a fraction of the
# whole, and the compile and evaluation counts. Nothing is written into the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
. benchmarks/terraform/lib.sh
bench_start
TIME_SCALE=${TIME_SCALE:-0.001} RUNS=${RUNS:-5} RESOURCES=${RESOURCES:-490}
export STRATA_POLL_INTERVAL_MS=50

# profile STACK: apply it on a fresh sandbox, RUNS no-op plans, their medians.
profile() {
  local stack=$1 port run status
  port=$(free_port)
  start_sandbox "$port" "$TIME_SCALE" "$WORK/sandbox.log"
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  "$STRATA" apply "$stack" --auto-approve >"$WORK/apply.txt" 2>&1 || { tail -30 "$WORK/apply.txt"; exit 1; }
  rm -f "$WORK"/plan-*.jsonl
  for run in $(seq 1 "$RUNS"); do
    status=0
    "$STRATA" plan "$stack" --detailed-exitcode --events "$WORK/plan-$run.jsonl" >"$WORK/plan-$run.txt" 2>&1 || status=$?
    [ "$status" = 0 ] || { echo "plan $run is not a no-op plan (exit $status):"; tail -30 "$WORK/plan-$run.txt"; exit 1; }
  done
  stop_sandboxes
  python3 - "$WORK" "$RUNS" "$stack" <<'PY'
import json, statistics, sys

work, runs, stack = sys.argv[1], int(sys.argv[2]), sys.argv[3]
profiles = []
for run in range(1, runs + 1):
    for line in open(f"{work}/plan-{run}.jsonl"):
        event = json.loads(line)
        if event["kind"] == "run.profile":
            profiles.append(event["payload"])
median = lambda key: statistics.median(float(p[key]) for p in profiles)
print(f"no-op plan of {stack}, {runs} runs (medians):")
print(f"  compiles {median('compiles'):.0f}, evaluations {median('evaluations'):.0f}, "
      f"AWS calls {median('awsCalls'):.0f}, Kubernetes API calls {median('kubernetesCalls'):.0f}")
print(f"  wall {median('totalSeconds'):.3f} s")
for part in ("compile", "aws", "kubernetes", "rest"):
    print(f"  {part:<11} {median(part + 'Seconds'):.3f} s  {median(part + 'Fraction'):.2f}")
PY
}

profile stacks/prod
if [ "$RESOURCES" -gt 0 ]; then
  python3 benchmarks/compile_stack.py "$RESOURCES" "$WORK/large" --region us-east-1 >/dev/null
  profile "$WORK/large"
fi
