"""End to end through one sandbox process: EKS's DescribeCluster hands out the endpoint and CA of
the cluster's Kubernetes API, which accepts `aws eks get-token` tokens signed with keys the AWS
side knows (here an IAM user's), and shows the node group's nodes."""

from __future__ import annotations

import base64
import types

from kube_fixtures import KubeClient, eks_token
from test_eks import NODE_ROLE, active_cluster


def test_describe_cluster_endpoint_serves_kubernetes_with_eks_tokens(signed_sbx):
    iam = signed_sbx.client("iam")
    iam.create_user(UserName="operator")
    key = iam.create_access_key(UserName="operator")["AccessKey"]
    eks, _, subnets = active_cluster(signed_sbx, version="1.31")
    eks.create_nodegroup(clusterName="demo", nodegroupName="system", subnets=subnets, nodeRole=NODE_ROLE,
                         scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 2}, labels={"pool": "system"})
    signed_sbx.wait_until(lambda: eks.describe_nodegroup(clusterName="demo", nodegroupName="system")
                          ["nodegroup"]["status"] == "ACTIVE", 30, "node group ACTIVE")
    c = eks.describe_cluster(name="demo")["cluster"]
    endpoint = types.SimpleNamespace(endpoint=c["endpoint"], ca_pem=base64.b64decode(c["certificateAuthority"]["data"]))

    kube = KubeClient(endpoint, eks_token("demo", key=key["AccessKeyId"], secret=key["SecretAccessKey"]))
    status, nodes = kube.get("/api/v1/nodes")
    assert status == 200
    items = nodes["items"]
    assert len(items) == 2
    for node in items:
        assert node["metadata"]["labels"]["eks.amazonaws.com/nodegroup"] == "system"
        assert node["metadata"]["labels"]["pool"] == "system"
        assert node["status"]["nodeInfo"]["kubeletVersion"].startswith("v1.31.")
        ready = [cond for cond in node["status"]["conditions"] if cond["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True"

    # A token for another cluster, or signed with the wrong secret, is refused.
    wrong = KubeClient(endpoint, eks_token("demo", key=key["AccessKeyId"], secret="not-the-secret"))
    assert wrong.get("/api/v1/nodes")[0] == 401
    other = KubeClient(endpoint, eks_token("other", key=key["AccessKeyId"], secret=key["SecretAccessKey"]))
    assert other.get("/api/v1/nodes")[0] == 401
