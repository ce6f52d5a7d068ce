"""What a cluster upgrade rollout meets in the sandbox's EKS: the lifecycle table a plan's
estimates are checked against, EKS's managed rolling update of a node group, node groups
whose nodes never join or whose creation fails, and the subnet IPs a group's nodes use."""

from __future__ import annotations

from conftest import TIME_SCALE
from test_eks import DEADLINE, NODE_ROLE, active_cluster


def test_durations_route_serves_the_lifecycle_table_and_the_time_scale(sbx):
    from strata_sandbox.eks import DURATIONS

    status, doc = sbx.control("GET", "eks/durations")
    assert status == 200
    assert doc == {"durations": DURATIONS, "time_scale": TIME_SCALE}
    assert doc["durations"]["cluster.version"] == 1200 and doc["durations"]["nodegroup.create"] == 180


def nodegroup(eks, name, cluster="demo"):
    return eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]


def create(eks, subnets, name, desired=2, **extra):
    return eks.create_nodegroup(clusterName="demo", nodegroupName=name, subnets=subnets, nodeRole=NODE_ROLE,
                                scalingConfig={"minSize": 1, "maxSize": 6, "desiredSize": desired}, **extra)


def test_faults_make_green_groups_never_ready_or_fail_to_create(sbx):
    eks, _, subnets = active_cluster(sbx)
    faults = "kube/clusters/us-east-1/demo/faults"
    assert sbx.control("POST", faults, {"nodegroup_prefix": "system-1-31", "never_ready": True})[0] == 200
    status, doc = sbx.control("POST", faults, {"nodegroup_prefix": "web-", "create_fails": "Could not launch On-Demand "
                                               "Instances. InsufficientInstanceCapacity"})
    assert status == 200 and [f["nodegroup_prefix"] for f in doc["faults"]] == ["system-1-31", "web-"]
    for bad in ({"nodegroup_prefix": "x"}, {"never_ready": True}, {"nodegroup_prefix": "x", "never_ready": True,
                                                                     "create_fails": "m"}, {"prefix": "x"}):
        status, body = sbx.control("POST", faults, bad)
        assert status == 400 and body["reason"] == "BadRequest", bad

    create(eks, subnets, "system-1-31")
    create(eks, subnets, "web-1-31")
    create(eks, subnets, "system")  # no fault's prefix: joins as usual
    sbx.wait_until(lambda: nodegroup(eks, "web-1-31")["status"] == "CREATE_FAILED", DEADLINE, "web-1-31 failed")
    web = nodegroup(eks, "web-1-31")
    assert [(i["code"], i["message"]) for i in web["health"]["issues"]] == [
        ("AsgInstanceLaunchFailures", "Could not launch On-Demand Instances. InsufficientInstanceCapacity")]
    sbx.wait_until(lambda: nodegroup(eks, "system")["status"] == "ACTIVE", DEADLINE, "system ACTIVE")
    kube = sbx.control("GET", "kube/clusters/us-east-1/demo")[1]["nodegroups"]
    assert "web-1-31" not in kube  # no instance launched, so no node registered
    assert kube["system"]["ready"] is True
    # The never-ready group's nodes are registered, NotReady, and EKS still waits for them.
    assert nodegroup(eks, "system-1-31")["status"] == "CREATING"
    assert len(kube["system-1-31"]["nodes"]) == 2 and kube["system-1-31"]["ready"] is False

    sbx.wait_until(lambda: nodegroup(eks, "system-1-31")["status"] == "CREATE_FAILED", DEADLINE,
                   "system-1-31 failed")
    issues = nodegroup(eks, "system-1-31")["health"]["issues"]
    assert [(i["code"], i["message"]) for i in issues] == [
        ("NodeCreationFailure", "Instances failed to join the kubernetes cluster")]
    assert len(issues[0]["resourceIds"]) == 2 and all(i.startswith("i-") for i in issues[0]["resourceIds"])
    assert sbx.control("GET", "kube/clusters/us-east-1/demo")[1]["nodegroups"]["system-1-31"]["ready"] is False

    # A failed green group can be deleted (a rollback does), and clearing the faults ends them.
    eks.delete_nodegroup(clusterName="demo", nodegroupName="system-1-31")
    sbx.wait_until(lambda: "system-1-31" not in eks.list_nodegroups(clusterName="demo")["nodegroups"], DEADLINE,
                   "system-1-31 deleted")
    assert "system-1-31" not in sbx.control("GET", "kube/clusters/us-east-1/demo")[1]["nodegroups"]
    assert sbx.control("POST", faults, {"clear": True})[1] == {"faults": []}
    create(eks, subnets, "web-1-32")
    sbx.wait_until(lambda: nodegroup(eks, "web-1-32")["status"] == "ACTIVE", DEADLINE, "web-1-32 ACTIVE")
