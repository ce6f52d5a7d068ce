"""What a cluster upgrade rollout meets in the sandbox's EKS: the lifecycle table a plan's
estimates are checked against, EKS's managed rolling update of a node group, node groups
whose nodes never join or whose creation fails, and the subnet IPs a group's nodes use."""

from __future__ import annotations

from conftest import TIME_SCALE


def test_durations_route_serves_the_lifecycle_table_and_the_time_scale(sbx):
    from strata_sandbox.eks import DURATIONS

    status, doc = sbx.control("GET", "eks/durations")
    assert status == 200
    assert doc == {"durations": DURATIONS, "time_scale": TIME_SCALE}
    assert doc["durations"]["cluster.version"] == 1200 and doc["durations"]["nodegroup.create"] == 180
