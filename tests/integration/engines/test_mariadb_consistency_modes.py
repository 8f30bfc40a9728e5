"""MariaDB consistency modes: the locked default needs RELOAD and says so; snapshot does not."""

from __future__ import annotations

import io
import uuid
from pathlib import Path

import pytest
from tests.support.mariadb import MariaDBServer
from tests.support.plugin_databases import StoreDatabase

from strongroom.engines.base import Connection
from strongroom.engines.mysql import Consistency, MySQLEngine
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


def test_the_locked_default_without_reload_names_both_remedies(
    mariadb_server: MariaDBServer, maria_store: StoreDatabase, tmp_path: Path
) -> None:
    conn = _user_without_reload(mariadb_server, maria_store, tmp_path)
    engine = MySQLEngine()
    assert engine.consistency is Consistency.LOCKED
    with pytest.raises(ConfigError) as refusal, engine.dump(conn):
        pass
    assert refusal.value.reason == "MissingPrivilege"
    assert "RELOAD" in str(refusal.value)
    assert "snapshot" in str(refusal.value)


def test_snapshot_mode_dumps_without_reload(
    mariadb_server: MariaDBServer, maria_store: StoreDatabase, tmp_path: Path
) -> None:
    conn = _user_without_reload(mariadb_server, maria_store, tmp_path)
    engine = MySQLEngine(Consistency.SNAPSHOT)
    with engine.dump(conn) as dump:
        data = dump.stdout.read()
        dump.finish()
        at_dump = dump.fingerprints

    admin = maria_store.connection
    target = f"scratch_{uuid.uuid4().hex[:8]}"
    engine.create_database(admin, target)
    try:
        engine.restore(admin.for_database(target), io.BytesIO(data))
        assert engine.fingerprints(admin.for_database(target)) == at_dump  # no writes: equal
    finally:
        engine.drop_database(admin, target)
