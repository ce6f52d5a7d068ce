"""EKS's managed rolling update of a node group (``UpdateNodegroupVersion``), phase by phase as
EKS documents it ("Understand each phase of node updates"), on the sandbox clock:

1. setup (``nodegroup.version.setup``): a launch template version for the target;
2. scale up: the larger of ``maxUnavailable`` and the number of zones the old nodes are in
   (one new node in each such zone first), at most 100, new nodes are launched and the update
   waits until they are Ready (``nodegroup.version.launch``); then every old node is cordoned
   and labelled ``node.kubernetes.io/exclude-from-external-load-balancers``;
3. upgrade, one batch of up to ``maxUnavailable`` old nodes at a time: if fewer new nodes run
   than the group's desired size, as many as the batch holds are launched first (and waited
   for); each node of the batch is drained through the Eviction API's rules (budgets respected,
   every eviction and refusal in the cluster's observations), refused evictions retried every
   ``nodegroup.version.eviction_retry``, until only DaemonSet and mirror pods remain; then EKS's
   60 s wait and the instance's termination (together ``nodegroup.version.node``).
   If pods are still on a node ``nodegroup.version.eviction_timeout`` (EKS's 15 minutes) after
   its drain began, the update fails: ``Failed`` with a ``PodEvictionFailure`` error naming the
   nodes, the group back to ACTIVE at its old version, every node left as it is (new nodes
   running, old ones cordoned, pods already evicted gone). With ``force`` the pods still there
   are deleted instead (PDB violations, cause ``force``, where a budget forbade it) and the
   update goes on;
4. scale down: new nodes beyond the desired size (a ``maxUnavailable`` larger than the group)
   are drained and terminated the same way.

``updateConfig.updateStrategy: MINIMAL`` launches no surge and cordons only the batch being
drained: each batch is drained and terminated first, then as many nodes as went are launched
and waited for before the next batch (capacity never above the desired size).

Success sets the group's version (release, launch template version) and ACTIVE, the update
``Successful``. With nothing blocking, the update of ``n`` nodes in ``z`` zones, ``m`` at a time
(default strategy), takes about setup + launch + ceil(n / m) x node, plus a launch for each
batch that starts while fewer than ``n`` new nodes run (when ``max(m, z) < n``), plus the
seconds pods take to move; ``DURATIONS["nodegroup.version"]`` is that sum for the default group
(2 nodes, ``maxUnavailable`` 1): 60 + 120 + 2 x 150 = 480.
"""

from __future__ import annotations

import math
from typing import Any, Callable

EXCLUDE_FROM_LB = {"node.kubernetes.io/exclude-from-external-load-balancers": "true"}
MAX_UNAVAILABLE_QUOTA = 100


class RollingUpdate:
    """One node group's update in flight. Every step runs under the sandbox's state lock (the
    scheduler's), and stops quietly once the group is being deleted."""

    def __init__(self, eks: Any, ctx: Any, ng: dict, update: Any, target: dict, force: bool,
                 durations: dict[str, float]) -> None:
        self.eks, self.ctx, self.ng, self.update = eks, ctx, ng, update
        self.target = target  # {"version", "releaseVersion"?, "launchTemplateVersion"?}
        self.force = force
        self.durations = durations
        self.cluster, self.name = ng["clusterName"], ng["nodegroupName"]
        self.kube = eks.kube.get_cluster(ctx.region, self.cluster).state
        # Nodes this update launched (at the target); any other node of the group is old.
        ng.setdefault("_updated_nodes", set())
        if ng.get("_update_target") != target:
            ng["_updated_nodes"], ng["_update_target"] = set(), dict(target)
        self.new_nodes: set[str] = ng["_updated_nodes"]
        self.max_unavailable = 1  # set in the setup phase
        self.minimal = (ng.get("updateConfig") or {}).get("updateStrategy") == "MINIMAL"

    # -------------------------------------------------------------- phases

    def start(self) -> None:
        self._after("nodegroup.version.setup", self._scale_up)

    def _scale_up(self) -> None:
        old = self._old()
        self.max_unavailable = self._parallel(len(old))
        if self.minimal:
            self._batches()  # no surge: each batch is replaced after it is gone
            return
        zones = sorted({n["zone"] for n in old})
        surge = min(max(self.max_unavailable, len(zones)), MAX_UNAVAILABLE_QUOTA) - len(self._new())
        if not zones:
            surge = 0  # no node to replace: the update only moves the group's launch template
        self._launch([zones[i % len(zones)] for i in range(surge)], then=lambda: self._cordon_old(self._batches))

    def _cordon_old(self, then: Callable[[], None]) -> None:
        self.kube.cordon_nodes([n["name"] for n in self._old()], EXCLUDE_FROM_LB)
        then()

    def _batches(self) -> None:
        old = self._old()
        desired = int(self.ng["scalingConfig"]["desiredSize"])
        if old and self.minimal:
            batch = [n["name"] for n in old[: self.max_unavailable]]
            self.kube.cordon_nodes(batch, EXCLUDE_FROM_LB)
            self._retire(batch)
            return
        if old:
            batch = [n["name"] for n in old[: self.max_unavailable]]
            missing = max(0, min(len(batch), desired - len(self._new())))
            zones = [n["zone"] for n in old[:missing]]
            self._launch(zones, then=lambda: self._retire(batch))
            return
        surplus = len(self._new()) - desired
        if surplus > 0:
            batch = [n["name"] for n in self._new()[-surplus:]]
            self.kube.cordon_nodes(batch, EXCLUDE_FROM_LB)
            self._retire(batch)
            return
        self._succeed()

    def _retire(self, batch: list[str]) -> None:
        """Drains the batch, then terminates its nodes; the next batch after."""
        deadline = self.eks.clock.now() + self.eks.clock.scaled(self.durations["nodegroup.version.eviction_timeout"])
        zones = [n["zone"] for n in self._nodes() if n["name"] in batch]

        def drain() -> None:
            left = {node: self.kube.drain_node(node) for node in batch}
            stuck = [node for node, pods in left.items() if pods]
            if not stuck:
                self._after("nodegroup.version.node", terminate)
            elif self.eks.clock.now() < deadline:
                self._after("nodegroup.version.eviction_retry", drain)
            elif self.force:
                for node in stuck:
                    self.kube.drain_node(node, force=True)
                self._after("nodegroup.version.node", terminate)
            else:
                self._fail(stuck)

        def terminate() -> None:
            for node in batch:
                self.kube.terminate_node(node, cause="rolling-update")
                self.new_nodes.discard(node)
            self.eks.charge_subnet_ips(self.ctx, self.ng)
            if self.minimal:  # the Auto Scaling group replaces what went, then the next batch
                missing = int(self.ng["scalingConfig"]["desiredSize"]) - len(self._new()) - len(self._old())
                self._launch(zones[: max(0, missing)], then=self._batches)
            else:
                self._batches()

        drain()

    # -------------------------------------------------------------- outcomes

    def _succeed(self) -> None:
        ng = self.ng
        ng["version"] = self.target["version"]
        if self.target.get("releaseVersion"):
            ng["releaseVersion"] = self.target["releaseVersion"]
        if self.target.get("launchTemplateVersion"):
            ng["launchTemplate"]["version"] = self.target["launchTemplateVersion"]
        ng.pop("_updated_nodes", None)
        ng.pop("_update_target", None)
        self.kube.set_nodegroup_version(self.name, self.target["version"])
        self._finish("Successful")

    def _fail(self, stuck: list[str]) -> None:
        self.update.errors = [{
            "errorCode": "PodEvictionFailure",
            "errorMessage": f"Reached max retries while trying to evict pods from nodes in node group {self.name}",
            "resourceIds": stuck,
        }]
        self._finish("Failed")

    def _finish(self, status: str) -> None:
        self.ng["status"], self.ng["modifiedAt"] = "ACTIVE", round(self.eks.clock.now(), 3)
        self.update.status = status

    # -------------------------------------------------------------- helpers

    def _alive(self) -> bool:
        """False once the group is deleted (or being deleted): the update goes with it."""
        return self.eks.state(self.ctx).nodegroups.get((self.cluster, self.name)) is self.ng \
            and self.ng["status"] == "UPDATING"

    def _after(self, duration: str, step: Callable[[], None]) -> None:
        self.eks.scheduler.after(self.durations[duration], lambda: step() if self._alive() else None)

    def _nodes(self) -> list[dict]:
        return self.kube.nodegroup_nodes(self.name)

    def _old(self) -> list[dict]:
        return [n for n in self._nodes() if n["name"] not in self.new_nodes]

    def _new(self) -> list[dict]:
        return [n for n in self._nodes() if n["name"] in self.new_nodes]

    def _parallel(self, nodes: int) -> int:
        """How many nodes are replaced at once (the group's updateConfig; 1 by default)."""
        config = self.ng.get("updateConfig") or {}
        if config.get("maxUnavailablePercentage"):
            return max(1, math.floor(max(1, nodes) * int(config["maxUnavailablePercentage"]) / 100))
        return max(1, min(int(config.get("maxUnavailable") or 1), MAX_UNAVAILABLE_QUOTA))

    def _launch(self, zones: list[str], then: Callable[[], None]) -> None:
        """Launches a node in each zone given, and goes on once they are Ready."""
        if not zones:
            then()
            return
        launched = self.kube.launch_nodes(self.name, self.target["version"], zones)
        self.new_nodes.update(launched)
        self.eks.charge_subnet_ips(self.ctx, self.ng)

        def joined() -> None:
            self.kube.join_nodes(self.name, launched)
            then()

        self._after("nodegroup.version.launch", joined)
