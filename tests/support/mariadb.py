"""A real MariaDB server for tests: mariadb-install-db in a temp dir, password logins over TCP.

``mariadbd`` runs as the unprivileged ``mysql`` system user in its own process group, on a free
loopback port, logging to a file. The test admin logs in over TCP with a password kept in a file
(the engine hands it to the tools with ``--defaults-extra-file``); root is only used once, over
the server's private socket, to create that admin. ``stop``/``start``/``restart`` keep the port.
"""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path

import pymysql

from tests.support.db_server import ADMIN_USER, DatabaseServerProcess
from tests.support.ports import wait_until

# Test value; quotes, '#' and a backslash exercise the option-file escaping.
ADMIN_PASSWORD = "my'Adm1n\"pa$$ #;wo\\rd"


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class MariaDBServer(DatabaseServerProcess):
    """One ``mariadbd`` process with a data directory owned by the ``mysql`` system user."""

    daemon = "mariadbd"
    default_database = "mysql"
    admin_password = ADMIN_PASSWORD

    def __init__(self, workdir: Path, *, os_user: str = "mysql") -> None:
        super().__init__(
            workdir,
            os_user=os_user,
            home_prefix="strongroom-maria-",
            password_name="maria-admin-password",
            log_name="mariadbd.log",
        )
        self.socket = self._home / "mariadbd.sock"
        self._bootstrapped = False

    def init(self) -> None:
        """Create the system tables (root may log in only through the private socket)."""
        self._write_password_file()
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
        self._install_certificate()

    def _command(self) -> list[str]:
        return [
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
        ]

    def _wait_ready(self) -> None:
        """The first start creates the TCP admin through root's socket login, then waits for TCP."""
        if not self._bootstrapped:
            wait_until(self._socket_answers, timeout=60, what=f"MariaDB socket {self.socket}")
            self._root_sql(
                f"CREATE USER IF NOT EXISTS '{ADMIN_USER}'@'127.0.0.1' "
                f"IDENTIFIED BY {_quote(ADMIN_PASSWORD)}; "
                f"GRANT ALL PRIVILEGES ON *.* TO '{ADMIN_USER}'@'127.0.0.1' WITH GRANT OPTION;"
            )
            self._bootstrapped = True
        wait_until(self._accepts, timeout=60, what=f"MariaDB on port {self.port}")

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
