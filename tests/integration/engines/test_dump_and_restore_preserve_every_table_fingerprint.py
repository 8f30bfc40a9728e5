"""A dump restored into a new database holds exactly what was dumped (equivalence level)."""

from __future__ import annotations

import io

from tests.integration.engines.conftest import EngineCase

from strongroom.api.fingerprints import fingerprints_differ

STORE_TABLES = {"customers", "addresses", "orders", "order_items", "payments", "support_tickets"}


def test_restored_database_has_the_fingerprints_taken_at_dump_time(case: EngineCase) -> None:
    data, at_dump = case.dump()
    assert {f.table.split(".")[-1] for f in at_dump} == STORE_TABLES
    assert at_dump == case.engine.fingerprints(case.store.connection)

    target = case.new_database()
    assert case.engine.is_empty(target)
    case.engine.restore(target, io.BytesIO(data))

    assert not case.engine.is_empty(target)
    after = case.engine.fingerprints(target)
    assert fingerprints_differ(at_dump, after) == []
    assert after == at_dump


def test_the_dump_is_complete_in_the_engines_own_format(case: EngineCase) -> None:
    data, _ = case.dump()
    if case.engine.name == "postgresql":
        assert data.startswith(b"PGDMP")  # custom format, restorable by pg_restore
    else:
        assert data.rstrip().endswith(b"-- Dump completed")
        assert b"CREATE TABLE `payments`" in data


def test_a_restore_with_allow_overwrite_replaces_the_targets_content(case: EngineCase) -> None:
    data, at_dump = case.dump()
    target = case.new_database()
    case.engine.restore(target, io.BytesIO(data))
    case.server.execute(target.database, "DELETE FROM support_tickets WHERE id = 1")
    assert case.engine.fingerprints(target) != at_dump

    case.engine.restore(target, io.BytesIO(data), allow_overwrite=True)
    assert case.engine.fingerprints(target) == at_dump
