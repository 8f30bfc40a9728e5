"""Fingerprints are taken from the dump the agent streams, and they mean what they should.

On the real servers: the hash recorded while a backup streams equals the hash of a fresh dump
of the same database and of the database it was restored into; a swapped pair of values, a
changed or a deleted row each change the hash of that table alone; empty tables, tables
without a primary key, several schemas, large objects and a restore target in another time
zone are all covered.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator

import pytest
from tests.integration.engines.conftest import EngineCase
from tests.support.mariadb import MariaDBServer
from tests.support.plugin_databases import StoreDatabase
from tests.support.postgres import PostgresServer

from strongroom.api.fingerprints import TableFingerprint, fingerprints_differ
from strongroom.engines import Connection, engine_for


@pytest.fixture
def pg_case(postgres_server: PostgresServer, pg_store: StoreDatabase) -> Iterator[EngineCase]:
    """The PostgreSQL half of ``case``, for what only PostgreSQL has."""
    result = EngineCase(engine_for("postgresql"), postgres_server, pg_store)
    yield result
    result.cleanup()


@pytest.fixture
def maria_case(mariadb_server: MariaDBServer, maria_store: StoreDatabase) -> Iterator[EngineCase]:
    """The MariaDB half of ``case``, for what only its SQL dump shows."""
    result = EngineCase(engine_for("mysql"), mariadb_server, maria_store)
    yield result
    result.cleanup()


def _by_table(fingerprints: tuple[TableFingerprint, ...]) -> dict[str, TableFingerprint]:
    """Fingerprints by table name, ``public.`` dropped so both engines' names compare."""
    return {f.table.removeprefix("public."): f for f in fingerprints}


def _restored(case: EngineCase, data: bytes) -> Connection:
    target = case.new_database()
    case.engine.restore(target, io.BytesIO(data))
    return target


def _add_odd_tables(case: EngineCase) -> None:
    """An empty table, one without a primary key (with duplicate rows) and a wide value."""
    text = "text" if case.engine.name == "postgresql" else "longtext"
    case.execute("CREATE TABLE nothing_here (id int PRIMARY KEY, note varchar(20))")
    case.execute(f"CREATE TABLE keyless (a int, b {text})")
    case.execute(
        "INSERT INTO keyless VALUES (2, 'two'), (1, 'one'), (2, 'two'), (3, NULL), "
        "(4, 'tab\there, newline\nthere, backslash\\\\, quote'''), "
        "(5, repeat('x', 70000))"
    )


def test_the_stream_hash_is_a_fresh_dumps_and_the_restored_databases(case: EngineCase) -> None:
    _add_odd_tables(case)
    data, at_dump = case.dump()
    tables = _by_table(at_dump)
    assert tables["nothing_here"].rows == 0
    assert tables["keyless"].rows == 6  # the six rows inserted above
    assert case.engine.fingerprints(case.store.connection) == at_dump

    target = _restored(case, data)
    assert case.engine.fingerprints(target) == at_dump
    again, _ = case.dump(target)
    assert case.engine.fingerprints(_restored(case, again)) == at_dump  # a restore of a restore


def test_the_mariadb_hash_is_of_the_tables_data_exactly_as_dumped(maria_case: EngineCase) -> None:
    data, at_dump = maria_case.dump()
    start = data.index(b"LOCK TABLES `support_tickets` WRITE;\n") + len(b"LOCK TABLES ")
    start = data.index(b"\n", start)
    end = data.index(b"\nUNLOCK TABLES;\n", start)
    expected = hashlib.sha256(data[start:end]).hexdigest()
    assert _by_table(at_dump)["support_tickets"].sha256 == expected


@pytest.mark.parametrize(
    ("mutation", "table"),
    [
        # The same values, two of them swapped between rows: only the order-aware hash sees it.
        (
            (
                "UPDATE customers SET full_name = CASE id WHEN 1 THEN {e2} WHEN 2 THEN {e1} END "
                "WHERE id IN (1, 2)"
            ),
            "customers",
        ),
        ("UPDATE order_items SET quantity = quantity + 1 WHERE id = 77", "order_items"),
        ("DELETE FROM payments WHERE id = 5", "payments"),
    ],
)
def test_a_restored_database_that_was_changed_differs_in_that_table_only(
    case: EngineCase, mutation: str, table: str
) -> None:
    data, at_dump = case.dump()
    target = _restored(case, data)
    rows = case.server.execute(target.database, "SELECT id, full_name FROM customers")
    names = {int(str(row[0])): str(row[1]) for row in rows}
    assert names[1] != names[2]
    statement = mutation.format(e1=f"'{names[1]}'", e2=f"'{names[2]}'")
    case.server.execute(target.database, statement)

    after = case.engine.fingerprints(target)
    changed = {n for n, f in _by_table(after).items() if _by_table(at_dump)[n] != f}
    assert changed == {table}
    problems = fingerprints_differ(at_dump, after)
    assert len(problems) == 1
    assert table in problems[0]


def test_postgres_schemas_large_objects_and_time_zones(pg_case: EngineCase) -> None:
    case = pg_case
    case.execute("CREATE SCHEMA sales")
    case.execute("CREATE TABLE sales.customers (id int PRIMARY KEY, seen timestamptz)")
    case.execute("INSERT INTO sales.customers VALUES (1, '2026-01-31 23:30:00+00')")
    case.execute("SELECT lo_from_bytea(0, '\\x00010203000000000000ff'::bytea)")
    case.execute("SELECT lo_from_bytea(0, '\\x'::bytea)")
    data, at_dump = case.dump()
    tables = {f.table: f for f in at_dump}
    assert tables["sales.customers"].rows == 1
    assert tables["public.customers"] != tables["sales.customers"]
    assert tables["pg_largeobject"].rows == 2  # the two objects above

    target = case.new_database()
    case.execute(f"ALTER DATABASE {target.database} SET timezone = 'Asia/Tokyo'")
    case.engine.restore(target, io.BytesIO(data))
    assert case.engine.fingerprints(target) == at_dump  # pg_dump prints time stamps in UTC

    case.server.execute(
        target.database,
        "SELECT lo_put(oid, 1, '\\x09'::bytea) FROM pg_largeobject_metadata ORDER BY oid LIMIT 1",
    )
    assert fingerprints_differ(at_dump, case.engine.fingerprints(target)) == [
        "table pg_largeobject: content differs from dump time (same row count)"
    ]
