"""A real MariaDB server for tests: mariadb-install-db in a temp dir, password logins over TCP.

``mariadbd`` runs as the unprivileged ``mysql`` system user in its own process group, on a free
loopback port, logging to a file. The test admin logs in over TCP with a password kept in a file
(the engine hands it to the tools with ``--defaults-extra-file``); root is only used once, over
the server's private socket, to create that admin. ``stop``/``start``/``restart`` keep the port.
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

import pymysql

from strongroom.engines.base import Connection
from tests.support.certs import make_certs
from tests.support.ports import free_port, wait_until

ADMIN_USER = "strongroom_admin"
# Test value; quotes, '#' and a backslash exercise the option-file escaping.
ADMIN_PASSWORD = "my'Adm1n\"pa$$ #;wo\\rd"


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class MariaDBServer:
    """One ``mariadbd`` process with a data directory owned by the ``mysql`` system user."""

    host = "127.0.0.1"

    def __init__(self, workdir: Path, *, os_user: str = "mysql") -> None:
        self.workdir = workdir
        self.port = free_port()
        self._user = pwd.getpwnam(os_user)
        self._home = Path(tempfile.mkdtemp(prefix="strongroom-maria-"))
        os.chown(self._home, self._user.pw_uid, self._user.pw_gid)
        self.datadir = self._home / "data"
        self.socket = self._home / "mariadbd.sock"
        self.password_file = workdir / "maria-admin-password"
        self.log_file = workdir / "mariadbd.log"
        #: CA that signed the server certificate (for ``verify-full`` connections).
        self.ca_file = workdir / "tls" / "ca.crt"
        self._proc: subprocess.Popen[bytes] | None = None
        self._bootstrapped = False
        atexit.register(self._cleanup)

    def init(self) -> None:
        """Create the system tables (root may log in only through the private socket)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.password_file.write_text(ADMIN_PASSWORD + "\n", encoding="utf-8")
        self.password_file.chmod(0o600)
        subprocess.run(
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={self.datadir}",
                f"--user={self._user.pw_name}",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
            ],
            check=True,
            capture_output=True,
            cwd=self._home,
        )
        certs = make_certs(self.workdir / "tls")
        for source, name in ((certs.serving_cert, "server.crt"), (certs.serving_key, "server.key")):
            target = self._home / name
            shutil.copyfile(source, target)
            target.chmod(0o600)
            os.chown(target, self._user.pw_uid, self._user.pw_gid)

    def start(self) -> None:
        """Start the server (initialising it the first time) and wait until the admin can log in."""
        if not self.datadir.exists():
            self.init()
        with self.log_file.open("ab") as log:
            self._proc = subprocess.Popen(
                [
                    "mariadbd",
                    "--no-defaults",
                    f"--datadir={self.datadir}",
                    f"--port={self.port}",
                    "--bind-address=127.0.0.1",
                    f"--socket={self.socket}",
                    f"--pid-file={self._home / 'mariadbd.pid'}",
                    "--skip-name-resolve",
                    "--innodb-buffer-pool-size=128M",
                    "--innodb-flush-log-at-trx-commit=0",
                    "--character-set-server=utf8mb4",
                    "--collation-server=utf8mb4_unicode_ci",
                    "--local-infile=1",
                    f"--ssl-cert={self._home / 'server.crt'}",
                    f"--ssl-key={self._home / 'server.key'}",
                ],
                user=self._user.pw_uid,
                group=self._user.pw_gid,
                extra_groups=[],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                cwd=self._home,
            )
        if not self._bootstrapped:
            wait_until(self._socket_answers, timeout=60, what=f"MariaDB socket {self.socket}")
            self._root_sql(
                f"CREATE USER IF NOT EXISTS '{ADMIN_USER}'@'127.0.0.1' "
                f"IDENTIFIED BY {_quote(ADMIN_PASSWORD)}; "
                f"GRANT ALL PRIVILEGES ON *.* TO '{ADMIN_USER}'@'127.0.0.1' WITH GRANT OPTION;"
            )
            self._bootstrapped = True
        wait_until(self._accepts, timeout=60, what=f"MariaDB on port {self.port}")

    def _check_running(self) -> None:
        if self._proc is not None and self._proc.poll() is not None:
            raise RuntimeError(f"mariadbd exited with {self._proc.returncode}; see {self.log_file}")

    def _socket_answers(self) -> bool:
        self._check_running()
        self._root_sql("SELECT 1")
        return True

    def _root_sql(self, statement: str) -> None:
        subprocess.run(
            ["mariadb", "--no-defaults", f"--socket={self.socket}", "-u", "root", "-e", statement],
            check=True,
            capture_output=True,
        )

    def _accepts(self) -> bool:
        self._check_running()
        with contextlib.closing(self.connect(None)):
            return True

    def stop(self) -> None:
        """Shut the server down (SIGTERM, then SIGKILL after 30 s)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
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

    def admin_connection(self, database: str = "mysql") -> Connection:
        """An all-privileges :class:`Connection` whose password comes from a file."""
        return Connection(
            host=self.host,
            port=self.port,
            database=database,
            user=ADMIN_USER,
            password_file=self.password_file,
        )

    def connect(self, database: str | None) -> pymysql.connections.Connection:  # type: ignore[type-arg]
        """A pymysql autocommit connection for the tests' own assertions."""
        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=ADMIN_USER,
            password=ADMIN_PASSWORD,
            database=database,
            autocommit=True,
            charset="utf8mb4",
            connect_timeout=5,
            local_infile=True,
        )

    def create_database(self, name: str) -> None:
        """Create the empty database ``name`` (utf8mb4)."""
        self.execute(None, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists."""
        self.execute(None, f"DROP DATABASE IF EXISTS `{name}`")

    def execute(self, database: str | None, statement: str) -> list[tuple[object, ...]]:
        """Run one SQL statement; return its rows (empty for commands)."""
        with contextlib.closing(self.connect(database)) as conn, conn.cursor() as cur:
            cur.execute(statement)
            return list(cur.fetchall())
