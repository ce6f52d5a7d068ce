"""The Resource Groups Tagging API's GetResources, over moto's backends and our EKS.

moto's own GetResources knows neither EventBridge rules nor our EKS clusters, and names log
groups `logs:loggroup` where AWS says `logs:log-group`; strata discovers the stack's keys, log
groups, queues, rules and clusters through this one call, so the sandbox answers it itself for
those resource types, with AWS's filter semantics (tag filters AND across keys, OR across a
key's values; a key without values matches any value) and pagination (ResourcesPerPage,
PaginationToken, "" when done). Any other resource type is left to moto.
"""
from __future__ import annotations

import base64
import json
from typing import Callable, Iterator, Optional

# The resource types served here, as ResourceTypeFilters name them; a bare service names all
# of its types (SQS queue ARNs carry no type at all).
SERVED = {"kms:key", "logs:log-group", "sqs", "sqs:queue", "events:rule", "eks:cluster"}
SERVICES = {t.split(":", 1)[0] for t in SERVED}


class TaggingError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def serves(body: dict) -> bool:
    """True when every requested resource type is one answered here (none means all of them)."""
    if body.get("ResourceARNList"):
        return False
    types = body.get("ResourceTypeFilters") or []
    return bool(types) and all(t in SERVED or t in SERVICES for t in types)


def get_resources(body: dict, account: str, region: str, eks_clusters: Callable[[str, str], list[dict]]) -> dict:
    types = body.get("ResourceTypeFilters") or []
    per_page = body.get("ResourcesPerPage", 50)
    if not isinstance(per_page, int) or not 1 <= per_page <= 100:
        raise TaggingError("InvalidParameterException", "ResourcesPerPage must be between 1 and 100.")
    matches = _tag_filter(body.get("TagFilters") or [])
    everything = [{"ResourceARN": arn, "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]}
                  for arn, tags in _resources(types, account, region, eks_clusters) if tags and matches(tags)]
    everything.sort(key=lambda r: r["ResourceARN"])
    start = _offset(body.get("PaginationToken") or "")
    page = everything[start:start + per_page]
    following = start + per_page
    token = _token(following) if following < len(everything) else ""
    return {"ResourceTagMappingList": page, "PaginationToken": token}


def _wants(types: list[str], resource_type: str) -> bool:
    service = resource_type.split(":", 1)[0]
    return resource_type in types or service in types


def _resources(types, account, region, eks_clusters) -> Iterator[tuple[str, dict]]:
    if _wants(types, "kms:key"):
        from moto.kms.models import kms_backends

        kms = kms_backends[account][region]
        for key in list(kms.keys.values()):
            listed = kms.list_resource_tags(key.id).get("Tags", [])
            yield key.arn, {t["TagKey"]: t["TagValue"] for t in listed}
    if _wants(types, "logs:log-group"):
        from moto.logs.models import logs_backends

        logs = logs_backends[account][region]
        for group in list(logs.groups.values()):
            yield group.arn, dict(logs.list_tags_for_resource(group.arn))
    if _wants(types, "sqs:queue"):
        from moto.sqs.models import sqs_backends

        for queue in list(sqs_backends[account][region].queues.values()):
            yield queue.queue_arn, dict(queue.tags or {})
    if _wants(types, "events:rule"):
        from moto.events.models import events_backends

        events = events_backends[account][region]
        for bus in list(events.event_buses.values()):
            for rule in list(bus.rules.values()):
                listed = events.tagger.list_tags_for_resource(rule.arn).get("Tags", [])
                yield rule.arn, {t["Key"]: t["Value"] for t in listed}
    if _wants(types, "eks:cluster"):
        for cluster in eks_clusters(account, region):
            yield cluster["arn"], dict(cluster.get("tags") or {})


def _tag_filter(filters: list[dict]) -> Callable[[dict], bool]:
    wanted: list[tuple[str, Optional[set[str]]]] = []
    for f in filters:
        key = f.get("Key")
        if not key:
            raise TaggingError("InvalidParameterException", "Each TagFilter must name a Key.")
        values = f.get("Values") or []
        wanted.append((key, set(values) if values else None))
    return lambda tags: all(k in tags and (vs is None or tags[k] in vs) for k, vs in wanted)


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _offset(token: str) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except Exception:
        raise TaggingError("PaginationTokenExpiredException", "The pagination token is not valid.") from None
    if not isinstance(offset, int) or offset < 0:
        raise TaggingError("PaginationTokenExpiredException", "The pagination token is not valid.")
    return offset
