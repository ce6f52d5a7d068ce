"""EC2 behaviour moto lacks, layered around moto's EC2 backend.

* ``ClientToken`` idempotency for every action that carries one (CreateNatGateway,
  CreateLaunchTemplate, RunInstances, ...): the same token with the same parameters returns
  the first answer, with different parameters ``IdempotentParameterMismatch``.
* ``DryRun=true`` on mutating actions answers ``DryRunOperation`` (412) without doing anything
  (moto's CreateVpc creates the VPC anyway).
* Dependency checks: DeleteVpc with an internet gateway attached, security groups or a load
  balancer left, DeleteSubnet with a NAT gateway, network interface, instance or load balancer
  in it, DeleteSecurityGroup while a network interface or load balancer uses it ->
  ``DependencyViolation``; while another group's rule references it -> ``InvalidGroup.InUse``.
  Load balancers (``elb_ext``) hold their network while they live and for a while after their
  deletion, as their network interfaces do on AWS.
* NAT gateway lifecycle: ``pending`` -> ``available`` (~90 s scaled) and ``deleting`` ->
  ``deleted`` (~60 s scaled; the gateway's network interface goes with it). The gateway's
  network interface is described as AWS describes it: requester-managed, type ``nat_gateway``,
  "Interface for NAT Gateway nat-…", in use. An unknown id
  gives ``NatGatewayNotFound`` instead of moto's 500. Until the gateway is ``deleted`` its
  Elastic IP cannot be disassociated or released (``AuthFailure``, as AWS answers; moto let
  both through).
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Optional

NAT_CREATE_SECONDS = 90
NAT_DELETE_SECONDS = 60

_MUTATING = re.compile(
    r"^(Create|Delete|Modify|Run|Terminate|Start|Stop|Reboot|Attach|Detach|Associate|Disassociate|Authorize|"
    r"Revoke|Allocate|Release|Replace|Assign|Unassign|Enable|Disable|Import|Register|Deregister|Accept|Reject|"
    r"Cancel|Purchase|Request|Reset|Restore|Copy|Move|Provision|Deprovision|Update)"
)
_IGNORED_IN_FINGERPRINT = {"ClientToken", "Action", "Version", "DryRun"}


def _patch_nat_tag_filters() -> None:
    """moto's DescribeNatGateways drops ``tag:KEY``, ``tag-key`` and ``tag-value`` filters, so
    another stack's NAT gateway comes back; apply them as AWS does (moto's own tag matcher)."""
    from moto.ec2.models.nat_gateways import NatGatewayBackend
    from moto.ec2.utils import tag_filter_matches

    original = NatGatewayBackend.describe_nat_gateways
    if getattr(original, "_sandbox_tag_filters", False):
        return

    def describe_nat_gateways(self, filters, nat_gateway_ids):
        found = original(self, filters, nat_gateway_ids)
        for name, values in (filters or {}).items():
            if name.startswith("tag:") or name in ("tag-key", "tag-value"):
                found = [n for n in found if tag_filter_matches(n, name, list(values))]
        return found

    describe_nat_gateways._sandbox_tag_filters = True  # type: ignore[attr-defined]
    NatGatewayBackend.describe_nat_gateways = describe_nat_gateways  # type: ignore[method-assign]


class Ec2Extensions:
    def __init__(self, clock, scheduler) -> None:
        _patch_nat_tag_filters()
        self.clock = clock
        self.scheduler = scheduler
        self._tokens: dict[tuple[str, str, str, str], tuple[str, tuple[int, list, bytes]]] = {}
        self._nat_prior: dict[str, str] = {}
        # (account, region) -> the load balancers holding network there; set by the app to
        # ``ElbExtensions.holders`` (each has name, vpc_id, subnets, security_groups).
        self.load_balancers: Callable[[str, str], list[Any]] = lambda account, region: []

    def reset(self) -> None:
        self._tokens = {}
        self._nat_prior = {}

    # -------------------------------------------------------------- before moto

    def before(self, action: str, params: dict[str, str], account: str, region: str, backend: Any
               ) -> Optional[tuple[str, str, int]]:
        """An error to answer instead of calling moto, or None."""
        if params.get("DryRun", "").lower() == "true" and _MUTATING.match(action or ""):
            return ("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412)
        if action == "DeleteVpc":
            vpc_id = params.get("VpcId", "")
            for igw in backend.internet_gateways.values():
                if igw.vpc is not None and igw.vpc.id == vpc_id:
                    return ("DependencyViolation",
                            f"The vpc '{vpc_id}' has dependencies and cannot be deleted.", 400)
        if action == "DeleteVpc":
            vpc_id = params.get("VpcId", "")
            extra = [g.id for g in backend.groups.get(vpc_id, {}).values() if g.name != "default"]
            extra += [lb.name for lb in self.load_balancers(account, region) if lb.vpc_id == vpc_id]
            if extra:
                return ("DependencyViolation",
                        f"The vpc '{vpc_id}' has dependencies and cannot be deleted.", 400)
        if action == "DeleteSecurityGroup" and params.get("GroupId"):
            group_id = params["GroupId"]
            users = [e.id for e in backend.enis.values() if any(g.id == group_id for g in e.group_set)]
            users += [lb.name for lb in self.load_balancers(account, region) if group_id in lb.security_groups]
            if users:
                return ("DependencyViolation", f"resource {group_id} has a dependent object", 400)
            referencing = sorted(self._sg_references(backend, group_id))
            if referencing:
                return ("InvalidGroup.InUse", f"Group {group_id} is used by groups: {' '.join(referencing)}", 400)
        if action == "DeleteSubnet":
            subnet_id = params.get("SubnetId", "")
            busy = [n.id for n in backend.nat_gateways.values()
                    if n.subnet_id == subnet_id and n.state != "deleted"]
            busy += [e.id for e in backend.enis.values() if getattr(e.subnet, "id", None) == subnet_id]
            busy += [i.id for i in backend.all_instances()
                     if i.subnet_id == subnet_id and i.state != "terminated"]
            busy += [lb.name for lb in self.load_balancers(account, region) if subnet_id in lb.subnets]
            if busy:
                return ("DependencyViolation",
                        f"The subnet '{subnet_id}' has dependencies and cannot be deleted.", 400)
        if action in ("DisassociateAddress", "ReleaseAddress"):
            holder = self._nat_holding(backend, params)
            if holder is not None:
                # AWS: a NAT gateway's address stays the gateway's until it is `deleted`
                # (DeleteNatGateway only starts that); moto released it at once.
                return ("AuthFailure", "You do not have permission to access the specified resource.", 400)
        if action == "DeleteNatGateway":
            nat_id = params.get("NatGatewayId", "")
            if nat_id not in backend.nat_gateways:
                return ("NatGatewayNotFound", f"The Nat Gateway {nat_id} was not found", 400)
            self._nat_prior[nat_id] = backend.nat_gateways[nat_id].state
        return None

    @staticmethod
    def _nat_holding(backend: Any, params: dict[str, str]) -> Optional[str]:
        """The NAT gateway (not yet deleted) whose network interface holds the address that
        ``params`` name (AllocationId, AssociationId or PublicIp), or None."""
        for address in list(backend.addresses):
            named = (params.get("AllocationId") and address.allocation_id == params["AllocationId"]) or (
                params.get("AssociationId") and address.association_id == params["AssociationId"]) or (
                params.get("PublicIp") and address.public_ip == params["PublicIp"])
            if not named or getattr(address, "eni", None) is None:
                continue
            for nat in backend.nat_gateways.values():
                if getattr(nat, "_eni", None) is address.eni and nat.state != "deleted":
                    return nat.id
        return None

    @staticmethod
    def _sg_references(backend: Any, group_id: str) -> set[str]:
        users: set[str] = set()
        for groups in list(backend.groups.values()):
            for g in list(groups.values()):
                if g.id == group_id:
                    continue
                for rule in list(g.ingress_rules) + list(g.egress_rules):
                    refs = list(getattr(rule, "source_groups", None) or [])
                    if getattr(rule, "source_group", None):
                        refs.append(rule.source_group)
                    for ref in refs:
                        rid = ref.get("GroupId") if isinstance(ref, dict) else getattr(ref, "id", None)
                        if rid == group_id:
                            users.add(g.id)
        return users

    def _key(self, action: str, params: dict[str, str], account: str, region: str):
        token = params.get("ClientToken")
        if not token:
            return None, None
        fingerprint = json.dumps({k: v for k, v in sorted(params.items()) if k not in _IGNORED_IN_FINGERPRINT})
        return (account, region, action, token), fingerprint

    def replay(self, action: str, params: dict[str, str], account: str, region: str):
        key, fingerprint = self._key(action, params, account, region)
        if key is None or key not in self._tokens:
            return None
        seen_fp, response = self._tokens[key]
        if seen_fp != fingerprint:
            from strata_sandbox.protocols import RequestInfo, error_body

            info = RequestInfo("ec2", region, action, "ec2", None)
            return error_body(info, "IdempotentParameterMismatch",
                              f"Client token {params['ClientToken']} was already used with different parameters.",
                              400, "-")
        status, headers, body = response
        return status, list(headers), body

    # -------------------------------------------------------------- after moto

    def after(self, action: str, params: dict[str, str], account: str, region: str, status: int, body: bytes,
              headers: list, backend: Any) -> bytes:
        """Record idempotency tokens and start lifecycles; returns the body to send."""
        if status >= 300:
            return body
        if action == "CreateNatGateway":
            m = re.search(rb"<natGatewayId>(nat-[0-9a-f]+)</natGatewayId>", body)
            if m:
                self._nat_pending(backend, m.group(1).decode())
                body = body.replace(b"<state>available</state>", b"<state>pending</state>")
        elif action == "DeleteNatGateway":
            nat_id = params.get("NatGatewayId", "")
            self._nat_deleting(backend, nat_id, self._nat_prior.pop(nat_id, ""))
        key, fingerprint = self._key(action, params, account, region)
        if key is not None and key not in self._tokens:
            self._tokens[key] = (fingerprint, (status, list(headers), body))
        return body

    def _nat_pending(self, backend: Any, nat_id: str) -> None:
        nat = backend.nat_gateways.get(nat_id)
        if nat is None:
            return
        nat.state = "pending"
        eni = getattr(nat, "_eni", None)
        if eni is not None:
            # AWS's own interface for the gateway, as AWS describes it (moto: a plain
            # "interface", available), so it is told from one a user made.
            eni.requester_managed = True
            eni.interface_type = "nat_gateway"
            eni.description = f"Interface for NAT Gateway {nat_id}"
            eni.status = "in-use"

        def available() -> None:
            if backend.nat_gateways.get(nat_id) is nat and nat.state == "pending":
                nat.state = "available"

        self.scheduler.after(NAT_CREATE_SECONDS, available)

    def _nat_deleting(self, backend: Any, nat_id: str, previous: str) -> None:
        nat = backend.nat_gateways.get(nat_id)
        if nat is None:
            return
        if previous in ("deleting", "deleted"):
            nat.state = previous  # deleting again changes nothing, as on AWS
            return
        nat.state = "deleting"

        def deleted() -> None:
            if backend.nat_gateways.get(nat_id) is not nat:
                return
            nat.state = "deleted"
            eni = getattr(nat, "_eni", None)
            if eni is not None:
                for address in list(backend.addresses):
                    if getattr(address, "eni", None) is eni:
                        address.eni = None
                        address.association_id = None
                backend.enis.pop(eni.id, None)

        self.scheduler.after(NAT_DELETE_SECONDS, deleted)
