#!/usr/bin/env python3
"""Terraform's refresh of the same live resources, for benchmarks/plan.sh.

usage: plan_terraform.py STRATA_PLAN_JSON WORKDIR SANDBOX_URL PLUGIN_DIR STRATA_CALLS STRATA_SECONDS

strata keeps no state, Terraform needs one: this writes a Terraform state (format 4) holding every
live resource of strata's plan (`prior_state`: its id and the attributes the AWS provider's read
needs to find it), a configuration with only the AWS provider pointed at the sandbox, then runs
`terraform plan -refresh-only` — Terraform reading each resource the way it refreshes before
every plan — and counts the sandbox requests it made. Nothing is downloaded: `terraform init`
uses PLUGIN_DIR only.
"""
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid

# What a read needs besides `id`, per type (the provider parses some ids, reads others from state).
IDENTITY = {
    "aws_route": ["route_table_id", "destination_cidr_block"],
    "aws_route_table_association": ["route_table_id", "subnet_id"],
    "aws_iam_role_policy_attachment": ["role", "policy_arn"],
    "aws_iam_role_policy": ["role", "name"],
    "aws_eks_node_group": ["cluster_name", "node_group_name"],
    "aws_eks_addon": ["cluster_name", "addon_name"],
    "aws_eks_access_entry": ["cluster_name", "principal_arn"],
    "aws_eks_access_policy_association": ["cluster_name", "principal_arn", "policy_arn"],
    "aws_eks_pod_identity_association": ["cluster_name", "association_id"],
    "aws_cloudwatch_event_target": ["rule", "target_id", "event_bus_name"],
    "aws_sqs_queue_policy": ["queue_url"],
    "aws_kms_alias": ["name"],
}
SERVICES = ["ec2", "iam", "sts", "eks", "kms", "logs", "sqs", "events", "cloudwatchevents", "ssm"]


def run(args, cwd, env):
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)


def main():
    plan_path, work, url, plugins, strata_calls, strata_seconds = sys.argv[1:7]
    os.makedirs(work, exist_ok=True)
    plan = json.load(open(plan_path))
    env = dict(os.environ)
    cli_config = os.path.join(work, "terraformrc")
    with open(cli_config, "w") as f:
        f.write('provider_installation {\n  filesystem_mirror {\n    path = "%s"\n  }\n  direct {\n    exclude = ["*/*/*"]\n  }\n}\n' % plugins)
    env.update({"TF_CLI_CONFIG_FILE": cli_config, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"})
    endpoints = "\n".join(f'    {s} = "{url}"' for s in SERVICES)
    with open(os.path.join(work, "main.tf"), "w") as f:
        f.write(f'''terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws" }}
  }}
}}
provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {{
{endpoints}
  }}
}}
''')
    init = run(["terraform", "init", "-input=false", "-plugin-dir", plugins], work, env)
    if init.returncode != 0:
        print("terraform comparison skipped: terraform init failed offline:\n" + init.stderr[-800:])
        return
    schema = run(["terraform", "providers", "schema", "-json"], work, env)
    versions = {}
    if schema.returncode == 0:
        for provider in json.loads(schema.stdout).get("provider_schemas", {}).values():
            for type_name, body in provider.get("resource_schemas", {}).items():
                versions[type_name] = body.get("version", 0)

    resources = []
    skipped = []

    def add(module_address, items):
        for item in items:
            if item.get("mode") != "managed":
                continue  # the plan's data sources: read, not refreshed
            values = item.get("values", {})
            # Only what the AWS provider serves (kubernetes_manifest is another provider's).
            if "id" not in values or (versions and item["type"] not in versions):
                skipped.append(item["address"])
                continue
            attributes = {"id": values["id"]}
            for name in IDENTITY.get(item["type"], []):
                if name in values and not isinstance(values[name], (list, dict)):
                    attributes[name] = values[name]
            instance = {"schema_version": versions.get(item["type"], 0), "attributes": attributes, "sensitive_attributes": []}
            if "index" in item:
                instance["index_key"] = item["index"]
            resource = {
                "mode": "managed", "type": item["type"], "name": item["name"],
                "provider": 'provider["registry.terraform.io/hashicorp/aws"]', "instances": [instance],
            }
            if module_address:
                resource["module"] = module_address
            resources.append(resource)

    root = plan["prior_state"]["values"]["root_module"]
    add(None, root.get("resources", []))
    for child in root.get("child_modules", []):
        add(child["address"], child.get("resources", []))
    # One state resource per block, instances merged (Terraform's shape).
    merged = {}
    for resource in resources:
        key = (resource.get("module"), resource["type"], resource["name"])
        if key in merged:
            merged[key]["instances"] += resource["instances"]
        else:
            merged[key] = resource
    state = {
        "version": 4, "terraform_version": "1.11.4", "serial": 1, "lineage": str(uuid.uuid4()),
        "outputs": {}, "resources": list(merged.values()), "check_results": None,
    }
    with open(os.path.join(work, "terraform.tfstate"), "w") as f:
        json.dump(state, f)

    urllib.request.urlopen(urllib.request.Request(url + "/_sandbox/requests", method="DELETE")).read()
    start = time.monotonic()
    refresh = run(["terraform", "plan", "-refresh-only", "-input=false", "-no-color", "-lock=false"], work, env)
    seconds = time.monotonic() - start
    log = json.load(urllib.request.urlopen(url + "/_sandbox/requests"))
    calls = len(log["requests"] if isinstance(log, dict) else log)
    count = sum(len(r["instances"]) for r in state["resources"])
    deleted = sum(1 for line in refresh.stdout.splitlines() if "has been deleted" in line)
    changed = sum(1 for line in refresh.stdout.splitlines() if "has changed" in line)
    outcome = f"ok: {changed} refreshed with changes, {deleted} not found" if refresh.returncode == 0 else "failed: " + " ".join(
        line.strip() for line in refresh.stdout.splitlines() + refresh.stderr.splitlines() if "Error" in line)[:400]
    if skipped:
        print(f"not in the Terraform state (not AWS provider types, or no id): {', '.join(skipped)}")
    print(f"terraform plan -refresh-only of the same {count} resources: {calls} AWS calls, {seconds:.2f} s ({outcome})")
    if calls and float(strata_seconds) > 0:
        print(f"ratio terraform/strata: calls {calls / int(strata_calls):.1f}x, time {seconds / float(strata_seconds):.1f}x")


if __name__ == "__main__":
    main()
