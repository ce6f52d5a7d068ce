"""What a cluster upgrade rollout meets in the sandbox's EKS: the lifecycle table a plan's
estimates are checked against, EKS's managed rolling update of a node group, node groups
whose nodes never join or whose creation fails, and the subnet IPs a group's nodes use."""

from __future__ import annotations

import pytest

from conftest import TIME_SCALE
from kube_fixtures import daemonset, deployment, pdb
from strata_sandbox.eks import DURATIONS
from test_eks import DEADLINE, NODE_ROLE, active_cluster


def test_durations_route_serves_the_lifecycle_table_and_the_time_scale(sbx):
    status, doc = sbx.control("GET", "eks/durations")
    assert status == 200
    assert doc == {"durations": DURATIONS, "time_scale": TIME_SCALE}
    assert doc["durations"]["cluster.version"] == 1200 and doc["durations"]["nodegroup.create"] == 180
    # The whole rolling update of the default group is its phases added up.
    phases = [DURATIONS[f"nodegroup.version.{p}"] for p in ("setup", "launch", "node", "node")]
    assert DURATIONS["nodegroup.version"] == sum(phases)


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


def kube_summary(sbx):
    return sbx.control("GET", "kube/clusters/us-east-1/demo")[1]


def observations(sbx):
    return sbx.control("GET", "kube/clusters/us-east-1/demo/observations")[1]


def upgraded_cluster_with_workloads(sbx, *objects, desired=2, **nodegroup_extra):
    """demo at 1.31 with node group system still at 1.30 holding the workloads, observations clear."""
    eks, _, subnets = active_cluster(sbx)
    create(eks, subnets, "system", desired=desired, **nodegroup_extra)
    sbx.wait_until(lambda: nodegroup(eks, "system")["status"] == "ACTIVE", DEADLINE, "system ACTIVE")
    assert sbx.control("POST", "kube/clusters/us-east-1/demo/workloads", {"objects": list(objects)})[0] == 201
    wanted = sum(o["spec"]["replicas"] for o in objects if o["kind"] == "Deployment")
    sbx.wait_until(lambda: sum(p["ready"] for p in kube_summary(sbx)["pods"] if p["namespace"] == "default")
                   == wanted, DEADLINE, f"{wanted} Ready pods")
    update = eks.update_cluster_version(name="demo", version="1.31")["update"]
    sbx.wait_until(lambda: eks.describe_update(name="demo", updateId=update["id"])["update"]["status"] == "Successful",
                   DEADLINE, "control plane at 1.31")
    assert sbx.control("DELETE", "kube/clusters/us-east-1/demo/observations")[0] == 200
    return eks


def ips_held(sbx, eks) -> int:
    """IPs the system group's nodes hold in its /24 subnets."""
    subnets = nodegroup(eks, "system")["subnets"]
    return sum(251 - s["AvailableIpAddressCount"]
               for s in sbx.client("ec2").describe_subnets(SubnetIds=subnets)["Subnets"])


def finished(eks, update_id):
    def check():
        u = eks.describe_update(name="demo", nodegroupName="system", updateId=update_id)["update"]
        return u if u["status"] != "InProgress" else None
    return check


@pytest.mark.parametrize(("desired", "surge"), [(2, 2), (4, 3)])  # a node in each zone the old ones are in
def test_rolling_update_surges_drains_within_budgets_and_replaces_every_node(sbx, desired, surge):
    eks = upgraded_cluster_with_workloads(
        sbx, deployment("web", 3), pdb("web-pdb", {"app": "web"}, maxUnavailable=1), daemonset("kube-proxy"),
        desired=desired)
    old = set(kube_summary(sbx)["nodegroups"]["system"]["nodes"])

    sbx.control("POST", "clock", {"freeze_after": {"service": "eks", "action": "UpdateNodegroupVersion"}})
    update = eks.update_nodegroup_version(clusterName="demo", nodegroupName="system", version="1.31")["update"]
    assert update["status"] == "InProgress" and update["type"] == "VersionUpdate"
    assert nodegroup(eks, "system")["status"] == "UPDATING"
    # Past setup, the clock stopped: the surge nodes are launched, not yet Ready, nothing cordoned.
    sbx.control("POST", "clock", {"advance_aws_seconds": DURATIONS["nodegroup.version.setup"]})
    assert len(kube_summary(sbx)["nodegroups"]["system"]["nodes"]) == desired + surge
    assert observations(sbx)["cordoned"] == []
    assert ips_held(sbx, eks) == desired + surge  # a preflight must find room for the surge too
    sbx.control("POST", "clock", {"freeze": False})

    done = sbx.wait_until(finished(eks, update["id"]), DEADLINE, "the update finished")
    assert done["status"] == "Successful" and done["errors"] == []
    ng = nodegroup(eks, "system")
    assert (ng["status"], ng["version"]) == ("ACTIVE", "1.31") and ng["releaseVersion"].startswith("1.31.")
    group = kube_summary(sbx)["nodegroups"]["system"]
    assert len(group["nodes"]) == desired and not set(group["nodes"]) & old and group["version"] == "1.31"
    assert ips_held(sbx, eks) == desired

    obs = observations(sbx)
    assert obs["pdb_violations"] == []
    assert [p for p in obs["lost_pods"] if p["counts_as_loss"]] == []
    assert sorted(p["owner_kind"] for p in obs["lost_pods"]) == ["DaemonSet"] * desired
    # Each web pod moved once: every old node is cordoned before the first drain.
    assert len(obs["evictions"]) == 3 and {e["pdb"] for e in obs["evictions"]} == {"web-pdb"}
    assert {(c["node"], c["unschedulable"]) for c in obs["cordoned"]} == {(n, True) for n in old}
    assert obs["availability"]["below_budget_seconds"] == 0
    web = [p for p in kube_summary(sbx)["pods"] if p["namespace"] == "default"]
    assert len(web) == 3 and all(p["ready"] and p["node"] in group["nodes"] for p in web)


def test_rolling_update_fails_with_pod_eviction_failure_then_force_deletes_past_the_budget(sbx):
    eks = upgraded_cluster_with_workloads(sbx, deployment("db", 2), pdb("db-pdb", {"app": "db"}, minAvailable=2))
    old = set(kube_summary(sbx)["nodegroups"]["system"]["nodes"])

    update = eks.update_nodegroup_version(clusterName="demo", nodegroupName="system", version="1.31")["update"]
    failed = sbx.wait_until(finished(eks, update["id"]), DEADLINE, "the update failed")
    assert failed["status"] == "Failed"
    [error] = failed["errors"]
    assert error["errorCode"] == "PodEvictionFailure"
    assert error["errorMessage"] == "Reached max retries while trying to evict pods from nodes in node group system"
    assert len(error["resourceIds"]) == 1 and set(error["resourceIds"]) <= old
    # As EKS leaves it: the group ACTIVE at its old version, the new nodes up, the old ones
    # cordoned and still serving; nothing was lost and no budget broken.
    ng = nodegroup(eks, "system")
    assert (ng["status"], ng["version"]) == ("ACTIVE", "1.30")
    nodes = set(kube_summary(sbx)["nodegroups"]["system"]["nodes"])
    assert old < nodes and len(nodes) == 4
    obs = observations(sbx)
    assert obs["pdb_violations"] == [] and obs["lost_pods"] == [] and obs["evictions"] == []
    assert {b["pdb"] for b in obs["blocked_evictions"]} == {"db-pdb"}
    assert {c["node"] for c in obs["cordoned"]} == old
    assert sum(p["ready"] for p in kube_summary(sbx)["pods"] if p["namespace"] == "default") == 2

    # force: the pods the budget still protects are deleted (recorded), and the update finishes
    # with the new nodes it launched before.
    forced = eks.update_nodegroup_version(clusterName="demo", nodegroupName="system", version="1.31",
                                          force=True)["update"]
    assert {"type": "Force", "value": "true"} in forced["params"]
    done = sbx.wait_until(finished(eks, forced["id"]), DEADLINE, "the forced update finished")
    assert done["status"] == "Successful"
    group = kube_summary(sbx)["nodegroups"]["system"]
    assert set(group["nodes"]) == nodes - old
    violations = observations(sbx)["pdb_violations"]
    assert violations and {(v["pdb"], v["cause"]) for v in violations} == {("db-pdb", "force")}


def test_rolling_update_with_max_unavailable_above_the_group_scales_back_down(sbx):
    eks = upgraded_cluster_with_workloads(sbx, deployment("web", 2), pdb("web-pdb", {"app": "web"}, maxUnavailable=1),
                                          updateConfig={"maxUnavailable": 3})
    old = set(kube_summary(sbx)["nodegroups"]["system"]["nodes"])
    update = eks.update_nodegroup_version(clusterName="demo", nodegroupName="system", version="1.31")["update"]
    assert sbx.wait_until(finished(eks, update["id"]), DEADLINE, "the update finished")["status"] == "Successful"
    nodes = set(kube_summary(sbx)["nodegroups"]["system"]["nodes"])
    assert len(nodes) == 2 and not nodes & old
    obs = observations(sbx)
    # 3 launched (maxUnavailable), then the surplus new node cordoned and drained away.
    cordoned = {c["node"] for c in obs["cordoned"]}
    assert len(cordoned) == 3 and old < cordoned and not cordoned & nodes
    assert obs["pdb_violations"] == [] and [p for p in obs["lost_pods"] if p["counts_as_loss"]] == []


def test_each_node_holds_an_ip_of_its_groups_subnets_while_it_runs(sbx):
    eks, _, subnets = active_cluster(sbx)
    ec2 = sbx.client("ec2")

    def free() -> dict:
        return {s["SubnetId"]: s["AvailableIpAddressCount"] for s in ec2.describe_subnets(SubnetIds=subnets)["Subnets"]}

    before = free()
    assert set(before.values()) == {251}  # a /24 less AWS's five
    create(eks, subnets, "system", desired=3)
    assert sorted(free().values()) == [249, 250]  # three nodes over two subnets
    sbx.wait_until(lambda: nodegroup(eks, "system")["status"] == "ACTIVE", DEADLINE, "system ACTIVE")
    eks.update_nodegroup_config(clusterName="demo", nodegroupName="system", scalingConfig={"desiredSize": 1})
    sbx.wait_until(lambda: sum(free().values()) == 2 * 251 - 1, DEADLINE, "one node's IP left held")
    eks.delete_nodegroup(clusterName="demo", nodegroupName="system")
    sbx.wait_until(lambda: free() == before, DEADLINE, "every IP given back")


def test_minimal_strategy_replaces_a_batch_after_it_is_gone_and_never_surges(sbx):
    eks = upgraded_cluster_with_workloads(sbx, deployment("web", 2), pdb("web-pdb", {"app": "web"}, maxUnavailable=1),
                                          desired=3, updateConfig={"maxUnavailable": 1, "updateStrategy": "MINIMAL"})
    old = set(kube_summary(sbx)["nodegroups"]["system"]["nodes"])
    update = eks.update_nodegroup_version(clusterName="demo", nodegroupName="system", version="1.31")["update"]
    peak = 0

    def done():
        nonlocal peak
        peak = max(peak, len(kube_summary(sbx)["nodegroups"]["system"]["nodes"]))
        return finished(eks, update["id"])()

    assert sbx.wait_until(done, DEADLINE, "the update finished")["status"] == "Successful"
    nodes = set(kube_summary(sbx)["nodegroups"]["system"]["nodes"])
    assert len(nodes) == 3 and not nodes & old and peak == 3
    obs = observations(sbx)
    assert obs["pdb_violations"] == [] and [p for p in obs["lost_pods"] if p["counts_as_loss"]] == []
    assert {c["node"] for c in obs["cordoned"]} == old  # one batch at a time, never a new node


def test_deleting_a_group_drains_its_nodes_first_and_terminates_what_a_budget_holds_after_the_limit(sbx):
    eks = upgraded_cluster_with_workloads(
        sbx, deployment("api", 2), pdb("api-pdb", {"app": "api"}, maxUnavailable=1),
        deployment("db", 2), pdb("db-pdb", {"app": "db"}, minAvailable=2))
    create(eks, nodegroup(eks, "system")["subnets"], "system-1-31", desired=2)
    sbx.wait_until(lambda: nodegroup(eks, "system-1-31")["status"] == "ACTIVE", DEADLINE, "green ACTIVE")
    blue = set(kube_summary(sbx)["nodegroups"]["system"]["nodes"])

    eks.delete_nodegroup(clusterName="demo", nodegroupName="system")
    sbx.wait_until(lambda: "system" not in eks.list_nodegroups(clusterName="demo")["nodegroups"], DEADLINE,
                   "blue deleted")
    obs = observations(sbx)
    assert {c["node"] for c in obs["cordoned"]} == blue
    # api moved to green through evictions its budget allowed: nothing lost, no violation.
    assert sorted(e["pod"].split("-")[0] for e in obs["evictions"]) == ["api", "api"]
    assert not [p for p in obs["lost_pods"] if p["owner"] and p["owner"].startswith("api")]
    # db's budget never allowed an eviction: after EKS's limit its pods went with their nodes.
    assert {(v["pdb"], v["cause"]) for v in obs["pdb_violations"]} == {("db-pdb", "nodegroup-deleted")}
    assert sorted(p["owner"].split("-")[0] for p in obs["lost_pods"] if p["counts_as_loss"]) == ["db", "db"]
    pods = [p for p in kube_summary(sbx)["pods"] if p["namespace"] == "default"]
    assert len(pods) == 4 and all(p["node"] not in blue for p in pods)
