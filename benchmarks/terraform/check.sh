#!/usr/bin/env bash
# Checks that benchmarks/terraform/prod is equivalent to stacks/prod by address: `terraform
# validate` passes, and the resource addresses of `terraform plan` (against a sandbox of its
# own) equal those of `strata graph stacks/prod` minus the two kubernetes_manifest resources,
# which the Terraform configuration leaves out (no kubernetes provider offline).
set -euo pipefail
cd "$(dirname "$0")/../.."
. benchmarks/terraform/lib.sh
STRATA=${STRATA:-.build/release/strata}
[ -x "$STRATA" ] || swift build -c release --product strata
terraform_available || { echo "terraform or its AWS provider ($TF_PLUGIN_DIR) is not installed: nothing to check"; exit 0; }
WORK=$(mktemp -d)
trap 'stop_sandboxes; rm -rf "$WORK"' EXIT

tf_prepare "$WORK/tf"
tf validate -no-color
PORT=$(free_port)
start_sandbox "$PORT" 0.001 "$WORK/sandbox.log"
tf plan -no-color -var "endpoint=http://127.0.0.1:$PORT" -out "$WORK/tf.plan" >"$WORK/plan.txt" 2>&1 \
  || { cat "$WORK/plan.txt"; exit 1; }
tf show -json "$WORK/tf.plan" >"$WORK/plan.json"
"$STRATA" graph stacks/prod --format json >"$WORK/graph.json"
python3 benchmarks/terraform/addresses.py "$WORK/graph.json" "$WORK/plan.json"
