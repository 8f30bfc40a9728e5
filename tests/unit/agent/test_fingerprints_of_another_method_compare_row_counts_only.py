"""Hashes are compared only when the backup's fingerprints were taken the way they are now.

A backup from before fingerprints came from the dump stream (no marker in its manifest), or
one dumped by other tool versions, has hashes of another byte form: verification and restore
then compare row counts only and say so, and never call the backup corrupt for that reason.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import pytest

from conftest import World
from strongroom.agent.backup import run_backup
from strongroom.agent.context import object_keys
from strongroom.agent.restore import run_restore
from strongroom.agent.verify import run_verify
from strongroom.api.backup import EquivalenceMethod
from strongroom.api.fingerprints import (
    FINGERPRINT_METHOD,
    TableFingerprint,
    fingerprints_differ,
    hashes_not_comparable,
)
from strongroom.crypto.manifest import from_json, seal, to_json
from strongroom.errors import VerificationError

OTHER_HASH = hashlib.sha256(b"ordered by primary key, printed by psql").hexdigest()


def _backed_up_with(world: World, **changes: Any) -> None:
    """Back up, then rewrite the manifest as an older release (or other tools) would have."""
    job = world.job("backup")
    run_backup(job, world.store)
    _, key = object_keys(job)
    manifest = from_json(world.store.get_bytes(key))
    assert manifest.fingerprints == FINGERPRINT_METHOD
    tables = tuple(dataclasses.replace(t, sha256=OTHER_HASH) for t in manifest.tables)
    rewritten = seal(dataclasses.replace(manifest, tables=tables, **changes), world.dek)
    world.store.delete(key)
    world.store.put_bytes(key, to_json(rewritten))


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"fingerprints": ""}, "taken by an older method"),
        ({"tools": {"pg_dump": "pg_dump (PostgreSQL) 15.2"}}, "dump tools changed"),
    ],
)
def test_verify_and_restore_compare_row_counts_and_say_so(
    world: World, changes: dict[str, object], why: str
) -> None:
    _backed_up_with(world, **changes)
    verified = run_verify(world.job("verify"), world.store)
    assert verified.outcome == "succeeded", verified.message
    assert verified.level_reached == "equivalence"
    assert "row counts only" in (verified.message or "")
    assert why in (verified.message or "")
    assert verified.equivalence is EquivalenceMethod.ROW_COUNTS
    assert why in (verified.equivalence_reason or "")

    restored = run_restore(world.job("restore"), world.store)
    assert restored.level_reached == "equivalence"
    assert "row counts checked, not content" in (restored.message or "")
    assert restored.equivalence is EquivalenceMethod.ROW_COUNTS
    assert why in (restored.equivalence_reason or "")


def test_a_backup_of_the_current_method_and_tools_compares_content(world: World) -> None:
    run_backup(world.job("backup"), world.store)
    verified = run_verify(world.job("verify"), world.store)
    assert verified.outcome == "succeeded", verified.message
    assert verified.equivalence is EquivalenceMethod.CONTENT
    assert verified.equivalence_reason is None
    restored = run_restore(world.job("restore"), world.store)
    assert restored.equivalence is EquivalenceMethod.CONTENT


def test_a_hash_of_the_current_method_that_differs_fails_verification(world: World) -> None:
    _backed_up_with(world)  # marker kept: the hashes are comparable, and they differ
    verified = run_verify(world.job("verify"), world.store)
    assert verified.outcome == "failed"
    assert "content differs from dump time" in (verified.message or "")
    assert verified.equivalence is EquivalenceMethod.CONTENT
    assert any("content differs" in m for m in verified.mismatches)
    with pytest.raises(VerificationError, match="content differs"):
        run_restore(world.job("restore"), world.store)


def test_row_counts_still_count_when_hashes_do_not() -> None:
    dumped = (TableFingerprint("public.orders", 3, "aa" * 32),)
    restored = (
        TableFingerprint("public.orders", 2, "bb" * 32),
        TableFingerprint("pg_largeobject", 1, "cc" * 32),
    )
    assert fingerprints_differ(dumped, restored, rows_only=True) == [
        "table public.orders: 2 rows after restore, 3 at dump time"
    ]
    same_rows = (TableFingerprint("public.orders", 3, "bb" * 32),)
    assert fingerprints_differ(dumped, same_rows, rows_only=True) == []
    assert fingerprints_differ(dumped, same_rows) == [
        "table public.orders: content differs from dump time (same row count)"
    ]


def test_only_the_marker_and_tool_versions_decide() -> None:
    tools = {"pg_dump": "16.4", "pg_restore": "16.4"}
    assert hashes_not_comparable(FINGERPRINT_METHOD, tools, {"pg_dump": "16.4"}) is None
    assert hashes_not_comparable(FINGERPRINT_METHOD, {}, tools) is None
    assert "'dump-stream/9'" in (hashes_not_comparable("dump-stream/9", tools, tools) or "")
    changed = hashes_not_comparable(FINGERPRINT_METHOD, tools, {"pg_dump": "17.0"})
    assert changed is not None
    assert "pg_dump" in changed
