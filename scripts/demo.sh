#!/usr/bin/env bash
# `make demo`: start the local AWS sandbox, run strata's whole cycle on stacks/demo against it
# (validate, plan, apply, plan again = no changes, output, destroy), stop the sandbox.
# Everything it starts is stopped on the way out, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

STRATA=.build/debug/strata
PORT=${SANDBOX_PORT:-4599}
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
# The sandbox runs AWS's lifecycles on a scaled clock: poll it often.
export STRATA_POLL_INTERVAL_MS=${STRATA_POLL_INTERVAL_MS:-100}
EVENTS=$(mktemp -t strata-demo-events.XXXXXX.jsonl)

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

trap 'make -s sandbox-stop SANDBOX_PORT=$PORT' EXIT
step "starting the local AWS sandbox on $AWS_ENDPOINT_URL (signatures verified)"
make -s sandbox SANDBOX_PORT="$PORT"

step "strata validate stacks/demo"
"$STRATA" validate stacks/demo

step "strata aws request sts GetCallerIdentity   (a signed call, checked by the sandbox)"
"$STRATA" aws request sts GetCallerIdentity

step "strata plan stacks/demo"
"$STRATA" plan stacks/demo

step "strata apply stacks/demo --auto-approve --events $EVENTS"
"$STRATA" apply stacks/demo --auto-approve --events "$EVENTS"
echo "($(wc -l <"$EVENTS") events written to $EVENTS)"

step "strata plan stacks/demo --detailed-exitcode   (exit 0: nothing left to change)"
"$STRATA" plan stacks/demo --detailed-exitcode

step "strata output stacks/demo"
"$STRATA" output stacks/demo

step "strata destroy stacks/demo --auto-approve"
"$STRATA" destroy stacks/demo --auto-approve

step "strata plan stacks/demo   (after destroy: everything to create again)"
"$STRATA" plan stacks/demo | tail -n 1

step "done: the sandbox is stopped on exit"
