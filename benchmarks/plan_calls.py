#!/usr/bin/env python3
"""Reads the sandbox's request log of one `strata plan` and attributes every AWS call to the
resource types it serves, so the plan's cost can be read against the goal "at most 2 calls per
resource type present, plus pagination" (issue #5).

Each family below is one or more resource types served by the same reads: a listing (paginated;
a second call of the same action is a page) and, where AWS has no batch form, one read per live
resource. Families whose types are absent from the stack are still read (discovery must see a
type the files no longer use) and are counted apart. Calls no family claims are printed as
unattributed, so nothing is hidden.

usage: plan_calls.py GRAPH.json REQUESTS.json
prints one line per family, then `total calls, types present, budget (2 per type)`."""
import json
import sys
from collections import Counter

# (types, actions as service/action). The first matching family takes an action.
FAMILIES = [
    (["aws_vpc"], ["ec2/DescribeVpcs", "ec2/DescribeVpcAttribute", "ec2/DescribeNetworkAcls"]),
    (["aws_internet_gateway"], ["ec2/DescribeInternetGateways"]),
    (["aws_subnet"], ["ec2/DescribeSubnets"]),
    (["aws_route_table", "aws_route", "aws_route_table_association"], ["ec2/DescribeRouteTables"]),
    (["aws_eip"], ["ec2/DescribeAddresses"]),
    (["aws_nat_gateway"], ["ec2/DescribeNatGateways"]),
    (["aws_security_group"], ["ec2/DescribeSecurityGroups"]),
    (["aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_security_group_rule"],
     ["ec2/DescribeSecurityGroupRules"]),
    (["aws_launch_template"], ["ec2/DescribeLaunchTemplates", "ec2/DescribeLaunchTemplateVersions"]),
    (["aws_eks_cluster"], ["eks/ListClusters", "eks/DescribeCluster"]),
    (["aws_eks_node_group"], ["eks/ListNodegroups", "eks/DescribeNodegroup"]),
    (["aws_eks_addon"], ["eks/ListAddons", "eks/DescribeAddon"]),
    (["aws_eks_access_entry"], ["eks/ListAccessEntries", "eks/DescribeAccessEntry"]),
    (["aws_eks_access_policy_association"], ["eks/ListAssociatedAccessPolicies"]),
    (["aws_eks_pod_identity_association"], ["eks/ListPodIdentityAssociations", "eks/DescribePodIdentityAssociation"]),
    (["aws_iam_role", "aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_policy"],
     ["iam/GetAccountAuthorizationDetails", "iam/ListRoles", "iam/ListPolicyTags", "iam/ListRoleTags"]),
    (["aws_iam_instance_profile"], ["iam/ListInstanceProfiles"]),
    (["aws_iam_openid_connect_provider"], ["iam/ListOpenIDConnectProviders", "iam/GetOpenIDConnectProvider"]),
    (["aws_kms_key"], ["kms/ListKeys", "kms/DescribeKey", "kms/GetKeyPolicy", "kms/GetKeyRotationStatus",
                       "kms/ListResourceTags"]),
    (["aws_kms_alias"], ["kms/ListAliases"]),
    (["aws_cloudwatch_log_group"], ["logs/DescribeLogGroups", "logs/ListTagsForResource"]),
    (["aws_sqs_queue", "aws_sqs_queue_policy"], ["sqs/ListQueues", "sqs/GetQueueAttributes", "sqs/ListQueueTags"]),
    (["aws_cloudwatch_event_bus"], ["events/ListEventBuses"]),
    (["aws_cloudwatch_event_rule"], ["events/ListRules", "events/ListTagsForResource"]),
    (["aws_cloudwatch_event_target"], ["events/ListTargetsByRule"]),
    (["(the tag index, shared by keys, log groups, queues, rules and clusters)"], ["tagging/GetResources"]),
    (["(data sources: caller, zones, AMI releases)"],
     ["sts/GetCallerIdentity", "ec2/DescribeAvailabilityZones", "ssm/GetParameter", "ssm/GetParameters"]),
]


def main(graph_path, requests_path):
    graph = json.load(open(graph_path))
    log = json.load(open(requests_path))
    requests = log["requests"] if isinstance(log, dict) else log
    present = Counter(r["type"] for r in graph["resources"])
    calls = Counter(f'{r["service"]}/{r["action"]}' for r in requests)
    claimed = set()
    rows = []
    for types, actions in FAMILIES:
        mine = {a: calls[a] for a in actions if calls[a] and a not in claimed}
        claimed.update(mine)
        if not mine:
            continue
        here = [t for t in types if present[t]]
        rows.append((types, here, mine))
    total = sum(calls.values())
    types_present = len(present)
    print(f"{'calls':>5} {'budget':>6}       types (resources): actions")
    for types, here, mine in rows:
        data = types[0].startswith("(")
        label = types[0] if data else " + ".join(f"{t}({present[t]})" for t in types if present[t]) \
            or " + ".join(types) + " (absent: discovery only)"
        n = sum(mine.values())
        budget = "" if data else str(2 * len(here))
        flag = "over" if here and n > 2 * len(here) else ""
        print(f"{n:>5} {budget:>6} {flag:<5} {label}: "
              + " ".join(f"{a.split('/')[1]}={c}" for a, c in sorted(mine.items())))
    rest = {a: c for a, c in calls.items() if a not in claimed}
    if rest:
        print(f"{sum(rest.values()):>5} {'':>6} {'':<5} unattributed: "
              + " ".join(f"{a}={c}" for a, c in sorted(rest.items())))
    unserved = [t for t in present if t != "kubernetes_manifest" and not any(t in f[0] for f in FAMILIES)]
    for t in unserved:
        print(f"{t}({present[t]}): no AWS family in this table")
    over = [r for r in rows if r[1] and sum(r[2].values()) > 2 * len(r[1])]
    print(f"families over 2 calls per type: {len(over)} of {len([r for r in rows if r[1]])}")
    print(f"total {total} calls for {sum(present.values())} resources of {types_present} types; "
          f"budget 2 x {types_present} = {2 * types_present} (plus pages)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
