# Shared by benchmarks/plan.sh, apply.sh and terraform/check.sh (sourced, never run): free ports,
# sandboxes the scripts start and stop themselves, and a Terraform working copy of the
# equivalent configuration in a temporary directory, so nothing is written into the repository
# (terraform init writes .terraform.lock.hcl next to the configuration and its data directory
# wherever TF_DATA_DIR says).

# A port nobody listens on: a benchmark must never talk to someone else's sandbox.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

SANDBOX_PIDS=()

# start_sandbox PORT TIME_SCALE LOG: starts a sandbox and waits until it answers.
start_sandbox() {
  if (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then echo "port $1 is taken" >&2; return 1; fi
  # Without the benchmark's AWS_* settings: an empty AWS_PROFILE stops moto's boto3 session.
  env -u AWS_PROFILE -u AWS_CONFIG_FILE -u AWS_SHARED_CREDENTIALS_FILE -u AWS_ENDPOINT_URL \
    python3 sandbox/run --port "$1" --time-scale "$2" >"$3" 2>&1 &
  SANDBOX_PIDS+=("$!")
  python3 sandbox/wait_ready.py "http://127.0.0.1:$1" 60 >/dev/null || true
  kill -0 "$!" 2>/dev/null || { echo "the sandbox did not start:" >&2; cat "$3" >&2; return 1; }
}

# stop_sandboxes: stops every sandbox this script started (by pid, never by name).
stop_sandboxes() {
  local pid
  for pid in "${SANDBOX_PIDS[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  SANDBOX_PIDS=()
}

# The sandbox's request log: the number of AWS requests, saved as JSON in FILE.
# request_count URL FILE
request_count() {
  curl -s "$1/_sandbox/requests" >"$2"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["requests"] if isinstance(d, dict) else d))' "$2"
}

seconds() { python3 -c 'import time; print(f"{time.monotonic():.3f}")'; }

TF_PLUGIN_DIR=${TF_PLUGIN_DIR:-/opt/tf-plugins}

# terraform_available: terraform and the AWS provider are installed offline.
terraform_available() {
  command -v terraform >/dev/null 2>&1 && [ -d "$TF_PLUGIN_DIR/registry.terraform.io/hashicorp/aws" ]
}

# tf_prepare DIR [CONFIG]: copies benchmarks/terraform to DIR/config and runs `terraform init`
# there from the plugin directory (nothing is downloaded). Afterwards `tf ARGS...` runs terraform
# on the prod configuration, or on CONFIG (a generated configuration, copied to
# DIR/config/generated) when given, with its state and data directory under DIR.
tf_prepare() {
  TF_WORK=$1
  TF_CONFIG_DIR=$TF_WORK/config/prod
  mkdir -p "$TF_WORK"
  cp -r benchmarks/terraform "$TF_WORK/config"
  if [ -n "${2:-}" ]; then
    cp -r "$2" "$TF_WORK/config/generated"
    TF_CONFIG_DIR=$TF_WORK/config/generated
  fi
  tf init -input=false -plugin-dir "$TF_PLUGIN_DIR" >"$TF_WORK/init.txt" 2>&1 \
    || { cat "$TF_WORK/init.txt" >&2; return 1; }
}

tf() {
  TF_DATA_DIR="$TF_WORK/data" TF_CLI_CONFIG_FILE=/dev/null TF_IN_AUTOMATION=1 TF_INPUT=0 \
    TF_PLUGIN_CACHE_DIR= CHECKPOINT_DISABLE=1 \
    terraform -chdir="$TF_CONFIG_DIR" "$@"
}

# bench_start: what a benchmark of the strata binary starts with: STRATA (the release build, built
# when missing), WORK (a temporary directory, removed with the sandboxes stopped at exit) and the
# sandbox's test credentials, nothing read from the machine's AWS configuration, no colour.
bench_start() {
  STRATA=${STRATA:-.build/release/strata}
  [ -x "$STRATA" ] || swift build -c release --product strata
  WORK=$(mktemp -d)
  trap 'stop_sandboxes; rm -rf "$WORK"' EXIT
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
  export AWS_EC2_METADATA_DISABLED=true AWS_PROFILE= AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
  export NO_COLOR=1
}
