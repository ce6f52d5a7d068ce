"""Elastic Load Balancing (``elbv2`` and classic ``elb``) behaviour moto lacks, around moto's backends.

moto serves both APIs (one endpoint, told apart by the query's ``Version``) but gives a load
balancer no network interfaces, so to moto's EC2 a subnet, VPC or security group a load balancer
sits in is free to delete. On AWS the load balancer's network interfaces hold them: DeleteSubnet,
DeleteVpc and DeleteSecurityGroup answer ``DependencyViolation`` while it lives, and for a few
minutes after DeleteLoadBalancer, until ELB has released those interfaces (the window in which
Terraform destroys fail). This module says what holds network right now:

* every live load balancer of either API (its subnets, VPC and security groups);
* every load balancer deleted less than ``ENI_RELEASE_SECONDS`` (AWS seconds, scaled) ago.

:class:`strata_sandbox.ec2_ext.Ec2Extensions` consults :meth:`ElbExtensions.holders` in its
dependency checks. The interfaces themselves are not modelled as EC2 network interfaces
(DescribeNetworkInterfaces does not list them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

# How long ELB takes to release a deleted load balancer's network interfaces (AWS seconds).
ENI_RELEASE_SECONDS = 120


@dataclass(frozen=True)
class NetworkHolder:
    """A load balancer (live or recently deleted) and the network it holds."""

    kind: str  # "application" | "network" | "gateway" | "classic"
    name: str
    ident: str  # the ARN (elbv2) or the name (classic): what the user would look for
    vpc_id: Optional[str]
    subnets: frozenset[str]
    security_groups: frozenset[str]
    deleted: bool = False  # gone from ELB, its network interfaces not yet released


def _elbv2_backend(account: str, region: str):
    from moto.elbv2.models import elbv2_backends

    return elbv2_backends[account][region]


def _elb_backend(account: str, region: str):
    from moto.elb.models import elb_backends

    return elb_backends[account][region]


def _live(account: str, region: str) -> list[NetworkHolder]:
    found: list[NetworkHolder] = []
    for lb in list(_elbv2_backend(account, region).load_balancers.values()):
        found.append(NetworkHolder(
            kind=lb.type, name=lb.name, ident=lb.arn, vpc_id=lb.vpc_id,
            subnets=frozenset(s.id for s in lb.subnets), security_groups=frozenset(lb.security_groups or [])))
    for lb in list(_elb_backend(account, region).load_balancers.values()):
        found.append(NetworkHolder(
            kind="classic", name=lb.name, ident=lb.name, vpc_id=lb.vpc_id,
            subnets=frozenset(lb.subnets or []), security_groups=frozenset(lb.security_groups or [])))
    return found


class ElbExtensions:
    def __init__(self, clock, scheduler) -> None:
        self.clock = clock
        self.scheduler = scheduler
        # (account, region) -> load balancers deleted whose interfaces are still being released
        self._releasing: dict[tuple[str, str], list[NetworkHolder]] = {}
        # DeleteLoadBalancer's target, read before moto forgets it
        self._deleting: Optional[tuple[str, str, NetworkHolder]] = None

    def reset(self) -> None:
        self._releasing = {}
        self._deleting = None

    def holders(self, account: str, region: str) -> list[NetworkHolder]:
        """Every load balancer holding network in this account and region, live ones first."""
        return _live(account, region) + list(self._releasing.get((account, region), []))

    def before(self, service: str, action: str, params: dict[str, str], account: str, region: str) -> None:
        """Remember the network of the load balancer a DeleteLoadBalancer is about to remove."""
        self._deleting = None
        if action != "DeleteLoadBalancer":
            return
        key = params.get("LoadBalancerArn") if service == "elbv2" else params.get("LoadBalancerName")
        for holder in _live(account, region):
            if holder.ident == key and (holder.kind == "classic") == (service == "elb"):
                self._deleting = (account, region, holder)
                return

    def after(self, service: str, action: str, account: str, region: str, status: int) -> None:
        """Start the release window of a load balancer that was just deleted."""
        pending, self._deleting = self._deleting, None
        if action != "DeleteLoadBalancer" or status >= 300 or pending is None:
            return
        _, _, live = pending
        holder = NetworkHolder(live.kind, live.name, live.ident, live.vpc_id, live.subnets, live.security_groups,
                               deleted=True)
        key = (account, region)
        self._releasing.setdefault(key, []).append(holder)

        def released() -> None:
            left = [h for h in self._releasing.get(key, []) if h is not holder]
            self._releasing[key] = left

        self.scheduler.after(ENI_RELEASE_SECONDS, released)
