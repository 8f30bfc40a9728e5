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
    backups_of,
    event_messages,
    given_database_login,
    given_s3_login,
    phase,
    policy_manifest,
    s3_keys,
    wait_until,
    when_backup_now,
    when_policy_applied,
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
    given_database_login(cluster, namespace, pg_store.connection)
    given_s3_login(cluster, namespace)
    manifest = policy_manifest(
        "orders", engine="postgresql", conn=pg_store.connection, bucket=bucket,
        endpoint=s3_server.endpoint_url, keep_last=2,
        schedule={"cron": "0 0 1 1 *", "startingDeadline": "5m"}, objectives={"rpo": "400d"},
    )  # fmt: skip
    when_policy_applied(cluster, namespace, manifest)

    # And a first backup that has passed verification
    first = _name(when_backup_now(cluster, namespace, "orders"))
    wait_until(
        lambda: [
            b for b in backups_of(cluster, namespace, "orders")
            if b["metadata"]["name"] == first
            and ((b["status"].get("verification") or {}).get("result") == "Passed")
        ],
        timeout=90, what="the first backup to be verified",
    )  # fmt: skip

    # When three more on-demand backups run, one after the other
    second, third, fourth = (_name(when_backup_now(cluster, namespace, "orders")) for _ in range(3))

    # Then the two newest and the newest verified Backups remain
    def planned_set() -> list[str]:
        left = [b["metadata"]["name"] for b in backups_of(cluster, namespace, "orders")]
        return left if left == [first, third, fourth] else []

    wait_until(planned_set, timeout=60, what="retention down to the planned three Backups")
    kept = backups_of(cluster, namespace, "orders")
    assert all(phase(b) == "Succeeded" for b in kept)

    # And the deleted one's objects are gone, the kept ones' objects are all there
    keys = s3_keys(s3_server, bucket)
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


def _name(output: str) -> str:
    """The Backup name from ``strongroom backup-now`` output (``Backup ns/name created.``)."""
    assert "Succeeded" in output, output
    return output.split()[1].split("/")[1]
