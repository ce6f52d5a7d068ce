"""The sandbox refuses the names and sizes AWS refuses, with AWS's error codes (moto accepts them)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def refused(call) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_iam_role_names_longer_than_64_or_with_other_characters_are_refused(sbx):
    iam = sbx.client("iam")
    code, message = refused(lambda: iam.create_role(RoleName="r" * 65, AssumeRolePolicyDocument=TRUST))
    assert code == "ValidationError" and "length less than or equal to 64" in message
    code, _ = refused(lambda: iam.create_role(RoleName="node role", AssumeRolePolicyDocument=TRUST))
    assert code == "ValidationError"
    assert iam.create_role(RoleName="r" * 64, AssumeRolePolicyDocument=TRUST)["Role"]["RoleName"] == "r" * 64


def test_eks_cluster_names_are_checked_like_aws(sbx):
    eks, iam = sbx.client("eks"), sbx.client("iam")
    role = iam.create_role(RoleName="cluster", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    for name in ["-prod", "c" * 101, "prod.east"]:
        code, _ = refused(
            lambda name=name: eks.create_cluster(name=name, roleArn=role, resourcesVpcConfig={"subnetIds": []}))
        assert code == "InvalidParameterException", name


def test_sqs_queue_names_are_refused(sbx):
    sqs = sbx.client("sqs")
    for name in ["q" * 81, "karpenter.interruptions"]:
        code, _ = refused(lambda name=name: sqs.create_queue(QueueName=name))
        assert code in ("InvalidParameterValue", "AWS.SimpleQueueService.InvalidParameterValue"), name


def test_vpc_and_subnet_sizes_outside_16_to_28_are_refused(sbx):
    ec2 = sbx.client("ec2")
    assert refused(lambda: ec2.create_vpc(CidrBlock="10.0.0.0/8"))[0] == "InvalidVpc.Range"
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    assert refused(lambda: ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/29"))[0] == "InvalidSubnet.Range"
    assert ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/28")["Subnet"]["CidrBlock"] == "10.0.0.0/28"


def test_security_group_names_starting_with_sg_are_refused(sbx):
    ec2 = sbx.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    code, _ = refused(lambda: ec2.create_security_group(GroupName="sg-nodes", Description="d", VpcId=vpc))
    assert code == "InvalidParameterValue"


def test_iam_and_logs_tag_values_outside_their_alphabet_are_refused(sbx):
    iam, logs = sbx.client("iam"), sbx.client("logs")
    code, message = refused(lambda: iam.create_role(
        RoleName="tagged", AssumeRolePolicyDocument=TRUST,
        Tags=[{"Key": "strata:address", "Value": 'aws_iam_role.r["a"]'}]))
    assert code == "ValidationError" and "regular expression pattern" in message
    code, _ = refused(lambda: logs.create_log_group(logGroupName="/x", tags={"k": "a[0]"}))
    assert code == "ValidationException"
    # Letters of any script, digits, spaces and _ . : / = + - @ are fine.
    iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=TRUST,
                    Tags=[{"Key": "strata:address", "Value": "aws_iam_role.r=5B=22a=22=5D"},
                          {"Key": "team", "Value": "Équipe 7 @ x/y"}])
    logs.create_log_group(logGroupName="/x", tags={"k": "a=5B0=5D"})
