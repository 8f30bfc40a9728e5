"""Story: the policy names a bucket that does not exist; creating it recovers without cleanup.

Given a policy whose bucket is missing,
then it is Ready=False with the storage reason, a PolicyNotReady Event names the bucket, the
reconcile-error counter rises and no Backup runs;
when the bucket is created,
then the policy becomes Ready and an on-demand backup succeeds.
"""

from __future__ import annotations

import uuid
from typing import Any

from steps import (
    backups_of,
    event_messages,
    given_a_policy,
    then_policy_condition,
    when_backup_now,
)
from tests.support.cluster import LocalCluster
from tests.support.operator import OperatorProcess
from tests.support.plugin_databases import StoreDatabase
from tests.support.s3 import REGION, S3Server


def test_a_missing_bucket_is_not_ready_until_it_exists(
    *,
    cluster: LocalCluster,
    namespace: str,
    operator: OperatorProcess,
    pg_store: StoreDatabase,
    s3_server: S3Server,
) -> None:
    # Given a policy whose bucket does not exist
    missing = f"strongroom-missing-{uuid.uuid4().hex[:10]}"
    given_a_policy(cluster, namespace, "catalog", pg_store, s3_server, missing)

    # Then the policy is not ready, with the storage reason, an Event and a counted error
    policy = then_policy_condition(
        cluster, namespace, "catalog", "Ready", "False", reason="BucketNotFound"
    )
    ready = next(c for c in policy["status"]["conditions"] if c["type"] == "Ready")
    assert missing in ready["message"]
    assert any(
        m.startswith("PolicyNotReady") and missing in m for m in event_messages(cluster, namespace)
    )
    errors = [
        line for line in operator.metrics().splitlines()
        if line.startswith('strongroom_reconcile_errors_total{kind="BackupPolicy"}')
    ]  # fmt: skip
    assert errors
    assert float(errors[0].split()[-1]) > 0
    assert backups_of(cluster, namespace, "catalog") == []

    # When the bucket is created
    client: Any = s3_server.client()
    client.create_bucket(Bucket=missing, CreateBucketConfiguration={"LocationConstraint": REGION})

    # Then the policy becomes ready and a backup succeeds
    then_policy_condition(cluster, namespace, "catalog", "Ready", "True", timeout=60)
    assert "Succeeded" in when_backup_now(cluster, namespace, "catalog")
