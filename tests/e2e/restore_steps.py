"""Given/When/Then steps for the restore and erasure stories.

A person restores with ``strongroom restore`` (the CLI, against the real API server) and reads
the result with kubectl; the tests then look into the target database the way a DBA would:
table fingerprints (the engines' own), and plain SQL for erased customers.
"""

from __future__ import annotations

import contextlib
import subprocess
from typing import Any

import pytest
from steps import (
    backups_of,
    given_an_on_demand_policy,
    given_database_login,
    phase,
    the_store,
    wait_until,
    when_backup_now,
)
from tests.support.cluster import REPO_ROOT, LocalCluster
from tests.support.kube_steps import get
from tests.support.plugin_databases import StoreDatabase

from strongroom.engines import engine_for
from strongroom.engines.base import Connection, TableFingerprint, read_password


def given_a_store_its_policy_and_an_empty_target(
    request: pytest.FixtureRequest, engine: str, namespace: str, s3_server: Any, bucket: str
) -> tuple[StoreDatabase, StoreDatabase]:
    """A store database of ``engine``, its on-demand policy ``shop`` (integrity verification)
    and a new, empty database on the same server with its login Secret ``target-login``."""
    pg = engine == "postgresql"
    cluster: LocalCluster = request.getfixturevalue("cluster")
    store = the_store(request, engine)
    empty: StoreDatabase = request.getfixturevalue(
        "empty_pg_database" if pg else "empty_maria_database"
    )
    given_an_on_demand_policy(
        cluster, namespace, store, s3_server, bucket, keep_last=5,
        verification={"level": "integrity"}, name="shop",
    )  # fmt: skip
    given_database_login(cluster, namespace, empty.connection, name="target-login")
    return store, empty


def given_a_backup(cluster: LocalCluster, namespace: str, policy: str) -> str:
    """Run ``strongroom backup-now --wait``; return the name of the Backup it made."""
    when_backup_now(cluster, namespace, policy)
    done = [b for b in backups_of(cluster, namespace, policy) if phase(b) == "Succeeded"]
    assert done, f"no succeeded Backup of {policy}"
    return str(max(done, key=lambda b: b["metadata"]["creationTimestamp"])["metadata"]["name"])


def then_backup_verified(cluster: LocalCluster, namespace: str, backup: str) -> None:
    """Wait until the operator's verification of ``backup`` passed."""

    def passed() -> bool:
        body = get(cluster, "backup", backup, namespace=namespace) or {}
        return ((body.get("status") or {}).get("verification") or {}).get("result") == "Passed"

    wait_until(passed, timeout=120, what=f"a passed verification of {backup}")


def when_restore(
    cluster: LocalCluster, namespace: str, target: Connection, *args: str
) -> subprocess.CompletedProcess[str]:
    """Run ``strongroom restore ARGS`` into ``target`` (login Secret ``target-login``)."""
    argv = [
        str(REPO_ROOT / ".venv" / "bin" / "strongroom"), "restore", *args, "-n", namespace,
        "--kubeconfig", str(cluster.kubeconfig), "--target-host", target.host,
        "--target-port", str(target.port), "--target-database", target.database,
        "--target-secret", "target-login", "--target-tls", "disable", "--timeout", "150",
    ]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=200)


def restore_status(cluster: LocalCluster, namespace: str, name: str) -> dict[str, Any]:
    """The Restore's status as kubectl shows it."""
    body = get(cluster, "restore", name, namespace=namespace)
    assert body is not None, f"Restore {name} does not exist"
    status: dict[str, Any] = body.get("status") or {}
    return status


def fingerprints(engine: str, conn: Connection) -> tuple[TableFingerprint, ...]:
    """Per-table row counts and content hashes, as the agent computes them."""
    return engine_for(engine).fingerprints(conn)


def rows(engine: str, conn: Connection, statement: str) -> list[tuple[Any, ...]]:
    """Run one statement as the admin login (autocommit) and return its rows, if any."""
    password = read_password(conn)
    if engine == "postgresql":
        from strongroom.engines.postgres import connect  # noqa: PLC0415

        with contextlib.closing(connect(conn, password)) as session:
            cursor = session.execute(statement.encode())
            return list(cursor.fetchall()) if cursor.description else []
    from strongroom.engines.mysql import connect as connect_mysql  # noqa: PLC0415

    session = connect_mysql(conn, password)
    try:
        with session.cursor() as cur:
            cur.execute(statement)
            return list(cur.fetchall()) if cur.description else []
    finally:
        session.close()
