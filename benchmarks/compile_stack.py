#!/usr/bin/env python3
"""Writes a synthetic stack of about N resources for the compile benchmark.

Usage: compile_stack.py N OUT_DIR [cells|flat]

"cells" (the default): the stack instantiates a "cell" module once per 98 resources: a VPC (a /17 of 10.0.0.0/8),
32 subnets carved with cidrsubnet, a route table with 32 associations and 32 security groups,
so the benchmark exercises module binding, for_each/count expansion, the standard library,
references between instances, CIDR rules and the graph, the way a real platform does.

"flat": N queues declared in the stack file itself, each referring to the one before it: one
scope with N blocks and a dependency chain N long, the shape that exposes anything quadratic
in the number of blocks per scope or in the depth of the graph.
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
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    resources, out = int(sys.argv[1]), sys.argv[2]
    if len(sys.argv) == 4 and sys.argv[3] == "flat":
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
        "region: eu-west-1",
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
    print(cells * PER_CELL)


if __name__ == "__main__":
    main()
