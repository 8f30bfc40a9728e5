"""Story: deleting a policy with deletionPolicy Retain (the default) keeps every backup.

Given a policy with a successful backup,
when the policy is deleted,
then it goes away (our finalizer is removed), its Backup objects stay, every object in the
bucket stays, and a BackupsRetained Event records the decision.
"""

from __future__ import annotations

from steps import (
    backups_of,
    event_messages,
    given_a_policy,
    s3_keys,
    when_backup_now,
)
from tests.support.cluster import LocalCluster
from tests.support.kube_steps import wait_for_gone
from tests.support.operator import OperatorProcess
from tests.support.plugin_databases import StoreDatabase
from tests.support.s3 import S3Server


def test_retain_leaves_backups_and_objects_in_place(
    *,
    cluster: LocalCluster,
    namespace: str,
    operator: OperatorProcess,
    maria_store: StoreDatabase,
    s3_server: S3Server,
    bucket: str,
) -> None:
    # Given a policy with a successful backup
    given_a_policy(
        cluster, namespace, "archive", maria_store, s3_server, bucket,
        schedule={"cron": "0 0 1 1 *"}, objectives={"rpo": "400d"},
    )  # fmt: skip
    assert "Succeeded" in when_backup_now(cluster, namespace, "archive")
    before_backups = [b["metadata"]["name"] for b in backups_of(cluster, namespace, "archive")]
    backups_folder = f"e2e/{namespace}/"  # the backups, not the audit trail beside them
    before_keys = s3_keys(s3_server, bucket, backups_folder)
    assert len(before_keys) == 2

    # When the policy is deleted
    cluster.kubectl("delete", "backuppolicy", "archive", "-n", namespace, "--wait=false")
    wait_for_gone(cluster, "backuppolicy", "archive", namespace=namespace, timeout=60)

    # Then every Backup and every object is still there, and an Event says so
    assert [
        b["metadata"]["name"] for b in backups_of(cluster, namespace, "archive")
    ] == before_backups
    assert s3_keys(s3_server, bucket, backups_folder) == before_keys
    assert any(m.startswith("BackupsRetained") for m in event_messages(cluster, namespace))
