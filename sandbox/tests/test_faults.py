"""Fault injection: each protocol's real throttling code, boto3's retries, 5xx, latency."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

CALLS = {
    "ec2": (lambda c: c.describe_vpcs(), "DescribeVpcs", "RequestLimitExceeded", 503),
    "iam": (lambda c: c.list_roles(), "ListRoles", "Throttling", 400),
    "sts": (lambda c: c.get_caller_identity(), "GetCallerIdentity", "Throttling", 400),
    "eks": (lambda c: c.list_clusters(), "ListClusters", "ThrottlingException", 429),
    "ssm": (lambda c: c.describe_parameters(), "DescribeParameters", "ThrottlingException", 400),
    "dynamodb": (lambda c: c.list_tables(), "ListTables", "ThrottlingException", 400),
    "sqs": (lambda c: c.list_queues(), "ListQueues", "RequestThrottled", 403),
    "logs": (lambda c: c.describe_log_groups(), "DescribeLogGroups", "ThrottlingException", 400),
}


@pytest.mark.parametrize("service", sorted(CALLS))
def test_throttling_uses_the_service_code_and_boto3_retries_it(sbx, service):
    call, action, expected_code, expected_status = CALLS[service]
    status, _ = sbx.control("POST", "faults", {"service": service, "action": action, "throttle_rate": 1.0})
    assert status == 200
    client = sbx.client(service, retries=1)
    with pytest.raises(ClientError) as e:
        call(client)
    err = e.value.response
    assert err["Error"]["Code"] == expected_code
    assert err["ResponseMetadata"]["HTTPStatusCode"] == expected_status
    assert err["ResponseMetadata"]["RetryAttempts"] >= 1  # boto3 saw a retryable throttle...
    logged = sbx.requests(service=service, action=action)
    assert len(logged) == 2 and {r["status"] for r in logged} == {expected_status}  # ...and retried once


def test_throttle_count_lets_the_retry_succeed(sbx):
    sbx.control("POST", "faults", {"service": "ec2", "throttle_rate": 1.0, "count": 2})
    ok = sbx.client("ec2", retries=5).describe_vpcs()
    assert ok["ResponseMetadata"]["RetryAttempts"] == 2
    assert [r["status"] for r in sbx.requests(service="ec2")] == [503, 503, 200]


def test_server_errors_latency_and_rule_validation(sbx):
    sbx.control("PUT", "faults", {"service": "eks", "error_rate": 1.0, "error_status": 503})
    with pytest.raises(ClientError) as e:
        sbx.client("eks").list_clusters()
    assert e.value.response["Error"]["Code"] == "ServiceUnavailableException"
    sbx.control("PUT", "faults", {"service": "iam", "error_rate": 1.0})
    with pytest.raises(ClientError) as e:
        sbx.client("iam").list_roles()
    assert (e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]) == \
        ("ServiceFailure", 500)
    sbx.control("PUT", "faults", {"service": "sts", "latency_ms": 300})
    started = time.monotonic()
    sbx.client("sts").get_caller_identity()
    assert time.monotonic() - started >= 0.3
    status, doc = sbx.control("DELETE", "faults")
    assert status == 200 and doc["rules"] == []
    status, doc = sbx.control("POST", "faults", {"throttle_rate": 2})
    assert status == 400
    status, doc = sbx.control("POST", "faults", {"bogus": 1})
    assert status == 400


def test_seeded_probabilistic_faults_are_reproducible(sbx):
    def run() -> list[int]:
        sbx.control("PUT", "faults", {"service": "sts", "throttle_rate": 0.5, "seed": 7})
        sbx.control("DELETE", "requests")
        client = sbx.client("sts")
        for _ in range(12):
            try:
                client.get_caller_identity()
            except ClientError:
                pass
        return [r["status"] for r in sbx.requests(service="sts")]

    first, second = run(), run()
    assert first == second and 400 in first and 200 in first


def test_dropped_connection_is_retried(sbx):
    sbx.control("POST", "faults", {"service": "eks", "action": "ListClusters", "drop_rate": 1.0, "count": 1})
    ok = sbx.client("eks", retries=2).list_clusters()
    assert ok["ResponseMetadata"]["RetryAttempts"] == 1
    assert [r["status"] for r in sbx.requests(service="eks")] == [0, 200]
    sbx.control("PUT", "faults", {"service": "eks", "drop_rate": 1.0})
    from botocore.exceptions import ConnectionClosedError, EndpointConnectionError

    with pytest.raises((ConnectionClosedError, EndpointConnectionError)):
        sbx.client("eks").list_clusters()


def test_error_after_runs_the_request_then_fails_it(sbx):
    """A write AWS committed though its caller hears a 500: the case a create without a client token must survive."""
    sbx.control("PUT", "faults",
                {"service": "ec2", "action": "AllocateAddress", "error_rate": 1.0, "error_after": True})
    ec2 = sbx.client("ec2", retries=0)
    with pytest.raises(ClientError) as e:
        ec2.allocate_address(Domain="vpc")
    response = e.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == ("InternalError", 500)
    sbx.control("DELETE", "faults")
    assert len(ec2.describe_addresses()["Addresses"]) == 1
    status, doc = sbx.control("POST", "faults", {"error_rate": 1.0, "error_after": True})
    assert status == 200 and doc["rules"][0]["error_after"] is True


def _raw_describe_vpcs(sbx) -> tuple[int, bytes]:
    """DescribeVpcs through botocore's signer but read raw: the body is not meant to parse."""
    client = sbx.client("ec2", retries=0)
    raw: dict = {}

    def keep(response_dict, **_):
        raw["status"], raw["body"] = response_dict["status_code"], response_dict["body"]

    client.meta.events.register("before-parse.ec2.DescribeVpcs", keep)
    try:
        client.describe_vpcs()
    except Exception:  # the point of the fault: the body need not parse
        pass
    return raw["status"], raw["body"]


def test_mangle_breaks_a_successful_answer_after_it_ran_and_logs_how(sbx):
    from strata_sandbox.mangle import MUTATIONS

    _, clean = _raw_describe_vpcs(sbx)
    for name in sorted(MUTATIONS):
        sbx.control("PUT", "faults", {"service": "ec2", "action": "DescribeVpcs", "mangle_rate": 1.0, "mangle": name,
                                      "seed": 5})
        status, body = _raw_describe_vpcs(sbx)
        assert status == 200 and body != clean, name
        assert sbx.requests(service="ec2", action="DescribeVpcs")[-1]["mangled"] == name
    # Seeded: the same rule breaks the same answers the same way.
    runs = []
    for _ in range(2):
        sbx.control("PUT", "faults", {"service": "ec2", "mangle_rate": 0.5, "seed": 9})
        for _ in range(6):
            _raw_describe_vpcs(sbx)
        runs.append([r.get("mangled") for r in sbx.requests(service="ec2")[-6:]])
    assert runs[0] == runs[1] and len(set(runs[0])) > 2
    status, doc = sbx.control("POST", "faults", {"mangle_rate": 0.5, "mangle": "no-such-mutation"})
    assert status == 400 and "mangle must be one of" in doc["message"]
