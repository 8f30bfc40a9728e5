"""MariaDB row counts: from the dump stream by default, or from an aligned snapshot.

With mariadb-dump the rows are counted in the stream: no lock, no second session, so a backup
user needs no RELOAD. The snapshot counts (what MySQL's one-line mysqldump needs) run here on
MariaDB too, so both their modes are proven on a real server: the locked default needs RELOAD
and says so; ``snapshot`` does not.
"""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from tests.support.mariadb import MariaDBServer
from tests.support.plugin_databases import StoreDatabase

from strongroom.engines.base import Connection
from strongroom.engines.mysql import Consistency, MySQLEngine, RowCounts
from strongroom.errors import ConfigError


def _user_without_reload(server: MariaDBServer, store: StoreDatabase, tmp_path: Path) -> Connection:
    user = f"backup_{uuid.uuid4().hex[:8]}"
    password = "backup-only-pw"
    server.execute(None, f"CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY '{password}'")
    server.execute(
        None,
        f"GRANT SELECT, SHOW VIEW, TRIGGER, EVENT, LOCK TABLES ON `{store.name}`.* "
        f"TO '{user}'@'127.0.0.1'",
    )
    secret = tmp_path / "backup-pw"
    secret.write_text(password)
    return Connection(server.host, server.port, store.name, user, secret)


def _dump_restore_and_compare(engine: MySQLEngine, conn: Connection, store: StoreDatabase) -> None:
    """Dump as ``conn``; the restored copy fingerprints exactly like the dump said."""
    with engine.dump(conn) as dump:
        data = dump.stdout.read()
        dump.finish()
        at_dump = dump.fingerprints
    assert store.counts is not None
    assert {f.table: f.rows for f in at_dump} == store.counts.as_dict()

    admin = store.connection
    target = f"scratch_{uuid.uuid4().hex[:8]}"
    engine.create_database(admin, target)
    try:
        engine.restore(admin.for_database(target), io.BytesIO(data))
        assert engine.fingerprints(admin.for_database(target)) == at_dump  # no writes: equal
    finally:
        engine.drop_database(admin, target)


def test_stream_counts_need_no_reload_and_count_every_generated_row(
    mariadb_server: MariaDBServer, maria_store: StoreDatabase, tmp_path: Path
) -> None:
    conn = _user_without_reload(mariadb_server, maria_store, tmp_path)
    engine = MySQLEngine()
    assert engine.row_counts is None  # picked by tool: mariadb-dump counts in the stream
    _dump_restore_and_compare(engine, conn, maria_store)


def test_locked_snapshot_counts_without_reload_name_both_remedies(
    mariadb_server: MariaDBServer, maria_store: StoreDatabase, tmp_path: Path
) -> None:
    conn = _user_without_reload(mariadb_server, maria_store, tmp_path)
    engine = MySQLEngine(row_counts=RowCounts.SNAPSHOT)
    assert engine.consistency is Consistency.LOCKED
    with pytest.raises(ConfigError) as refusal, engine.dump(conn):
        pass
    assert refusal.value.reason == "MissingPrivilege"
    assert "RELOAD" in str(refusal.value)
    assert "snapshot" in str(refusal.value)


def test_unlocked_snapshot_counts_dump_without_reload(
    mariadb_server: MariaDBServer, maria_store: StoreDatabase, tmp_path: Path
) -> None:
    conn = _user_without_reload(mariadb_server, maria_store, tmp_path)
    engine = MySQLEngine(Consistency.SNAPSHOT, row_counts=RowCounts.SNAPSHOT)
    _dump_restore_and_compare(engine, conn, maria_store)
