"""Story: a full day of operations leaves a complete, ordered, clean audit trail in the bucket.

Given the shop's PostgreSQL with a policy whose backups run on demand,
when a day of operations happens — a morning backup that is verified, a key rotation (with the
re-wrap of that backup's manifest), a midday backup whose data object is damaged and whose
verification therefore fails, a customer erased from the live database and recorded in an
ErasureLedger, and in the afternoon a restore of the morning backup with the ledger replayed —
then the trail an auditor reads back from the bucket holds one record per operation, in the
order they happened, with their results (the failed verification included), naming backups,
key versions and who asked; and no record holds any value of any Secret of the namespace, nor
any personal data of the shop's customers (no e-mail address, name or phone number — the
erased customer's included); and nothing anyone can read after the day — the operator's log
and metrics, Events, the status of every Strongroom object, the logs of every pod that ran —
holds a password or a key byte.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from compliance_steps import (
    audit_objects,
    audit_trail,
    everything_said,
    secret_material,
    secret_values,
)
from key_steps import keys
from restore_steps import rows, when_restore
from steps import (
    backup_name,
    backups_of,
    given_an_on_demand_policy,
    given_database_login,
    then_verification_recorded,
    wait_until,
    when_backup_now,
    when_policy_patched,
    when_stored_object_changed,
)
from test_a_corrupt_backup_is_caught_by_the_next_verification import DAMAGE
from test_erased_customers_stay_erased_after_a_restore import erasure_of, when_erased_live
from tests.support.cluster import LocalCluster
from tests.support.kube_steps import apply
from tests.support.operator import OperatorProcess
from tests.support.plugin_databases import StoreDatabase
from tests.support.s3 import S3Server

from strongroom.audit.record import AuditAction, AuditResult

_KEY_ACTIONS = {AuditAction.KEY_ROTATE, AuditAction.KEY_REWRAP, AuditAction.KEY_RETIRE}
_EMAIL = re.compile(r"[^@\s\"]+@[^@\s\"]+\.[A-Za-z]{2,}")


def test_a_day_of_operations_is_audited_completely_in_order_and_without_secrets(
    *,
    cluster: LocalCluster,
    namespace: str,
    operator: OperatorProcess,
    pg_store: StoreDatabase,
    empty_pg_database: StoreDatabase,
    s3_server: S3Server,
    bucket: str,
    tmp_path: Path,
) -> None:
    live, target = pg_store.connection, empty_pg_database.connection
    # Given the shop's policy (backups on demand; every 2nd backup verified) and a restore login
    given_an_on_demand_policy(
        cluster, namespace, pg_store, s3_server, bucket, keep_last=5,
        verification={"level": "integrity", "everyNthBackup": 2}, name="shop",
    )  # fmt: skip
    given_database_login(cluster, namespace, target, name="target-login")
    user = cluster.kubectl("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}").stdout

    # When the morning backup runs and is verified
    morning = backup_name(when_backup_now(cluster, namespace, "shop"))
    verified = then_verification_recorded(cluster, namespace, "shop", morning)
    assert verified["status"]["verification"]["result"] == "Passed"

    # And the key is rotated (the morning backup's manifest is re-wrapped to version 2)
    assert "Key version 2 is primary" in keys(cluster, namespace, "rotate", "shop", "--wait")

    # And the midday backup's data object rots before its verification, which fails
    midday = backup_name(when_backup_now(cluster, namespace, "shop"))
    waiting = next(
        b for b in backups_of(cluster, namespace, "shop") if b["metadata"]["name"] == midday
    )
    _, key_field, damage = DAMAGE[0]
    when_stored_object_changed(s3_server, bucket, waiting["status"][key_field], damage)
    when_policy_patched(cluster, namespace, "shop", {"verification": {"everyNthBackup": 1}})
    failed = then_verification_recorded(cluster, namespace, "shop", midday)
    assert failed["status"]["verification"]["result"] == "Failed"

    # And a customer is erased from the live database and recorded in the ledger
    (erased,) = rows("postgresql", live, "SELECT MIN(id) FROM customers")[0]
    customer = rows(
        "postgresql", live,
        f"SELECT email, full_name, phone FROM customers WHERE id = {int(erased)}",  # noqa: S608
    )[0]  # fmt: skip
    others = rows("postgresql", live, "SELECT email, full_name, phone FROM customers LIMIT 50")
    deletes = erasure_of("postgresql", live, int(erased))
    when_erased_live("postgresql", live, deletes)
    ledger = {
        "apiVersion": "strongroom.dev/v1alpha1",
        "kind": "ErasureLedger",
        "metadata": {"name": "gdpr-erasures"},
        "spec": {
            "policyRefs": [{"name": "shop"}],
            "entries": [{"id": "DSR-1", "deletes": deletes}],
        },
    }
    apply(cluster, yaml.safe_dump(ledger), namespace=namespace)

    # And in the afternoon the morning backup is restored, the ledger replayed
    shown = when_restore(cluster, namespace, target, morning, "--name", "afternoon")
    assert shown.returncode == 0, shown.stdout + shown.stderr

    # Then the trail read back from the bucket holds every operation, in order, with its result
    wanted = [
        (AuditAction.BACKUP, morning, AuditResult.SUCCEEDED),
        (AuditAction.VERIFICATION, morning, AuditResult.SUCCEEDED),
        (AuditAction.BACKUP, midday, AuditResult.SUCCEEDED),
        (AuditAction.VERIFICATION, midday, AuditResult.FAILED),
        # the replay is part of the restore, so it ends (and is recorded) first
        (AuditAction.ERASURE_REPLAY, morning, AuditResult.SUCCEEDED),
        (AuditAction.RESTORE, morning, AuditResult.SUCCEEDED),
    ]

    def runs() -> list[tuple[AuditAction, str | None, AuditResult]]:
        trail = audit_trail(s3_server, bucket, tmp_path, namespace=namespace)
        found = [(r.action, r.backup, r.result) for r in trail if r.action not in _KEY_ACTIONS]
        return found if len(found) >= len(wanted) else []

    assert wait_until(runs, timeout=60, what="the day's audit records in the bucket") == wanted
    trail = audit_trail(s3_server, bucket, tmp_path, namespace=namespace)
    assert [r.time for r in trail] == sorted(r.time for r in trail)
    # and the key operations among them: the rotation between the two backups, then the
    # re-wrap of the morning backup to version 2 (and the retirement of version 1 after it)
    order = [(r.action, r.backup) for r in trail]
    (rotate,) = [i for i, (a, _) in enumerate(order) if a is AuditAction.KEY_ROTATE]
    assert trail[rotate].key_version == 2
    assert order.index((AuditAction.VERIFICATION, morning)) < rotate
    assert rotate < order.index((AuditAction.BACKUP, midday))
    rewraps = [i for i, (a, _) in enumerate(order) if a is AuditAction.KEY_REWRAP]
    assert [order[i][1] for i in rewraps] == [morning]
    assert rotate < rewraps[0]
    assert all(i > rewraps[0] for i, (a, _) in enumerate(order) if a is AuditAction.KEY_RETIRE)
    assert trail[order.index((AuditAction.BACKUP, midday))].key_version == 2
    # and who asked for the backups: the admin user, as the API server knows it
    assert {r.actor for r in trail if r.action is AuditAction.BACKUP} == {user}
    assert all(r.namespace == namespace and r.policy == "shop" for r in trail)

    # And no record holds a secret, or any personal data of the shop's customers
    stored = b"\n".join(audit_objects(s3_server, bucket, namespace=namespace)).decode()
    assert [v[:6] for v in secret_values(cluster, namespace) if v in stored] == []
    assert _EMAIL.findall(stored) == []
    personal = {str(value) for person in [customer, *others] for value in person if value}
    assert [value for value in personal if value in stored] == []

    # And nothing anyone can read — the operator's log and metrics, Events, statuses, the pods'
    # logs — holds a password or a key byte
    said = everything_said(cluster, namespace, operator)
    assert (cluster.workdir / "kubelet" / "logs" / namespace).is_dir()
    material = secret_material(cluster, namespace)
    assert len(material) >= 9  # the key ring's versions and both database passwords, each 3 ways
    assert [value[:4] for value in material if value in said] == []
