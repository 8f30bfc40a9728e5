"""Story: bit rot, a truncation and a tampered manifest are each caught by the next verification.

Given a policy with a tiny retention (``keepLast: 1``) whose first backup was verified good,
and verification held back (``everyNthBackup: 2``) so a new backup waits unverified,
when a stored object of that waiting backup is damaged behind the operator's back — one byte
of its data object flipped; its data object cut in half; its manifest edited — and the policy
is then set to verify every backup (``kubectl patch``),
then the operator's next verification fails that backup and flags it corrupt, the policy's
``Verified`` condition turns False, the failure metrics count it, and the first backup — the
newest verified good one — survives retention with its objects, whatever keepLast says.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from steps import (
    backup_name,
    backups_of,
    given_an_on_demand_policy,
    metric_value,
    s3_keys,
    then_policy_condition,
    then_verification_recorded,
    when_backup_now,
    when_policy_patched,
    when_stored_object_changed,
)
from tests.support.cluster import LocalCluster
from tests.support.operator import OperatorProcess
from tests.support.plugin_databases import StoreDatabase
from tests.support.s3 import S3Server


def _flip_one_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1 :]


def _cut_in_half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _edit_manifest(data: bytes) -> bytes:
    manifest = json.loads(data)
    manifest["server_version"] = "9.6.24"  # an authenticated field, changed after the fact
    return json.dumps(manifest).encode()


DAMAGE: list[tuple[str, str, Callable[[bytes], bytes]]] = [
    ("a flipped byte", "dataKey", _flip_one_byte),
    ("a truncated object", "dataKey", _cut_in_half),
    ("a tampered manifest", "manifestKey", _edit_manifest),
]


def test_each_damage_is_flagged_corrupt_and_the_verified_backup_survives(
    *,
    cluster: LocalCluster,
    namespace: str,
    operator: OperatorProcess,
    pg_store: StoreDatabase,
    s3_server: S3Server,
    bucket: str,
) -> None:
    # Given a policy that keeps one backup, and a first backup the operator verified good
    given_an_on_demand_policy(
        cluster, namespace, pg_store, s3_server, bucket, keep_last=1,
        verification={"level": "integrity", "everyNthBackup": 2},
    )  # fmt: skip
    good = backup_name(when_backup_now(cluster, namespace, "orders"))
    first = then_verification_recorded(cluster, namespace, "orders", good)
    assert first["status"]["verification"]["result"] == "Passed"
    then_policy_condition(cluster, namespace, "orders", "Verified", "True")

    for count, (what, key_field, damage) in enumerate(DAMAGE, start=1):
        # And a newer backup waiting unverified (every 2nd backup is verified)
        when_policy_patched(cluster, namespace, "orders", {"verification": {"everyNthBackup": 2}})
        name = backup_name(when_backup_now(cluster, namespace, "orders"))
        waiting = next(b for b in backups_of(cluster, namespace, "orders") if _named(b, name))
        assert not waiting["status"].get("verification"), what

        # When one of its stored objects is damaged, and the policy then verifies every backup
        when_stored_object_changed(s3_server, bucket, waiting["status"][key_field], damage)
        when_policy_patched(cluster, namespace, "orders", {"verification": {"everyNthBackup": 1}})

        # Then the next verification fails it and flags it corrupt
        caught = then_verification_recorded(cluster, namespace, "orders", name)
        verification = caught["status"]["verification"]
        assert verification["result"] == "Failed", (what, verification)
        assert caught["status"]["corrupt"] is True, (what, verification)
        assert "verifiedAt" not in caught["status"], what

        # And the policy is no longer Verified, and the failure metrics count it
        then_policy_condition(cluster, namespace, "orders", "Verified", "False")
        metrics = operator.metrics()
        labels = {"namespace": namespace, "policy": "orders"}
        failed = metric_value(
            metrics, "strongroom_verification_runs_total", result="failed", **labels
        )
        assert failed == count, (what, failed)
        last_failure = metric_value(
            metrics, "strongroom_verification_last_failure_timestamp_seconds", **labels
        )
        assert last_failure, what

    # And the first backup, the newest verified good one, survived retention with its objects
    left = {b["metadata"]["name"]: b for b in backups_of(cluster, namespace, "orders")}
    assert good in left
    keys = s3_keys(s3_server, bucket)
    assert left[good]["status"]["dataKey"] in keys
    assert left[good]["status"]["manifestKey"] in keys
    assert not left[good]["status"].get("corrupt")


def _named(backup: dict[str, object], name: str) -> bool:
    meta = backup.get("metadata")
    return isinstance(meta, dict) and meta.get("name") == name
