"""Answers the Terraform AWS provider reads back, found by applying the Terraform configuration
equivalent to stacks/prod (benchmarks/terraform/) against the sandbox: each test is a place where
the sandbox answered differently from AWS and the provider planned a change or counted wrong."""

from __future__ import annotations

from test_eks import active_cluster


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
