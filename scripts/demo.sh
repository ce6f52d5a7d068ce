#!/usr/bin/env bash
# `make demo`: start the local AWS sandbox, run strata on stacks/demo against it, stop the sandbox.
# Everything it starts is stopped on the way out, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

STRATA=.build/debug/strata
PORT=${SANDBOX_PORT:-4599}
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

trap 'make -s sandbox-stop SANDBOX_PORT=$PORT' EXIT
step "starting the local AWS sandbox on $AWS_ENDPOINT_URL (signatures verified)"
make -s sandbox SANDBOX_PORT="$PORT"

step "strata validate stacks/demo"
"$STRATA" validate stacks/demo

step "strata graph stacks/demo --format dot"
"$STRATA" graph stacks/demo --format dot

step "strata aws request sts GetCallerIdentity   (a signed call, checked by the sandbox)"
"$STRATA" aws request sts GetCallerIdentity

step "strata aws request ec2 DescribeAvailabilityZones"
"$STRATA" aws request ec2 DescribeAvailabilityZones

step "strata eks-token --cluster demo   (a kubectl ExecCredential)"
"$STRATA" eks-token --cluster demo

step "done: the sandbox is stopped on exit"
