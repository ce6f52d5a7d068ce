"""The Resource Groups Tagging API's GetResources: one tag-filtered listing over KMS keys, log
groups, SQS queues, EventBridge rules (moto lists none) and our EKS clusters."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from test_eks import active_cluster

OURS = [{"Key": "strata:stack", "Value": "blue"}, {"Key": "team", "Value": "platform"}]
THEIRS = [{"Key": "strata:stack", "Value": "green"}]
TYPES = ["kms:key", "logs:log-group", "sqs", "events:rule", "eks:cluster"]


def tagged(sbx, stack_tags, suffix):
    """One of each indexed type, tagged `stack_tags`; their ARNs."""
    kms, logs, sqs, events = (sbx.client(s) for s in ("kms", "logs", "sqs", "events"))
    key = kms.create_key(Tags=[{"TagKey": t["Key"], "TagValue": t["Value"]} for t in stack_tags])["KeyMetadata"]["Arn"]
    logs.create_log_group(logGroupName=f"/strata/{suffix}", tags={t["Key"]: t["Value"] for t in stack_tags})
    group = next(g["arn"] for g in logs.describe_log_groups(logGroupNamePrefix=f"/strata/{suffix}")["logGroups"])
    url = sqs.create_queue(QueueName=f"q-{suffix}", tags={t["Key"]: t["Value"] for t in stack_tags})["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.create_event_bus(Name=f"bus-{suffix}")
    rule = events.put_rule(Name=f"r-{suffix}", EventBusName=f"bus-{suffix}", EventPattern='{"source": ["aws.ec2"]}',
                           Tags=stack_tags)["RuleArn"]
    default_rule = events.put_rule(Name=f"d-{suffix}", ScheduleExpression="rate(5 minutes)", Tags=stack_tags)["RuleArn"]
    return {key, group.removesuffix(":*"), queue, rule, default_rule}


def listed(tagging, **extra):
    arns, token, pages = {}, "", 0
    while True:
        page = tagging.get_resources(PaginationToken=token, **extra)
        pages += 1
        arns.update({m["ResourceARN"]: {t["Key"]: t["Value"] for t in m["Tags"]}
                     for m in page["ResourceTagMappingList"]})
        token = page["PaginationToken"]
        if not token:
            return arns, pages


def test_get_resources_lists_the_stacks_resources_of_every_indexed_type(sbx):
    ours = tagged(sbx, OURS, "blue")
    tagged(sbx, THEIRS, "green")
    eks, _, _ = active_cluster(sbx, name="blue", tags={"strata:stack": "blue"})
    active_cluster_arn = eks.describe_cluster(name="blue")["cluster"]["arn"]
    tagging = sbx.client("resourcegroupstaggingapi")

    arns, _ = listed(tagging, TagFilters=[{"Key": "strata:stack", "Values": ["blue"]}], ResourceTypeFilters=TYPES)
    assert set(arns) == ours | {active_cluster_arn}
    assert all(tags["strata:stack"] == "blue" for tags in arns.values())
    assert arns[next(a for a in ours if ":kms:" in a)]["team"] == "platform"

    # A type filter narrows; a key without values matches any value; keys AND together.
    only_rules, _ = listed(
        tagging, TagFilters=[{"Key": "strata:stack", "Values": ["blue"]}], ResourceTypeFilters=["events:rule"])
    assert set(only_rules) == {a for a in ours if ":rule/" in a}
    any_stack, _ = listed(tagging, TagFilters=[{"Key": "strata:stack"}], ResourceTypeFilters=["sqs"])
    assert len(any_stack) == 2
    both, _ = listed(tagging, TagFilters=[{"Key": "strata:stack", "Values": ["blue", "green"]}, {"Key": "team"}],
                     ResourceTypeFilters=TYPES)
    assert set(both) == ours


def test_get_resources_pages_and_refuses_bad_tokens(sbx):
    ours = tagged(sbx, OURS, "blue")
    tagging = sbx.client("resourcegroupstaggingapi")
    arns, pages = listed(tagging, TagFilters=[{"Key": "strata:stack", "Values": ["blue"]}], ResourceTypeFilters=TYPES,
                         ResourcesPerPage=2)
    assert set(arns) == ours and pages == 3
    with pytest.raises(ClientError) as e:
        tagging.get_resources(PaginationToken="not-a-token", ResourceTypeFilters=TYPES)
    assert e.value.response["Error"]["Code"] == "PaginationTokenExpiredException"
    assert sbx.requests(service="tagging")[-1]["action"] == "GetResources"

