#!/usr/bin/env bash
# Rollout benchmark (issue #13): stacks/prod rolled 1.30 -> 1.31 three ways on a fresh sandbox
# each, with the same seeded workload: strata blue/green, strata rolling (EKS's managed update),
# and a replace-the-group tool. Reports the rollout's wall time over its physical limit and,
# side by side, PDB violations, lost pods and seconds below budget (rollout.py says how each is
# measured). Figures in README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
STRATA=${STRATA:-.build/release/strata}
[ -x "$STRATA" ] || swift build -c release --product strata
TIME_SCALE=${TIME_SCALE:-0.02}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true AWS_PROFILE= AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
export STRATA_POLL_INTERVAL_MS=${STRATA_POLL_INTERVAL_MS:-50}
python3 benchmarks/rollout.py "$STRATA" "$TIME_SCALE" "$WORK"
