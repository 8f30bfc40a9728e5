"""Story: an operator on call restores a chosen backup, then the latest verified one, with
``strongroom restore``; a restore over a database that holds tables is refused.

Given a store database, its policy and a backup taken with ``strongroom backup-now``,
when the backup is restored by name into a new, empty database,
then the Restore succeeds, records the backup, duration and conditions, and every table's
fingerprint in the new database equals the source's;
when the same backup is restored again into that (now non-empty) database without
``--allow-overwrite``, the Restore is refused (status, ``RestoreRefused`` Event, exit code 1)
and the target is unchanged; with ``--allow-overwrite`` it replaces what is there;
when the newest verified backup is asked for, the verified backup is the one restored.
"""

from __future__ import annotations

import uuid

import pytest
from restore_steps import (
    fingerprints,
    given_a_backup,
    given_a_store_its_policy_and_an_empty_target,
    restore_status,
    rows,
    then_backup_verified,
    when_restore,
)
from steps import event_reasons
from tests.support.cluster import LocalCluster
from tests.support.mariadb import MariaDBServer
from tests.support.operator import OperatorProcess
from tests.support.postgres import PostgresServer
from tests.support.s3 import S3Server


@pytest.mark.parametrize("engine", ["postgresql", "mysql"])
def test_a_chosen_backup_restores_identically_and_an_occupied_target_is_refused(
    *,
    engine: str,
    request: pytest.FixtureRequest,
    cluster: LocalCluster,
    namespace: str,
    operator: OperatorProcess,
    s3_server: S3Server,
    bucket: str,
) -> None:
    # Given the logins, a policy whose backups come from backup-now only, and a backup
    store, empty = given_a_store_its_policy_and_an_empty_target(
        request, engine, namespace, s3_server, bucket
    )
    backup = given_a_backup(cluster, namespace, "shop")

    # When it is restored by name into a new, empty database
    shown = when_restore(cluster, namespace, empty.connection, backup, "--name", "first")

    # Then the Restore succeeds and the new database holds exactly what was dumped
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "Succeeded: Restored" in shown.stdout
    assert f"backup:   {backup}" in shown.stdout
    status = restore_status(cluster, namespace, "first")
    assert status["phase"] == "Succeeded"
    assert status["backupName"] == backup
    assert status["durationSeconds"] > 0
    assert status["requestedBy"]
    assert [(c["type"], c["status"]) for c in status["conditions"]] == [("Succeeded", "True")]
    restored = fingerprints(engine, empty.connection)
    assert restored == fingerprints(engine, store.connection)
    assert len(restored) >= 6
    assert {"RestoreStarted", "RestoreSucceeded"} <= set(event_reasons(cluster, namespace, "first"))

    # When the same backup is restored over that database without --allow-overwrite
    refused = when_restore(cluster, namespace, empty.connection, backup, "--name", "again")

    # Then it is refused, says so everywhere, and the target is untouched
    assert refused.returncode == 1, refused.stdout + refused.stderr
    status = restore_status(cluster, namespace, "again")
    assert status["phase"] == "Failed"
    assert status["reason"] == "TargetNotEmpty"
    assert "allowOverwrite" in status["message"]
    assert status["conditions"][0]["status"] == "False"
    assert "RestoreRefused" in event_reasons(cluster, namespace, "again")
    assert fingerprints(engine, empty.connection) == restored

    # When it is asked for explicitly, over a database whose rows changed since
    rows(engine, empty.connection, "DELETE FROM support_tickets")
    overwrite = when_restore(
        cluster, namespace, empty.connection, backup, "--name", "over", "--allow-overwrite"
    )

    # Then the backup replaces what is there
    assert overwrite.returncode == 0, overwrite.stdout + overwrite.stderr
    assert fingerprints(engine, empty.connection) == restored

    # When the newest verified backup is asked for, into another new database
    then_backup_verified(cluster, namespace, backup)
    server: PostgresServer | MariaDBServer = request.getfixturevalue(
        "postgres_server" if engine == "postgresql" else "mariadb_server"
    )
    fresh = f"latest_{uuid.uuid4().hex[:8]}"
    server.create_database(fresh)
    try:
        target = empty.connection.for_database(fresh)
        latest = when_restore(
            cluster, namespace, target, "--latest-verified", "--policy", "shop", "--name", "latest"
        )
        # Then the verified backup is the one restored
        assert latest.returncode == 0, latest.stdout + latest.stderr
        assert restore_status(cluster, namespace, "latest")["backupName"] == backup
        assert fingerprints(engine, target) == restored
    finally:
        server.drop_database(fresh)
