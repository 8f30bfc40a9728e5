"""A backup that cannot finish leaves no manifest, no object and, where S3 can be reached,
no multipart upload (RELIABILITY F2, F3, F11).

Faults are real: an HTTP proxy in front of the S3 endpoint answers parts with 503 or drops
every connection mid-part (the endpoint "goes away" and keeps its state, unlike restarting
moto, which forgets everything); the dump tool's server session is terminated mid-dump.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import psycopg

from strongroom.engines.base import read_password

Harness = Any  # fixture types live in this directory's conftest.py
Store = Any
FaultProxy = Any


def backup_job_through(harness: Harness, proxy: FaultProxy, pg: Store, backup: str) -> Any:
    job = harness.job("backup", engine="postgresql", backup=backup, source=pg.source)
    raw = job.read_text().replace(harness.endpoint, proxy.endpoint)
    job.write_text(raw)
    return job


def test_parts_answered_with_503_fail_the_backup_and_the_upload_is_aborted(
    harness: Harness, pg: Store, fault_proxy: FaultProxy
) -> None:
    fault_proxy.fail_parts = True
    job = backup_job_through(harness, fault_proxy, pg, "orders-db-503")
    run = harness.agent("backup", job)
    assert run.returncode == 1
    assert run.result is not None
    assert run.result.outcome == "failed"
    assert run.result.reason == "StorageUnavailable"
    assert "retries exhausted" in run.result.message
    # botocore's attempts (maxAttempts=2) times ours (partAttempts=2): bounded, not endless.
    assert fault_proxy.part_attempts == 4
    assert fault_proxy.aborts >= 1
    assert harness.object_keys() == []
    assert harness.pending_uploads() == []


def test_an_outage_mid_part_fails_cleanly_and_the_retry_sweeps_the_leftover(
    harness: Harness, pg: Store, fault_proxy: FaultProxy
) -> None:
    fault_proxy.outage_on_part = True
    job = backup_job_through(harness, fault_proxy, pg, "orders-db-outage")
    run = harness.agent("backup", job)
    assert run.returncode == 1
    assert run.result is not None
    assert run.result.reason == "StorageUnreachable"
    assert harness.object_keys() == []  # never a manifest, never a data object
    assert "abort of the multipart upload" in run.stderr  # said, not hidden
    # The endpoint was gone, so the abort could not get through: one upload is pending.
    assert len(harness.pending_uploads()) == 1

    fault_proxy.outage_on_part = fault_proxy.down = False
    run = harness.agent("backup", job)  # the Job's retry
    assert run.returncode == 0, run.stdout + run.stderr
    assert harness.pending_uploads() == []
    assert len(harness.object_keys()) == 2
    assert '"step":"cleanup"' in run.stderr


def test_a_dump_killed_mid_way_fails_without_a_manifest(harness: Harness, pg: Store) -> None:
    """pg_dump waits on a locked table; its server session is terminated; nothing is kept."""
    password = read_password(pg.source)
    locker = psycopg.connect(
        host=pg.source.host,
        port=pg.source.port,
        dbname=pg.source.database,
        user=pg.source.user,
        password=password,
    )
    table = locker.execute(
        "SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname = 'public' LIMIT 1"
    ).fetchone()
    assert table is not None
    locker.execute(f"LOCK TABLE {table[0]} IN ACCESS EXCLUSIVE MODE")  # transaction stays open
    terminated: list[int] = []

    def kill_pg_dump() -> None:
        with psycopg.connect(
            host=pg.source.host,
            port=pg.source.port,
            dbname="postgres",
            user=pg.source.user,
            password=password,
            autocommit=True,
        ) as admin:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not terminated:
                rows = admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE query ILIKE 'LOCK TABLE%%' "
                    "AND wait_event_type = 'Lock' AND datname = %s",
                    (pg.source.database,),
                ).fetchall()
                for (pid,) in rows:
                    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                    terminated.append(pid)
                time.sleep(0.1)
        locker.rollback()  # release the lock so the fingerprint session can finish

    killer = threading.Thread(target=kill_pg_dump)
    killer.start()
    try:
        job = harness.job(
            "backup", engine="postgresql", backup="orders-db-killed", source=pg.source
        )
        run = harness.agent("backup", job)
    finally:
        killer.join()
        locker.close()
    assert terminated, "pg_dump never waited on the lock"
    assert run.returncode == 1
    assert run.result is not None
    assert run.result.reason == "DatabaseToolFailed", run.result.message
    assert harness.object_keys() == []
    assert harness.pending_uploads() == []
