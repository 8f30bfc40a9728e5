"""Story: a bucket really outside the allowed regions is refused before any backup runs.

Given a policy that allows only the region it declares, and a bucket that was really created
in us-west-2 (so the declared region is wrong),
then the policy is Ready=False with reason RegionNotAllowed naming the real location, a
PolicyNotReady Event says so, strongroom_policy_resident is 0 and no Backup or Job is made;
when the policy is pointed at a bucket really in the allowed region,
then it becomes Ready, the gauge turns 1, and an on-demand backup succeeds.
"""

from __future__ import annotations

from steps import (
    ON_DEMAND,
    backups_of,
    event_messages,
    given_database_login,
    given_s3_login,
    metric_value,
    policy_manifest,
    then_policy_condition,
    wait_until,
    when_backup_now,
    when_policy_applied,
)
from tests.integration.report.s3_steps import given_bucket_in
from tests.support.cluster import LocalCluster
from tests.support.kube_steps import list_objects
from tests.support.operator import OperatorProcess
from tests.support.plugin_databases import StoreDatabase
from tests.support.s3 import REGION, S3Server


def test_a_bucket_in_a_disallowed_region_is_refused_until_a_resident_one_is_used(
    *,
    cluster: LocalCluster,
    namespace: str,
    operator: OperatorProcess,
    pg_store: StoreDatabase,
    s3_server: S3Server,
    bucket: str,
) -> None:
    # Given a policy allowing only its declared region, on a bucket really in us-west-2
    elsewhere = given_bucket_in(s3_server, "us-west-2")
    given_database_login(cluster, namespace, pg_store.connection)
    given_s3_login(cluster, namespace)

    def manifest(target: str) -> dict[str, object]:
        body = policy_manifest(
            "orders", engine="postgresql", conn=pg_store.connection, bucket=target,
            endpoint=s3_server.endpoint_url,
            schedule=ON_DEMAND, objectives={"rpo": "400d"},
        )  # fmt: skip
        body["spec"]["storage"]["allowedRegions"] = [REGION]
        return body

    def resident() -> float | None:
        return metric_value(
            operator.metrics(), "strongroom_policy_resident", namespace=namespace, policy="orders"
        )

    when_policy_applied(cluster, namespace, manifest(elsewhere))

    # Then it is refused with the real location, an Event and the residency gauge at 0
    policy = then_policy_condition(
        cluster, namespace, "orders", "Ready", "False", reason="RegionNotAllowed"
    )
    ready = next(c for c in policy["status"]["conditions"] if c["type"] == "Ready")
    assert "really in us-west-2" in ready["message"]
    assert REGION in ready["message"]
    assert any(
        m.startswith("PolicyNotReady: RegionNotAllowed") and "us-west-2" in m
        for m in event_messages(cluster, namespace)
    )
    wait_until(
        lambda: resident() == 0.0,
        timeout=30, what="strongroom_policy_resident 0",
    )  # fmt: skip
    # and nothing runs: no Backup of the schedule, no Job
    assert backups_of(cluster, namespace, "orders") == []
    assert list_objects(cluster, "jobs", namespace=namespace) == []

    # When the policy is pointed at a bucket really in the allowed region
    when_policy_applied(cluster, namespace, manifest(bucket))

    # Then it is Ready and resident, and a backup succeeds
    then_policy_condition(cluster, namespace, "orders", "Ready", "True", timeout=60)
    wait_until(
        lambda: resident() == 1.0,
        timeout=30, what="strongroom_policy_resident 1",
    )  # fmt: skip
    assert "Succeeded" in when_backup_now(cluster, namespace, "orders")
