"""Answers the Terraform AWS provider reads back, found by applying the Terraform configuration
equivalent to stacks/prod (benchmarks/terraform/) against the sandbox: each test is a place where
the sandbox answered differently from AWS and the provider planned a change or counted wrong."""

from __future__ import annotations

from test_eks import active_cluster


def test_launch_template_tags_are_the_templates_not_its_instances(sbx):
    ec2 = sbx.client("ec2")
    created = ec2.create_launch_template(
        LaunchTemplateName="pool",
        LaunchTemplateData={
            "InstanceType": "m6i.large",
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "pool"}]}],
        },
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "team", "Value": "platform"}]}],
    )["LaunchTemplate"]
    assert created["Tags"] == [{"Key": "team", "Value": "platform"}]
    template = ec2.describe_launch_templates(LaunchTemplateIds=[created["LaunchTemplateId"]])["LaunchTemplates"][0]
    assert template["Tags"] == [{"Key": "team", "Value": "platform"}]
    version = ec2.describe_launch_template_versions(LaunchTemplateId=created["LaunchTemplateId"])
    data = version["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    # Only what the data asked for: instances are tagged Name=pool, the template's own tags stay off.
    assert data["TagSpecifications"] == [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "pool"}]}]


def test_launch_template_without_instance_tags_has_no_tag_specifications(sbx):
    ec2 = sbx.client("ec2")
    created = ec2.create_launch_template(
        LaunchTemplateName="bare", LaunchTemplateData={"InstanceType": "m6i.large"},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "env", "Value": "prod"}]}],
    )["LaunchTemplate"]
    version = ec2.describe_launch_template_versions(LaunchTemplateId=created["LaunchTemplateId"])
    assert "TagSpecifications" not in version["LaunchTemplateVersions"][0]["LaunchTemplateData"]


def test_group_referencing_rule_keeps_its_description(sbx):
    ec2 = sbx.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    nodes = ec2.create_security_group(GroupName="nodes", Description="nodes", VpcId=vpc)["GroupId"]
    plane = ec2.create_security_group(GroupName="plane", Description="plane", VpcId=vpc)["GroupId"]
    by_group = ec2.authorize_security_group_ingress(GroupId=nodes, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 10250, "ToPort": 10250,
        "UserIdGroupPairs": [{"GroupId": plane, "Description": "Control plane to nodes: kubelet"}]}])
    by_cidr = ec2.authorize_security_group_ingress(GroupId=nodes, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "ssh from the office"}]}])
    group_rule = by_group["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    cidr_rule = by_cidr["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    rules = {r["SecurityGroupRuleId"]: r for r in
             ec2.describe_security_group_rules(SecurityGroupRuleIds=[group_rule, cidr_rule])["SecurityGroupRules"]}
    assert rules[group_rule]["Description"] == "Control plane to nodes: kubelet"
    assert rules[group_rule]["ReferencedGroupInfo"]["GroupId"] == plane
    assert rules[cidr_rule]["Description"] == "ssh from the office"
    # A rule given no description has none (not another rule's).
    bare = ec2.authorize_security_group_ingress(GroupId=nodes, IpPermissions=[{
        "IpProtocol": "udp", "FromPort": 53, "ToPort": 53, "UserIdGroupPairs": [{"GroupId": nodes}]}])
    bare_id = bare["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    bare_rule = ec2.describe_security_group_rules(SecurityGroupRuleIds=[bare_id])["SecurityGroupRules"][0]
    assert not bare_rule.get("Description")


def test_access_entry_calls_are_logged_by_operation(sbx):
    """A principal ARN holds a '/', sent encoded in the path: the request log must still name the
    operation (the benchmarks count calls by action)."""
    eks, _, _ = active_cluster(sbx, accessConfig={"authenticationMode": "API",
                                                  "bootstrapClusterCreatorAdminPermissions": False})
    principal = "arn:aws:iam::123456789012:role/platform/admin"
    eks.create_access_entry(clusterName="demo", principalArn=principal)
    eks.describe_access_entry(clusterName="demo", principalArn=principal)
    eks.associate_access_policy(clusterName="demo", principalArn=principal,
                                policyArn="arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                                accessScope={"type": "cluster"})
    eks.list_associated_access_policies(clusterName="demo", principalArn=principal)
    eks.delete_access_entry(clusterName="demo", principalArn=principal)
    actions = [r["action"] for r in sbx.requests(service="eks")]
    for action in ("CreateAccessEntry", "DescribeAccessEntry", "AssociateAccessPolicy",
                   "ListAssociatedAccessPolicies", "DeleteAccessEntry"):
        assert action in actions
    assert "" not in actions
