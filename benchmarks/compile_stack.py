#!/usr/bin/env python3
"""Writes a synthetic stack of about N resources for the compile benchmark.

Usage: compile_stack.py N OUT_DIR [cells|flat] [--region REGION] [--terraform TF_DIR]

"cells" (the default): the stack instantiates a "cell" module once per 98 resources: a VPC (a /17 of 10.0.0.0/8),
32 subnets carved with cidrsubnet, a route table with 32 associations and 32 security groups,
so the benchmark exercises module binding, for_each/count expansion, the standard library,
references between instances, CIDR rules and the graph, the way a real platform does.

"flat": N queues declared in the stack file itself, each referring to the one before it: one
scope with N blocks and a dependency chain N long, the shape that exposes anything quadratic
in the number of blocks per scope or in the depth of the graph.

--region sets the stack's region (default eu-west-1). --terraform TF_DIR also writes the
Terraform twin of the "cells" stack to TF_DIR (main.tf and modules/cell/main.tf): the same
resources, attributes and addresses (module.cell0.aws_subnet.subnet[5], ...), the stack tags as
the provider's default_tags, strata's `zones` (<region>a..f) as a list the root passes to every
cell. The provider is pointed at a sandbox by `-var endpoint=URL`, as benchmarks/terraform/prod is.
"""
import math
import os
import sys

PER_CELL = 98  # 1 VPC + 32 subnets + 1 route table + 32 associations + 32 security groups

MODULE = """\
inputs:
  cidr: { type: cidr }
  name: { type: string }
resources:
  vpc:
    type: aws_vpc
    cidr_block: ${inputs.cidr}
    enable_dns_hostnames: true
    tags: { Name: "${inputs.name}" }
  subnet:
    type: aws_subnet
    for_each: ${range(32)}
    vpc_id: ${vpc.id}
    cidr_block: ${cidrsubnet(inputs.cidr, 5, each.index)}
    availability_zone: ${element(zones, each.index)}
    tags: { Name: "${inputs.name}-${each.index}", tier: '${each.index % 2 == 0 ? "private" : "public"}' }
  routes:
    type: aws_route_table
    vpc_id: ${vpc.id}
  association:
    type: aws_route_table_association
    count: 32
    subnet_id: ${subnet[count.index].id}
    route_table_id: ${routes.id}
  firewall:
    type: aws_security_group
    count: 32
    name: ${format("%s-sg-%d", inputs.name, count.index)}
    description: Generated for the compile benchmark
    vpc_id: ${vpc.id}
outputs:
  subnet_ids: ${subnet[*].id}
"""


TERRAFORM_CELL = """\
# The "cell" module of compile_stack.py, resource for resource.
variable "cidr" { type = string }
variable "name" { type = string }
variable "zones" { type = list(string) }

resource "aws_vpc" "vpc" {
  cidr_block           = var.cidr
  enable_dns_hostnames = true
  tags                 = { Name = var.name }
}

resource "aws_subnet" "subnet" {
  count             = 32
  vpc_id            = aws_vpc.vpc.id
  cidr_block        = cidrsubnet(var.cidr, 5, count.index)
  availability_zone = element(var.zones, count.index)
  tags              = { Name = "${var.name}-${count.index}", tier = count.index % 2 == 0 ? "private" : "public" }
}

resource "aws_route_table" "routes" {
  vpc_id = aws_vpc.vpc.id
}

resource "aws_route_table_association" "association" {
  count          = 32
  subnet_id      = aws_subnet.subnet[count.index].id
  route_table_id = aws_route_table.routes.id
}

resource "aws_security_group" "firewall" {
  count       = 32
  name        = format("%s-sg-%d", var.name, count.index)
  description = "Generated for the compile benchmark"
  vpc_id      = aws_vpc.vpc.id
}

output "subnet_ids" { value = aws_subnet.subnet[*].id }
"""

TERRAFORM_ROOT = """\
# Written by benchmarks/compile_stack.py: the Terraform twin of the generated stack.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

variable "endpoint" { type = string }

provider "aws" {
  region                      = "%(region)s"
  access_key                  = "test"
  secret_key                  = "test"
  skip_metadata_api_check     = true
  skip_credentials_validation = true
  skip_region_validation      = true
  endpoints {
    ec2 = var.endpoint
    sts = var.endpoint
  }
  default_tags {
    tags = { team = "platform", env = "bench" }
  }
}

locals {
  zones = [%(zones)s]
}
"""


def terraform(cells: int, region: str, out: str) -> None:
    os.makedirs(os.path.join(out, "modules", "cell"), exist_ok=True)
    with open(os.path.join(out, "modules", "cell", "main.tf"), "w") as f:
        f.write(TERRAFORM_CELL)
    zones = ", ".join(f'"{region}{letter}"' for letter in "abcdef")
    lines = [TERRAFORM_ROOT % {"region": region, "zones": zones}]
    for i in range(cells):
        second, third = divmod(i * 128, 256)
        lines.append(
            f'module "cell{i}" {{\n  source = "./modules/cell"\n  cidr   = "10.{second}.{third}.0/17"\n'
            f'  name   = "cell{i}"\n  zones  = local.zones\n}}\n'
        )
    lines.append('output "first_subnets" { value = module.cell0.subnet_ids }\n')
    with open(os.path.join(out, "main.tf"), "w") as f:
        f.write("\n".join(lines))


def flat(resources: int, out: str) -> None:
    os.makedirs(out, exist_ok=True)
    lines = [f"stack: flat-{resources}", "region: eu-west-1", "tags: { team: platform }", "resources:"]
    for i in range(resources):
        lines += [f"  q{i}:", "    type: aws_sqs_queue", f"    name: q{i}"]
        if i:
            lines.append(f"    redrive_policy: '${{jsonencode({{ deadLetterTargetArn = q{i - 1}.arn }})}}'")
    with open(os.path.join(out, "stack.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(resources)


def main() -> None:
    args = sys.argv[1:]
    options = {}
    for name in ("--region", "--terraform"):
        if name in args:
            at = args.index(name)
            if at + 1 >= len(args):
                sys.exit(__doc__)
            options[name] = args[at + 1]
            del args[at:at + 2]
    if len(args) not in (2, 3) or (len(args) == 3 and args[2] not in ("cells", "flat")):
        sys.exit(__doc__)
    resources, out = int(args[0]), args[1]
    region = options.get("--region", "eu-west-1")
    if len(args) == 3 and args[2] == "flat":
        if "--terraform" in options:
            sys.exit("--terraform writes the twin of the cells shape only")
        flat(resources, out)
        return
    cells = max(1, math.ceil(resources / PER_CELL))
    if cells > 512:
        sys.exit("at most 512 cells (10.0.0.0/8 holds 512 /17 blocks)")
    os.makedirs(os.path.join(out, "modules", "cell"), exist_ok=True)
    with open(os.path.join(out, "modules", "cell", "module.yaml"), "w") as f:
        f.write(MODULE)
    lines = [
        f"stack: bench-{resources}",
        f"region: {region}",
        "tags: { team: platform, env: bench }",
        "modules:",
    ]
    for i in range(cells):
        second, third = divmod(i * 128, 256)
        lines += [
            f"  cell{i}:",
            "    source: modules/cell",
            f"    with: {{ cidr: 10.{second}.{third}.0/17, name: cell{i} }}",
        ]
    lines += ["outputs:", "  first_subnets: ${cell0.subnet_ids}"]
    with open(os.path.join(out, "stack.yaml"), "w") as f:
        f.write("\n".join(lines) + "\n")
    if "--terraform" in options:
        terraform(cells, region, options["--terraform"])
    print(cells * PER_CELL)


if __name__ == "__main__":
    main()
