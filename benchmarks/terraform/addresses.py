#!/usr/bin/env python3
"""Compares the resource addresses of `strata graph --format json` with those of a Terraform
plan (`terraform show -json PLAN`): they must be equal once strata's kubernetes_manifest
resources are set aside (the Terraform configuration leaves them out). Prints the counts, and
every address on one side only; exits 1 if there is any.

usage: addresses.py GRAPH.json PLAN.json"""
import json
import sys

LEFT_OUT = {"kubernetes_manifest"}


def main(graph_path, plan_path):
    graph = json.load(open(graph_path))
    plan = json.load(open(plan_path))
    strata = {r["address"] for r in graph["resources"] if r["type"] not in LEFT_OUT}
    left_out = sorted(r["address"] for r in graph["resources"] if r["type"] in LEFT_OUT)
    terraform = {r["address"] for r in plan.get("resource_changes", []) if r.get("mode") == "managed"}
    only_strata, only_terraform = sorted(strata - terraform), sorted(terraform - strata)
    for a in only_strata:
        print(f"only in strata's graph: {a}")
    for a in only_terraform:
        print(f"only in the Terraform plan: {a}")
    print(f"strata: {len(strata) + len(left_out)} resources ({len(left_out)} left out: {', '.join(left_out)}); "
          f"terraform: {len(terraform)}; {'equal' if not (only_strata or only_terraform) else 'DIFFERENT'}")
    return 1 if only_strata or only_terraform else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
