"""A Kubernetes API server per sandbox EKS cluster.

The AWS side (EKS) drives a :class:`KubeRegistry`::

    registry = KubeRegistry(time_scale)
    c = registry.create_cluster(region, name, version)  # c.endpoint, c.ca_pem, c.oidc_issuer
    registry.upsert_nodegroup(region, cluster, nodegroup, desired, version, ready, labels, taints, instance_types)
    registry.delete_nodegroup(region, cluster, nodegroup)
    registry.set_cluster_version(region, name, version)
    registry.nodegroup_fault(region, cluster, nodegroup); registry.instance_ids(region, cluster, nodegroup)
    registry.delete_cluster(region, name); registry.reset()
    registry.control(path_parts, method, body) -> (status, json)   # /_sandbox/kube/...

Each cluster is an HTTPS server on 127.0.0.1:<ephemeral> with its own CA (``pki``), accepting
only ``aws eks get-token`` bearer tokens for that cluster (``auth``; anonymous callers may read
/version, /healthz, /livez, /readyz, as on EKS). Any valid token is cluster-admin. The API
(``server``) serves, shaped like the real one (errors are metav1.Status):

* ``/version``, ``/api``, ``/apis``, ``/api/v1``, ``/apis/{group}/{version}`` discovery;
* get/list (labelSelector, fieldSelector, limit/continue)/create/PUT/PATCH/DELETE of nodes,
  namespaces, pods, configmaps, secrets, services, serviceaccounts, apps/v1 deployments,
  replicasets, daemonsets, statefulsets and policy/v1 poddisruptionbudgets (status computed live);
* PATCH with ``application/merge-patch+json``, ``application/strategic-merge-patch+json``
  (maps merge, lists replace) and ``application/json-patch+json``; cordoning a node
  (``spec.unschedulable``) adds the ``node.kubernetes.io/unschedulable`` taint;
* ``POST /api/v1/namespaces/{ns}/pods/{name}/eviction`` (policy/v1 Eviction; apiVersion and kind
  left out are taken from the URL, as the API server's decoder does): 201 allowed,
  429 TooManyRequests when the pod's PDB allows no disruption (``details.causes[0].message``
  names the budget: "The disruption budget web needs 2 healthy pods and has 2 currently"),
  500 when more than one PDB selects the pod, 404 for an unknown pod;
* server-side apply: ``PATCH`` with ``application/apply-patch+yaml`` (the body must be JSON,
  which is YAML) and ``?fieldManager=`` (``&force=true`` takes conflicting fields), of any
  group/version/plural: kinds the server does not know (Karpenter ``NodePool``,
  ``EC2NodeClass``, ...) are registered on their first apply, scope taken from the URL.
  Returns 201 on create, 200 on update, 409 Conflict naming the other manager's fields.

Controllers (``cluster``) give the built-in kinds behaviour: Deployments own ReplicaSets, which
own pods; DaemonSets put one pod on every eligible node (new nodes too); StatefulSets own pods
``<name>-<ordinal>``, created in order (``podManagementPolicy: Parallel``: at once), and an
evicted one comes back under its own name once it is gone (budgets over them use the
StatefulSet's scale). A pod deleted or
evicted is Terminating (``deletionTimestamp`` set, not Ready, no longer counted by its
ReplicaSet or budget) for ``2 s × time_scale`` before it is gone (``gracePeriodSeconds=0``
deletes at once); its ReplicaSet replaces it at once with a new, differently named pod, bound by
the scheduler to a Ready, schedulable node and Running/Ready ``5 s × time_scale`` later
(Pending while no node fits); a Running pod's ``containerStatuses`` carry what the API server
always sends (``imageID``, ``containerID``, ``restartCount``, ``started``, ``state``), so the
official clients' typed models decode it (``tests/test_kube_official_client.py``).
Evicting a pod that is already Terminating answers 201 and is not
recorded again.
Node groups hold ``desired`` nodes named ``ip-10-0-x-y.<region domain>`` labelled with the
group's labels plus ``eks.amazonaws.com/nodegroup``, ``node.kubernetes.io/instance-type``,
``topology.kubernetes.io/zone`` (spread over zones a/b/c), kubelet ``v<version>.<patch>-eks-…``.
A node turns Ready when its group is upserted with ``ready=True`` and stays Ready after that:
``ready=False`` during a later scale-up or update holds back only the nodes not yet Ready.
Taints may use EKS (``NO_SCHEDULE``) or Kubernetes effects.
A version change through ``upsert_nodegroup`` updates the kubelet version in place. EKS's
rolling update (``strata_sandbox.eks_rolling_update``) replaces nodes instead, through the
cluster state's ``launch_nodes`` (new nodes at a version of their own, NotReady), ``join_nodes``,
``cordon_nodes``, ``drain_node`` (one pass of evictions by the Eviction API's rules, recorded as
any eviction; or with ``force`` deletions, PDB violations with cause ``force``) and
``terminate_node`` (its DaemonSet and mirror pods go with it, lost pods with cause
``rolling-update``).

Control routes (``path_parts`` are the segments after ``/_sandbox/kube/``):

``GET  clusters``
    ``{"clusters": [{"region", "name", "version", "endpoint", "oidc_issuer"}]}``
``GET  clusters/{region}/{name}``
    ``{"region", "name", "version", "endpoint", "oidc_issuer",
    "nodegroups": {ng: {"desired", "version", "ready", "nodes": [...]}},
    "nodes": [{"name", "nodegroup", "kubelet_version", "ready", "unschedulable", "annotations"}],
    "pods": [{"namespace", "name", "node", "phase", "ready", "owner_kind"}],
    "controller_errors": [...]}`` (the last is empty unless a controller hit a bug)
``POST clusters/{region}/{name}/workloads``
    Body ``{"objects": [<manifest>...], "static_pods": [{"node": N | "nodegroup": NG, "pod": <Pod>}]}``.
    ``objects`` are ordinary manifests of the built-in kinds (Namespace, Deployment,
    ReplicaSet, DaemonSet, PodDisruptionBudget, Pod, ConfigMap, ...); namespaces are created
    as needed. A Pod with annotation ``kubernetes.io/config.mirror`` and ``spec.nodeName`` is a
    static pod: its mirror pod ``<name>-<node>`` lives on that node, is recreated if deleted
    and disappears with the node. ``static_pods`` with ``nodegroup`` puts one on every node
    of the group, present and future. Answers 201 ``{"created": [{"kind", "namespace",
    "name", "uid"}...]}``; 400 Status for a bad payload (nothing after the bad item is created).
``GET  clusters/{region}/{name}/observations``
    ``{"evictions": [{"namespace", "pod", "node", "owner_kind", "owner", "pdb", "time"}
    (+ "current_healthy", "desired_healthy", "disruptions_allowed" of the budget, when one applied)],
    "blocked_evictions": [... + "code": 429 | 500],
    "pdb_violations": [{"pdb", "namespace", "pod", "node", "cause", "current_healthy",
    "desired_healthy", "time"}],
    "lost_pods": [{"namespace", "pod", "node", "nodegroup", "owner_kind", "owner", "cause",
    "phase", "terminating", "counts_as_loss", "time"}],
    "cordoned": [{"node", "nodegroup", "unschedulable", "annotations" (the node's, as that write left them),
    "time"}],
    "auth_failures": [{"path", "method", "reason", "time"}],
    "availability": {"time_scale", "below_budget_seconds", "zero_ready_seconds",
    "below_budget_wall_seconds", "zero_ready_wall_seconds",
    "stretches": [{"namespace", "deployment", "kind": "below_budget" | "zero_ready", "pdb",
    "desired_healthy", "min_ready", "start", "end" (null while open), "seconds", "wall_seconds"}],
    "deployments": [{"namespace", "name", "pdb", "below_budget_seconds", "zero_ready_seconds",
    "below_budget_wall_seconds", "zero_ready_wall_seconds"}]}}``.
    ``availability`` follows every Deployment, sampled after each change of the cluster's state
    (so a 50 ms dip is seen): a ``below_budget`` stretch while the budget selecting its pods has
    fewer healthy pods than it demands (``desiredHealthy``: minAvailable, or replicas minus
    maxUnavailable, percentages rounded up), a ``zero_ready`` stretch while it wants replicas and
    has no Ready pod. ``seconds`` are real-AWS seconds (wall seconds divided by the time scale,
    as every sandbox duration); ``deployments`` lists each Deployment seen since the last clear,
    with its totals, zero included.
    A PDB violation is a Ready pod deleted outside the Eviction API (plain DELETE: cause
    ``delete``; ``delete_nodegroup``: ``nodegroup-deleted``; scale-in: ``scale-in``) while a
    budget selecting it allowed no disruption. ``lost_pods`` lists every pod that went with a
    deleted node; ``counts_as_loss`` is false for DaemonSet and mirror pods, the ones a drain
    leaves behind by design, and for pods already Terminating (evicted, replaced elsewhere).
    ``owner_kind`` is ReplicaSet, DaemonSet, Mirror or None.
``DELETE clusters/{region}/{name}/observations``
    Clears the observations (e.g. between the seeding phase and the rollout under test); an
    availability stretch still open starts again at the clear.
``POST clusters/{region}/{name}/access``
    Body ``{"refuse": 401 | 403 | null}``: the caller's access withdrawn, as EKS answers once an
    access entry is removed or before it is granted: every request with a valid token gets 401
    Unauthorized (recorded in ``auth_failures``), or 403 Forbidden (the token maps to a user
    RBAC lets do nothing; /version and the health paths stay readable); null serves again.
``POST clusters/{region}/{name}/faults``
    Node-group faults for rollback tests, applied by EKS to the groups created afterwards whose
    name starts with ``nodegroup_prefix`` (the first matching fault wins):
    ``{"nodegroup_prefix": P, "never_ready": true}``: the instances run and their nodes register
    but never turn Ready; the group stays CREATING until EKS gives up
    (``DURATIONS["nodegroup.join_timeout"]``), then CREATE_FAILED with health issue
    ``NodeCreationFailure`` "Instances failed to join the kubernetes cluster" naming the instances.
    ``{"nodegroup_prefix": P, "create_fails": "message"}``: no instance launches (no node
    registers); CREATE_FAILED after ``DURATIONS["nodegroup.create_fails"]`` with health issue
    ``AsgInstanceLaunchFailures`` carrying the message. ``{"clear": true}`` removes every fault.
    Answers ``{"faults": [...]}`` (also ``GET``); 400 Status for any other body.
``GET  clusters/{region}/{name}/requests``
    ``{"requests": [{"method", "path", "query", "code", "user", "time"}]}``: every API request served.

Errors from control routes are Status objects too (404 unknown cluster, 405 wrong method).
"""

from .registry import KubeCluster, KubeRegistry

__all__ = ["KubeCluster", "KubeRegistry"]
