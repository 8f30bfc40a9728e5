"""A backup made by the real agent verifies at every level and restores to identical tables.

For PostgreSQL and MariaDB: ``strongroom agent backup`` runs as a child process with a job file,
a data key file, the database password file and an S3 credentials file; the objects land in a
real S3 endpoint; ``agent verify`` passes integrity, restorability and equivalence with a
measured restore time; ``agent restore`` fills a new database whose fingerprints equal the
source's.
"""

from __future__ import annotations

from typing import Any

from strongroom.crypto.manifest import from_json

Harness = Any  # fixture types live in this directory's conftest.py
Store = Any

#: The agent's peak RSS for the per-test store, in KiB. Streaming keeps it to the interpreter,
#: boto3 and a few MiB of buffers; the benchmark measures the real figure at larger sizes.
PEAK_RSS_LIMIT_KIB = 350 * 1024


def test_backup_then_verify_at_every_level_then_restore(harness: Harness, store: Store) -> None:
    backup = f"orders-db-{store.engine_name}-1"
    job = harness.job("backup", engine=store.engine_name, backup=backup, source=store.source)
    run = harness.agent("backup", job)
    assert run.returncode == 0, run.stderr
    assert run.result is not None
    assert run.result.outcome == "succeeded"
    data_key, manifest_key = harness.keys(backup)
    assert harness.object_keys() == sorted([data_key, manifest_key])
    assert harness.pending_uploads() == []
    manifest = from_json(harness.get(manifest_key))
    assert manifest.data_sha256 == run.result.data_sha256
    assert manifest.tables == store.engine.fingerprints(store.source)
    assert run.peak_rss_kib < PEAK_RSS_LIMIT_KIB

    scratch_server = harness.connection(store.empty)
    for level in ("integrity", "restorability", "equivalence"):
        verify = {"level": level}
        if level != "integrity":
            verify["scratch"] = {"connection": scratch_server, "database": f"verify_{level}"}
        job = harness.job("verify", engine=store.engine_name, backup=backup, verify=verify)
        run = harness.agent("verify", job)
        assert run.returncode == 0, run.stdout + run.stderr
        assert run.result is not None
        assert run.result.level_reached == level
        if level != "integrity":
            assert run.result.restore_seconds is not None
            assert run.result.restore_seconds > 0
        else:
            assert run.result.restore_seconds is None

    target = harness.connection(store.empty)
    job = harness.job(
        "restore", engine=store.engine_name, backup=backup, restore={"target": target}
    )
    run = harness.agent("restore", job)
    assert run.returncode == 0, run.stdout + run.stderr
    assert store.engine.fingerprints(store.empty) == store.engine.fingerprints(store.source)


def test_restore_into_a_non_empty_database_is_refused_without_the_flag(
    harness: Harness, store: Store
) -> None:
    backup = f"orders-db-{store.engine_name}-2"
    harness.backed_up(backup, store)
    before = store.engine.fingerprints(store.source)

    target = harness.connection(store.source)
    job = harness.job(
        "restore", engine=store.engine_name, backup=backup, restore={"target": target}
    )
    run = harness.agent("restore", job)
    assert run.returncode == 1
    assert run.result is not None
    assert run.result.reason == "TargetNotEmpty"
    assert "allowOverwrite" in run.result.message
    assert store.engine.fingerprints(store.source) == before
