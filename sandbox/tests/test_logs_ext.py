"""CloudWatch Logs behaviour the sandbox adds to moto: DescribeLogGroups by identifiers."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError


def test_describe_log_groups_by_identifiers_answers_only_those(sbx):
    logs = sbx.client("logs")
    for name in ("/a/one", "/a/two", "/b/three"):
        logs.create_log_group(logGroupName=name)
    arns = {g["logGroupName"]: g["arn"].removesuffix(":*") for g in logs.describe_log_groups()["logGroups"]}
    named = logs.describe_log_groups(logGroupIdentifiers=[arns["/a/two"], arns["/b/three"]])["logGroups"]
    assert [g["logGroupName"] for g in named] == ["/a/two", "/b/three"]
    with pytest.raises(ClientError) as e:
        logs.describe_log_groups(logGroupIdentifiers=[arns["/a/one"]], logGroupNamePrefix="/a")
    assert e.value.response["Error"]["Code"] == "InvalidParameterException"
