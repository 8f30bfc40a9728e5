"""A real PostgreSQL server for tests: initdb in a temp dir, scram passwords, loopback only.

It runs as the unprivileged ``postgres`` system user (PostgreSQL refuses root), in its own
process group, on a free port, logging to a file. Logins use scram-sha-256 passwords read from
a file, so the engines' PGPASSFILE path is what the tests exercise. ``stop``/``start``/
``restart`` keep the port, for database-outage tests; an atexit hook leaves no stray process.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql

from strongroom.engines.base import Connection
from tests.support.certs import make_certs
from tests.support.ports import free_port, wait_until

BINDIR = Path("/usr/lib/postgresql/15/bin")
ADMIN_USER = "strongroom_admin"
ADMIN_PASSWORD = "pg-Adm1n:pa$$word with spaces"  # test value; the colon exercises pgpass escaping


class PostgresServer:
    """One ``postgres`` process with a data directory owned by the ``postgres`` system user."""

    host = "127.0.0.1"

    def __init__(self, workdir: Path, *, os_user: str = "postgres") -> None:
        self.workdir = workdir
        self.port = free_port()
        self._user = pwd.getpwnam(os_user)
        # tmp_path directories are root-only (0700); the server gets its own directory it owns.
        self._home = Path(tempfile.mkdtemp(prefix="strongroom-pg-"))
        os.chown(self._home, self._user.pw_uid, self._user.pw_gid)
        self.datadir = self._home / "data"
        self.password_file = workdir / "pg-admin-password"
        self.log_file = workdir / "postgres.log"
        #: CA that signed the server certificate (for ``verify-full`` connections).
        self.ca_file = workdir / "tls" / "ca.crt"
        self._proc: subprocess.Popen[bytes] | None = None
        atexit.register(self._cleanup)

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
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.password_file.write_text(ADMIN_PASSWORD + "\n", encoding="utf-8")
        self.password_file.chmod(0o600)
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

    def _install_certificate(self) -> None:
        """A serving certificate for 127.0.0.1/localhost, so clients can use verify-full."""
        certs = make_certs(self.workdir / "tls")
        for source, name in ((certs.serving_cert, "server.crt"), (certs.serving_key, "server.key")):
            target = self._home / name
            shutil.copyfile(source, target)
            target.chmod(0o600)
            os.chown(target, self._user.pw_uid, self._user.pw_gid)

    def start(self) -> None:
        """Start the server (initialising it the first time) and wait until it accepts logins."""
        if not self.datadir.exists():
            self.init()
        with self.log_file.open("ab") as log:
            self._proc = subprocess.Popen(
                [
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
                ],
                user=self._user.pw_uid,
                group=self._user.pw_gid,
                extra_groups=[],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self._home,
            )
        wait_until(self._accepts, timeout=60, what=f"PostgreSQL on port {self.port}")

    def _accepts(self) -> bool:
        if self._proc is not None and self._proc.poll() is not None:
            raise RuntimeError(f"postgres exited with {self._proc.returncode}; see {self.log_file}")
        with self._connect("postgres"):
            return True

    def stop(self) -> None:
        """Fast shutdown (clients are disconnected), as an outage looks to them."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGINT)
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._proc.pid, signal.SIGKILL)
                self._proc.wait()
        self._proc = None

    def restart(self) -> None:
        """Stop and start again on the same port."""
        self.stop()
        self.start()

    def _cleanup(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        shutil.rmtree(self._home, ignore_errors=True)

    def close(self) -> None:
        """Stop the server and remove its data directory."""
        self.stop()
        self._cleanup()

    def admin_connection(self, database: str = "postgres") -> Connection:
        """A superuser :class:`Connection` whose password comes from a file."""
        return Connection(
            host=self.host,
            port=self.port,
            database=database,
            user=ADMIN_USER,
            password_file=self.password_file,
        )

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
