"""Writes during a dump never make the recorded fingerprints disagree with the dumped data.

Both engines by default (PostgreSQL: counts in the exported snapshot; MariaDB: counts from
the stream), and MariaDB's snapshot counts aligned by the brief lock (what MySQL's mysqldump
gets).
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator

import pytest
from tests.integration.engines.conftest import EngineCase
from tests.support.mariadb import MariaDBServer
from tests.support.plugin_databases import StoreDatabase

from strongroom.engines.mysql import Consistency, MySQLEngine, RowCounts


@pytest.fixture
def locked_counts_case(
    mariadb_server: MariaDBServer, maria_store: StoreDatabase
) -> Iterator[EngineCase]:
    """MariaDB with snapshot row counts aligned by the lock, instead of stream counts."""
    engine = MySQLEngine(Consistency.LOCKED, row_counts=RowCounts.SNAPSHOT)
    result = EngineCase(engine, mariadb_server, maria_store)
    yield result
    result.cleanup()


def test_fingerprints_match_the_dump_despite_concurrent_writes(case: EngineCase) -> None:
    _dump_under_writes_then_compare(case)


def test_locked_snapshot_counts_match_the_dump_despite_concurrent_writes(
    locked_counts_case: EngineCase,
) -> None:
    _dump_under_writes_then_compare(locked_counts_case)


def _dump_under_writes_then_compare(case: EngineCase) -> None:
    stop = threading.Event()
    written = 0

    def shop_traffic() -> None:
        nonlocal written
        while not stop.is_set():
            row = written % 1000 + 1
            case.execute(f"UPDATE order_items SET quantity = quantity + 1 WHERE id = {row}")  # noqa: S608
            written += 1

    writer = threading.Thread(target=shop_traffic, daemon=True)
    writer.start()
    try:
        time.sleep(0.2)
        data, at_dump = case.dump()
        time.sleep(0.2)
    finally:
        stop.set()
        writer.join()
    assert written > 5, "the writer really ran during the dump"

    target = case.new_database()
    case.engine.restore(target, io.BytesIO(data))
    assert case.engine.fingerprints(target) == at_dump
    assert case.engine.fingerprints(case.store.connection) != at_dump  # the writes went on
