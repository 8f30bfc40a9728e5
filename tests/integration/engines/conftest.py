"""One story, both engines: ``case`` runs a test against PostgreSQL and against MariaDB."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from tests.support.mariadb import MariaDBServer
from tests.support.plugin_databases import StoreDatabase
from tests.support.postgres import PostgresServer

from strongroom.api.fingerprints import TableFingerprint
from strongroom.engines import Connection, Engine, engine_for


@dataclass
class EngineCase:
    """An engine, its real server, a generated store, and scratch databases made on demand."""

    engine: Engine
    server: PostgresServer | MariaDBServer
    store: StoreDatabase
    _scratch: list[str] = field(default_factory=list)

    def new_database(self) -> Connection:
        """An empty scratch database on the same server, dropped after the test."""
        name = f"scratch_{uuid.uuid4().hex[:10]}"
        self.engine.create_database(self.store.connection, name)
        self._scratch.append(name)
        return self.store.connection.for_database(name)

    def dump(self, conn: Connection | None = None) -> tuple[bytes, tuple[TableFingerprint, ...]]:
        """Dump ``conn`` (the store by default) to memory; return bytes and fingerprints."""
        with self.engine.dump(conn or self.store.connection) as dump:
            data = dump.stdout.read()
            dump.finish()
            return data, dump.fingerprints

    def execute(self, statement: str) -> list[tuple[object, ...]]:
        """Run SQL in the store database."""
        return self.server.execute(self.store.name, statement)

    def cleanup(self) -> None:
        for name in self._scratch:
            self.engine.drop_database(self.store.connection, name)


@pytest.fixture(params=["postgresql", "mysql"])
def case(request: pytest.FixtureRequest) -> Iterator[EngineCase]:
    """The same test on PostgreSQL and on MariaDB, each with a fresh generated store."""
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        store = request.getfixturevalue("pg_store")
    else:
        server = request.getfixturevalue("mariadb_server")
        store = request.getfixturevalue("maria_store")
    result = EngineCase(engine_for(request.param), server, store)
    yield result
    result.cleanup()
