"""Story: over several runs, retention keeps exactly what the planner says — objects and Backups.

Given a policy with ``keepLast: 2`` whose schedule is far away, and a first backup that the
operator has verified,
when three more on-demand backups run one after another (``strongroom backup-now``),
then the two newest Backups remain, and so does the first one — the newest *verified* backup is
never deleted, whatever keepLast says — while the second one is deleted: its data object and
manifest are gone from the bucket (before its Backup object, each with an Event), and every kept
backup's objects are untouched.
"""

from __future__ import annotations

from steps import (
    backup_name,
    backups_of,
    event_messages,
    given_an_on_demand_policy,
    phase,
    s3_keys,
    wait_until,
    when_backup_now,
)
from tests.support.cluster import LocalCluster
from tests.support.operator import OperatorProcess
from tests.support.plugin_databases import StoreDatabase
from tests.support.s3 import S3Server


def test_keep_last_two_deletes_the_oldest_backup_and_its_objects(
    *,
    cluster: LocalCluster,
    namespace: str,
    operator: OperatorProcess,
    pg_store: StoreDatabase,
    s3_server: S3Server,
    bucket: str,
) -> None:
    # Given a policy that keeps the last two backups and has no slot due soon
    given_an_on_demand_policy(cluster, namespace, pg_store, s3_server, bucket, keep_last=2)

    # And a first backup that has passed verification
    first = backup_name(when_backup_now(cluster, namespace, "orders"))
    wait_until(
        lambda: [
            b for b in backups_of(cluster, namespace, "orders")
            if b["metadata"]["name"] == first
            and ((b["status"].get("verification") or {}).get("result") == "Passed")
        ],
        timeout=90, what="the first backup to be verified",
    )  # fmt: skip

    # When three more on-demand backups run, one after the other
    second, third, fourth = (
        backup_name(when_backup_now(cluster, namespace, "orders")) for _ in range(3)
    )

    # Then the two newest and the newest verified Backups remain
    def planned_set() -> list[str]:
        left = [b["metadata"]["name"] for b in backups_of(cluster, namespace, "orders")]
        return left if left == [first, third, fourth] else []

    wait_until(planned_set, timeout=60, what="retention down to the planned three Backups")
    kept = backups_of(cluster, namespace, "orders")
    assert all(phase(b) == "Succeeded" for b in kept)

    # And the deleted one's objects are gone, the kept ones' objects are all there
    keys = s3_keys(s3_server, bucket, f"e2e/{namespace}/")  # the backups, not the audit trail
    assert not [k for k in keys if f"/{second}/" in k]
    for backup in kept:
        assert backup["status"]["dataKey"] in keys
        assert backup["status"]["manifestKey"] in keys
    assert len(keys) == 6

    # And every deletion left an Event: data, then manifest, then the Backup object
    messages = event_messages(cluster, namespace)
    deleted = [
        m
        for m in messages
        if second in m and m.startswith(("BackupObjectDeleted", "BackupDeleted"))
    ]
    assert any("data.sr" in m for m in deleted)
    assert any("manifest.json" in m for m in deleted)
    assert any(m.startswith("BackupDeleted") for m in deleted)
