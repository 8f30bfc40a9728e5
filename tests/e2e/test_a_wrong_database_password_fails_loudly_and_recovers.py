"""Story: a wrong database password fails the run loudly; fixing the Secret recovers by itself.

Given a per-minute policy whose login Secret holds a wrong password,
then the slot's Backup fails with the agent's reason, the policy's BackupSucceeded condition
is False with that reason, a BackupFailed Warning Event names it, and /metrics counts the
failed run and its timestamp — and no password appears in any of it;
when the Secret is corrected,
then the next slot succeeds with no manual cleanup and BackupSucceeded turns True.
"""

from __future__ import annotations

from steps import (
    backups_of,
    event_messages,
    given_database_login,
    given_s3_login,
    phase,
    policy_manifest,
    then_policy_condition,
    wait_until,
    when_policy_applied,
)
from tests.support.cluster import LocalCluster
from tests.support.kube_steps import given_secret
from tests.support.operator import OperatorProcess
from tests.support.plugin_databases import StoreDatabase
from tests.support.s3 import S3Server

WRONG = "not-the-password-4711"


def test_a_wrong_password_is_reported_and_a_fixed_secret_recovers(
    *,
    cluster: LocalCluster,
    namespace: str,
    operator: OperatorProcess,
    pg_store: StoreDatabase,
    s3_server: S3Server,
    bucket: str,
) -> None:
    conn = pg_store.connection
    # Given a login Secret with a wrong password
    given_secret(
        cluster, "db-login", {"username": conn.user, "password": WRONG}, namespace=namespace
    )
    given_s3_login(cluster, namespace)
    when_policy_applied(
        cluster, namespace,
        policy_manifest("billing", engine="postgresql", conn=conn, bucket=bucket,
                        endpoint=s3_server.endpoint_url),
    )  # fmt: skip

    # Then the slot's Backup fails with a reason
    failed = wait_until(
        lambda: [b for b in backups_of(cluster, namespace, "billing") if phase(b) == "Failed"],
        timeout=150, what="a failed Backup",
    )[0]  # fmt: skip
    reason = failed["status"]["failureReason"]
    assert reason
    assert reason != "Succeeded"
    policy = then_policy_condition(
        cluster, namespace, "billing", "BackupSucceeded", "False", reason=reason
    )
    assert policy["status"]["complianceChecks"]["rpo"]["status"] == "False"

    # And a Warning Event names it, and the metrics count the failure
    messages = event_messages(cluster, namespace)
    assert any(m.startswith("BackupFailed") and reason in m for m in messages)
    metrics = operator.metrics()
    assert any(
        line.startswith("strongroom_backup_runs_total{")
        and f'namespace="{namespace}"' in line and 'result="failed"' in line
        and not line.endswith(" 0.0")
        for line in metrics.splitlines()
    )  # fmt: skip
    assert any(
        line.startswith("strongroom_backup_last_failure_timestamp_seconds{")
        and f'namespace="{namespace}"' in line and not line.endswith(" 0.0")
        for line in metrics.splitlines()
    )  # fmt: skip

    # And the password is nowhere: not in status, Events, metrics or the operator's log
    everywhere = "\n".join(
        [str(policy), str(failed), "\n".join(messages), metrics, operator.logs()]
    )
    assert WRONG not in everywhere

    # When the Secret is corrected
    given_database_login(cluster, namespace, conn)

    # Then a later slot succeeds and BackupSucceeded turns True, with no cleanup by hand
    wait_until(
        lambda: [b for b in backups_of(cluster, namespace, "billing") if phase(b) == "Succeeded"],
        timeout=150, what="a succeeded Backup after the fix",
    )  # fmt: skip
    then_policy_condition(cluster, namespace, "billing", "BackupSucceeded", "True", timeout=30)
