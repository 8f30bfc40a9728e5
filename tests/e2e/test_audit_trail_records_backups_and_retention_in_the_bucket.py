"""Story: backups and retention deletions leave an audit trail in the bucket, naming who asked.

Given a policy that keeps one backup,
when three on-demand backups run (``strongroom backup-now``, as the cluster's admin user), the
first verified before the others,
then the bucket holds, in time order, a ``backup`` record for each naming the admin user (as
the API server authenticated ``backup-now``) with the key id/version, region, size and duration,
and two ``retention-delete`` records for the second (keepLast 1 keeps the newest and the newest
verified): ``started`` before anything was deleted, then ``succeeded`` saying its manifest —
its wrapped data key — was shredded; the same records are
JSON lines in the operator's log; and no record holds any value of any Secret of the namespace.
"""

from __future__ import annotations

import json
from pathlib import Path

from compliance_steps import audit_objects, audit_trail, secret_values
from steps import (
    backups_of,
    given_an_on_demand_policy,
    then_policy_condition,
    wait_until,
    when_backup_now,
)
from tests.support.cluster import LocalCluster
from tests.support.operator import OperatorProcess
from tests.support.plugin_databases import StoreDatabase
from tests.support.s3 import REGION, S3Server

from strongroom.audit.record import AuditAction, AuditResult


def test_backups_and_a_retention_deletion_are_recorded_in_order(
    *,
    cluster: LocalCluster,
    namespace: str,
    operator: OperatorProcess,
    pg_store: StoreDatabase,
    s3_server: S3Server,
    bucket: str,
    tmp_path: Path,
) -> None:
    # Given a policy keeping one backup, verified at the integrity level only
    given_an_on_demand_policy(
        cluster, namespace, pg_store, s3_server, bucket, keep_last=1,
        verification={"level": "integrity", "everyNthBackup": 100},
    )  # fmt: skip
    then_policy_condition(cluster, namespace, "orders", "Ready", "True")
    user = cluster.kubectl("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}").stdout

    # When a first backup runs and is verified, and two more run after it
    when_backup_now(cluster, namespace, "orders")
    (first,) = [b["metadata"]["name"] for b in backups_of(cluster, namespace, "orders")]
    wait_until(
        lambda: [b for b in backups_of(cluster, namespace, "orders")
                 if (b["status"].get("verification") or {}).get("result") == "Passed"],
        timeout=90, what=f"{first} to be verified",
    )  # fmt: skip
    when_backup_now(cluster, namespace, "orders")
    second = backups_of(cluster, namespace, "orders")[-1]["metadata"]["name"]
    when_backup_now(cluster, namespace, "orders")

    def names() -> list[str]:
        return [b["metadata"]["name"] for b in backups_of(cluster, namespace, "orders")]

    # (keepLast 1 keeps the newest, and the newest verified one is never deleted)
    wait_until(lambda: second not in names(), timeout=60, what=f"retention to delete {second}")

    # Then the bucket holds the backups and the deletion (intent, then completion), oldest first
    def recorded() -> list[tuple[AuditAction, str | None]]:
        trail = audit_trail(s3_server, bucket, tmp_path, namespace=namespace)
        wanted = {AuditAction.BACKUP, AuditAction.RETENTION_DELETE}
        return [(r.action, r.backup) for r in trail if r.action in wanted]

    wait_until(lambda: len(recorded()) == 5, timeout=30, what="five audit records")
    trail = audit_trail(s3_server, bucket, tmp_path, namespace=namespace)
    backups = [r for r in trail if r.action is AuditAction.BACKUP]
    intent, deletion = [r for r in trail if r.action is AuditAction.RETENTION_DELETE]
    assert recorded()[-1] == (AuditAction.RETENTION_DELETE, second)
    assert [r.backup for r in backups] == [first, second, names()[-1]]
    assert [r.time for r in trail] == sorted(r.time for r in trail)
    for record in backups:
        assert record.result is AuditResult.SUCCEEDED
        assert (record.actor, record.details["actorSource"]) == (user, "annotation")
        assert record.details["trigger"] == "manual"
        assert record.key_id
        assert record.key_version == 1
        assert record.region == REGION
        assert int(record.details["sizeBytes"] or 0) > 0
        assert (record.duration_seconds or 0) > 0
    assert (intent.result, deletion.result) == (AuditResult.STARTED, AuditResult.SUCCEEDED)
    assert intent.details == {"dataExists": True, "manifestExists": True}
    assert deletion.details == {"dataDeleted": True, "manifestShredded": True}
    assert deletion.key_id == backups[1].key_id

    # And the operator logged each as one JSON line on the audit logger
    logged = [
        json.loads(line[line.index("{") :])
        for line in operator.logs().splitlines()
        if "strongroom.audit" in line and f'"namespace":"{namespace}"' in line
    ]
    assert {(r["action"], r["backup"]) for r in logged} >= {
        ("backup", first), ("backup", second), ("retention-delete", second),
    }  # fmt: skip

    # And no stored record holds any value of any Secret of the namespace
    stored = b"\n".join(audit_objects(s3_server, bucket, namespace=namespace)).decode()
    leaked = [value[:6] for value in secret_values(cluster, namespace) if value in stored]
    assert leaked == []
