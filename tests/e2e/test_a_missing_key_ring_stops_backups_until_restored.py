"""Story: the key ring Secret disappears after backups exist; backups stop until it is restored.

Given a policy whose key ring was created on first use and has wrapped a backup,
when the key ring Secret is deleted,
then the policy is Ready=False with reason KeyRingMissing, a PolicyNotReady Event says what
to do, no new key ring is silently created (that would strand the existing backup), and an
on-demand backup does not start; when the Secret is restored from its copy, the policy is
Ready again and the waiting backup runs and succeeds.
"""

from __future__ import annotations

from typing import Any

from steps import (
    backups_of,
    event_messages,
    given_an_on_demand_policy,
    phase,
    then_policy_condition,
    wait_until,
    when_backup_now,
)
from tests.support.cluster import LocalCluster
from tests.support.kube_steps import apply, get
from tests.support.operator import OperatorProcess
from tests.support.plugin_databases import StoreDatabase
from tests.support.s3 import S3Server


def test_backups_wait_for_the_key_ring_and_resume_when_it_is_back(
    *,
    cluster: LocalCluster,
    namespace: str,
    operator: OperatorProcess,
    pg_store: StoreDatabase,
    s3_server: S3Server,
    bucket: str,
) -> None:
    # Given a policy that has made its key ring and one backup with it
    given_an_on_demand_policy(cluster, namespace, pg_store, s3_server, bucket, name="ledger")
    assert "Succeeded" in when_backup_now(cluster, namespace, "ledger")
    saved: dict[str, Any] | None = get(cluster, "secret", "ledger-keyring", namespace=namespace)
    assert saved is not None

    # When the key ring Secret is deleted
    cluster.kubectl("delete", "secret", "ledger-keyring", "-n", namespace)

    # Then the policy is not ready, says why, and no new key ring appears
    then_policy_condition(cluster, namespace, "ledger", "Ready", "False", reason="KeyRingMissing")
    assert any(
        m.startswith("PolicyNotReady") and "KeyRingMissing" in m
        for m in event_messages(cluster, namespace)
    )
    assert get(cluster, "secret", "ledger-keyring", namespace=namespace) is None

    # And an on-demand backup waits instead of running
    cluster.kubectl(
        "create", "-n", namespace, "-f", "-",
        input=_manual_backup("ledger", "ledger-manual-waiting"),
    )  # fmt: skip
    then_policy_condition(cluster, namespace, "ledger", "Ready", "False", reason="KeyRingMissing")
    waiting = next(
        b
        for b in backups_of(cluster, namespace, "ledger")
        if b["metadata"]["name"] == "ledger-manual-waiting"
    )
    assert phase(waiting) is None

    # When the Secret is restored from its copy
    restored = {k: saved[k] for k in ("apiVersion", "kind", "type", "data")}
    restored["metadata"] = {"name": "ledger-keyring", "labels": saved["metadata"].get("labels", {})}
    apply(cluster, restored, namespace=namespace)

    # Then the policy is ready again and the waiting backup succeeds with the same key
    then_policy_condition(cluster, namespace, "ledger", "Ready", "True", timeout=30)
    done = wait_until(
        lambda: [b for b in backups_of(cluster, namespace, "ledger")
                 if b["metadata"]["name"] == "ledger-manual-waiting" and phase(b) == "Succeeded"],
        timeout=90, what="the waiting backup to succeed",
    )[0]  # fmt: skip
    assert done["status"]["keyId"] == "ledger-keyring"
    assert done["status"]["keyVersion"] == 1


def _manual_backup(policy: str, name: str) -> str:
    return (
        "apiVersion: strongroom.dev/v1alpha1\nkind: Backup\n"
        f"metadata:\n  name: {name}\n  labels:\n    strongroom.dev/policy: {policy}\n"
        "    app.kubernetes.io/managed-by: strongroom\n    strongroom.dev/trigger: manual\n"
        f"spec:\n  policyRef:\n    name: {policy}\n  scheduledTime: '2026-01-01T00:00:00Z'\n"
        "  trigger: manual\n"
    )
