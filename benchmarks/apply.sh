#!/usr/bin/env bash
# Apply benchmark: applies stacks/prod on a fresh sandbox at a fixed time scale with --events,
# then compares the wall time of the apply with its critical path (the longest chain of
# operation durations along the executor's edges, from the events: apply_critical_path.py).
# Goal: wall / critical path <= 1.1 (the walk starts each operation the moment its own
# dependencies finish, so only the critical path should count). Figures in README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
STRATA=${STRATA:-.build/release/strata}
[ -x "$STRATA" ] || swift build -c release --product strata
STACK=${STACK:-stacks/prod}
TIME_SCALE=${TIME_SCALE:-0.02}
RUNS=${RUNS:-3}
PORT=${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
if (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then echo "port $PORT is taken"; exit 1; fi
WORK=$(mktemp -d)
URL="http://127.0.0.1:$PORT"

python3 sandbox/run --port "$PORT" --time-scale "$TIME_SCALE" >"$WORK/sandbox.log" 2>&1 &
SANDBOX=$!
trap 'kill "$SANDBOX" 2>/dev/null; wait "$SANDBOX" 2>/dev/null; rm -rf "$WORK"' EXIT
python3 sandbox/wait_ready.py "$URL" 60 >/dev/null
kill -0 "$SANDBOX" 2>/dev/null || { echo "the sandbox did not start:"; cat "$WORK/sandbox.log"; exit 1; }

export AWS_ENDPOINT_URL="$URL" AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_PROFILE= AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
export NO_COLOR=1 STRATA_POLL_INTERVAL_MS=${STRATA_POLL_INTERVAL_MS:-50}

echo "apply benchmark: $STACK on a fresh sandbox, time scale $TIME_SCALE, $RUNS runs (apply, then destroy)"
printf '%-4s %8s %14s %7s %5s\n' run wall critical ratio ops
for run in $(seq 1 "$RUNS"); do
  "$STRATA" apply "$STACK" --auto-approve --events "$WORK/events-$run.jsonl" >"$WORK/apply-$run.txt" 2>&1 \
    || { tail -30 "$WORK/apply-$run.txt"; exit 1; }
  read -r wall critical ratio ops chain < <(python3 benchmarks/apply_critical_path.py "$WORK/events-$run.jsonl")
  printf '%-4s %7ss %13ss %7s %5s\n' "$run" "$wall" "$critical" "$ratio" "$ops"
  [ "$run" = 1 ] && echo "     critical path: $chain"
  "$STRATA" destroy "$STACK" --auto-approve >"$WORK/destroy-$run.txt" 2>&1 || { tail -30 "$WORK/destroy-$run.txt"; exit 1; }
done
if command -v terraform >/dev/null 2>&1 && [ -d "${TF_PLUGIN_DIR:-/opt/tf-plugins}" ]; then
  echo "terraform and a provider directory are present, but no Terraform configuration equivalent to $STACK exists here to apply: not compared"
else
  echo "terraform and its AWS provider are not available offline: no Terraform comparison"
fi
