"""Pytest fixtures for real PostgreSQL and MariaDB servers (registered in tests/conftest.py).

One server of each engine per test session, started lazily by the first test that asks for it.
Each test gets its own database: ``pg_store``/``maria_store`` hold a small generated store
(PostgreSQL copies a session template with ``CREATE DATABASE … TEMPLATE``; MariaDB regenerates,
which takes about a second), ``empty_pg_database``/``empty_maria_database`` hold nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

import pytest

from strongroom.engines.base import Connection
from tests.support.db_server import DatabaseServerProcess
from tests.support.mariadb import MariaDBServer
from tests.support.postgres import PostgresServer
from tests.support.storegen import Counts, generate

#: Size of the per-test store: big enough for several pages per table, small enough to be quick.
STORE_SIZE = "4MB"
STORE_SEED = 7

_Server = TypeVar("_Server", bound=DatabaseServerProcess)


@dataclass(frozen=True)
class StoreDatabase:
    """A per-test database: its name, an admin connection to it, and what was generated."""

    name: str
    connection: Connection
    engine: str
    counts: Counts | None = None


def _name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def _running(server: _Server) -> Iterator[_Server]:
    """Start ``server`` for the session; stop it and remove its data at the end."""
    server.start()
    yield server
    server.close()


def _empty_database(server: PostgresServer | MariaDBServer, engine: str) -> Iterator[StoreDatabase]:
    """A fresh, empty database on ``server``, dropped after the test."""
    name = _name("empty")
    server.create_database(name)
    yield StoreDatabase(name, server.admin_connection(name), engine)
    server.drop_database(name)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    """One PostgreSQL 15 server per session (scram password logins on 127.0.0.1)."""
    yield from _running(PostgresServer(tmp_path_factory.mktemp("postgres")))


@pytest.fixture(scope="session")
def mariadb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBServer]:
    """One MariaDB server per session (password logins on 127.0.0.1)."""
    yield from _running(MariaDBServer(tmp_path_factory.mktemp("mariadb")))


@pytest.fixture(scope="session")
def _pg_store_template(postgres_server: PostgresServer) -> tuple[str, Counts]:
    name = "store_template"
    postgres_server.create_database(name)
    counts = generate(
        postgres_server.admin_connection(name), "postgresql", size=STORE_SIZE, seed=STORE_SEED
    )
    return name, counts


@pytest.fixture
def pg_store(
    postgres_server: PostgresServer, _pg_store_template: tuple[str, Counts]
) -> Iterator[StoreDatabase]:
    """A fresh PostgreSQL database holding the generated store."""
    template, counts = _pg_store_template
    name = _name("store")
    postgres_server.create_database(name, template=template)
    yield StoreDatabase(name, postgres_server.admin_connection(name), "postgresql", counts)
    postgres_server.drop_database(name)


@pytest.fixture
def empty_pg_database(postgres_server: PostgresServer) -> Iterator[StoreDatabase]:
    """A fresh, empty PostgreSQL database."""
    yield from _empty_database(postgres_server, "postgresql")


@pytest.fixture
def maria_store(mariadb_server: MariaDBServer) -> Iterator[StoreDatabase]:
    """A fresh MariaDB database holding the generated store (same content as ``pg_store``)."""
    name = _name("store")
    mariadb_server.create_database(name)
    conn = mariadb_server.admin_connection(name)
    counts = generate(conn, "mysql", size=STORE_SIZE, seed=STORE_SEED)
    yield StoreDatabase(name, conn, "mysql", counts)
    mariadb_server.drop_database(name)


@pytest.fixture
def empty_maria_database(mariadb_server: MariaDBServer) -> Iterator[StoreDatabase]:
    """A fresh, empty MariaDB database."""
    yield from _empty_database(mariadb_server, "mysql")
