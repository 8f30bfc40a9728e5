"""A backup written by an older agent is still verified and restored, by row counts.

After an agent image upgrade the dump tools differ from those that took a backup, or the
backup predates the ``dump-stream/1`` fingerprint marker; its content hashes are then not
comparable with fresh ones (``hashes_not_comparable``). On real PostgreSQL and MariaDB and a
real S3 endpoint: the test backs a store up, rewrites the manifest as such an agent would have
written it and re-seals its MAC with the data key, as the agent does. ``agent verify`` at level
equivalence and ``agent restore`` both succeed and say they compared row counts, naming why;
and a count-only comparison still catches a row lost after the restore.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from strongroom.agent.report import AgentResult
from strongroom.api.backup import EquivalenceMethod
from strongroom.api.fingerprints import FINGERPRINT_METHOD, fingerprints_differ
from strongroom.crypto.manifest import Manifest, from_json, seal

Harness = Any  # fixture types live in this directory's conftest.py
Store = Any
AgentRun = Any


def dump_tool(manifest: Manifest) -> str:
    """The dump tool's name as the manifest records it (pg_dump, mariadb-dump or mysqldump)."""
    return next(name for name in sorted(manifest.tools) if "dump" in name)


def older_dump_tool(manifest: Manifest) -> tuple[Manifest, str]:
    """(a) The backup was dumped by another version of the dump tool."""
    tool = dump_tool(manifest)
    tools = {**manifest.tools, tool: f"{tool} (older build) 0.9"}
    return replace(manifest, tools=tools), tool


def no_fingerprint_marker(manifest: Manifest) -> tuple[Manifest, str]:
    """(b) The backup was written before manifests recorded how fingerprints were taken."""
    return replace(manifest, fingerprints=""), FINGERPRINT_METHOD


#: case → rewrite of the manifest, returning it and the word the reason must name.
REWRITES: dict[str, Callable[[Manifest], tuple[Manifest, str]]] = {
    "dump tool changed": older_dump_tool,
    "no fingerprint marker": no_fingerprint_marker,
}


def rewrite_as_an_older_agent(
    harness: Harness, backup: str, rewrite: Callable[[Manifest], tuple[Manifest, str]]
) -> tuple[Manifest, str]:
    """Store the rewritten manifest, its MAC re-sealed with the backup's data key."""
    _, manifest_key = harness.keys(backup)
    manifest = from_json(harness.get(manifest_key))
    assert manifest.fingerprints == FINGERPRINT_METHOD  # today's agent wrote it
    older, named = rewrite(manifest)
    harness.put(manifest_key, seal(older, harness.deks[backup]).to_json())
    return older, named


def delete_one_payment(request: pytest.FixtureRequest, store: Store) -> None:
    """Lose one row of a leaf table in the restored database (``store.empty``)."""
    server = request.getfixturevalue(
        "postgres_server" if store.engine_name == "postgresql" else "mariadb_server"
    )
    server.execute(store.empty.database, "DELETE FROM payments WHERE id = 5")


def assert_compared_row_counts(run: AgentRun, *, because: str) -> AgentResult:
    """The agent succeeded at level equivalence, by row counts, naming what changed."""
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.result is not None
    assert run.result.level_reached == "equivalence"
    assert run.result.equivalence == EquivalenceMethod.ROW_COUNTS
    assert run.result.equivalence_reason is not None
    assert because in run.result.equivalence_reason
    return run.result


@pytest.mark.parametrize("case", list(REWRITES))
def test_an_older_agents_backup_verifies_and_restores_by_row_counts(
    harness: Harness, store: Store, request: pytest.FixtureRequest, case: str
) -> None:
    backup = f"orders-db-{store.engine_name}-older"
    harness.backed_up(backup, store)
    manifest, named = rewrite_as_an_older_agent(harness, backup, REWRITES[case])

    verify = {
        "level": "equivalence",
        "scratch": {"connection": harness.connection(store.empty), "database": "verify_older"},
    }
    run = harness.agent(
        "verify", harness.job("verify", engine=store.engine_name, backup=backup, verify=verify)
    )
    assert_compared_row_counts(run, because=named)

    target = harness.connection(store.empty)
    job = harness.job(
        "restore", engine=store.engine_name, backup=backup, restore={"target": target}
    )
    run = harness.agent("restore", job)
    result = assert_compared_row_counts(run, because=named)
    assert "row counts checked" in result.message

    restored = store.engine.fingerprints(store.empty)
    assert fingerprints_differ(manifest.tables, restored, rows_only=True) == []
    delete_one_payment(request, store)
    lost = fingerprints_differ(
        manifest.tables, store.engine.fingerprints(store.empty), rows_only=True
    )
    assert len(lost) == 1, lost
    assert "payments" in lost[0]
    assert "rows after restore" in lost[0]
