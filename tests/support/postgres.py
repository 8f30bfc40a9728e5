"""A real PostgreSQL server for tests: initdb in a temp dir, scram passwords, loopback only.

It runs as the unprivileged ``postgres`` system user (PostgreSQL refuses root), in its own
process group, on a free port, logging to a file. Logins use scram-sha-256 passwords read from
a file, so the engines' PGPASSFILE path is what the tests exercise. ``stop``/``start``/
``restart`` keep the port, for database-outage tests; an atexit hook leaves no stray process.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql

from tests.support.db_server import ADMIN_USER, DatabaseServerProcess
from tests.support.ports import wait_until

BINDIR = Path("/usr/lib/postgresql/15/bin")
ADMIN_PASSWORD = "pg-Adm1n:pa$$word with spaces"  # test value; the colon exercises pgpass escaping


class PostgresServer(DatabaseServerProcess):
    """One ``postgres`` process with a data directory owned by the ``postgres`` system user."""

    daemon = "postgres"
    stop_signal = signal.SIGINT  # fast shutdown: clients are disconnected, as an outage looks
    default_database = "postgres"
    admin_password = ADMIN_PASSWORD

    def __init__(self, workdir: Path, *, os_user: str = "postgres") -> None:
        super().__init__(
            workdir,
            os_user=os_user,
            home_prefix="strongroom-pg-",
            password_name="pg-admin-password",
            log_name="postgres.log",
        )

    def _as_user(self, argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(  # type: ignore[call-overload, no-any-return]
            argv,
            user=self._user.pw_uid,
            group=self._user.pw_gid,
            extra_groups=[],
            check=True,
            capture_output=True,
            cwd=self._home,
            **kwargs,
        )

    def init(self) -> None:
        """Create the cluster with a scram-sha-256 superuser whose password is in a file."""
        self._write_password_file()
        pwfile = self._home / "initpw"
        pwfile.write_text(ADMIN_PASSWORD + "\n", encoding="utf-8")
        os.chown(pwfile, self._user.pw_uid, self._user.pw_gid)
        self._as_user(
            [
                str(BINDIR / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                ADMIN_USER,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]
        )
        pwfile.unlink()
        self._install_certificate()

    def _command(self) -> list[str]:
        return [
            str(BINDIR / "postgres"),
            "-D",
            str(self.datadir),
            "-p",
            str(self.port),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={self._home}",
            "-c",
            "ssl=on",
            "-c",
            f"ssl_cert_file={self._home / 'server.crt'}",
            "-c",
            f"ssl_key_file={self._home / 'server.key'}",
            "-c",
            "fsync=off",
            "-c",
            "max_connections=100",
        ]

    def _wait_ready(self) -> None:
        wait_until(self._accepts, timeout=60, what=f"PostgreSQL on port {self.port}")

    def _accepts(self) -> bool:
        self._check_running()
        with self._connect("postgres"):
            return True

    def _connect(self, database: str) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            dbname=database,
            user=ADMIN_USER,
            password=ADMIN_PASSWORD,
            autocommit=True,
            connect_timeout=5,
        )

    def create_database(self, name: str, *, template: str = "template0") -> None:
        """Create database ``name`` as a copy of ``template``."""
        with self._connect("postgres") as conn:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)
                )
            )

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists."""
        with self._connect("postgres") as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def execute(self, database: str, statement: str) -> list[tuple[object, ...]]:
        """Run one SQL statement in ``database``; return its rows (empty for commands)."""
        with self._connect(database) as conn:
            cur = conn.execute(statement.encode())
            return cur.fetchall() if cur.description else []

    def connect(self, database: str) -> psycopg.Connection[tuple[object, ...]]:
        """A psycopg autocommit connection for the tests' own assertions."""
        return self._connect(database)
