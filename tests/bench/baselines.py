"""The native commands Strongroom is compared with, per engine, logged in the same way.

Baselines use the same tools and flags as the engines (``strongroom.engines.postgres`` and
``.mysql``) so a ratio measures what Strongroom adds, not a different dump: PostgreSQL's is
``pg_dump -Fc -Z0``, MariaDB's is ``mariadb-dump`` with the engine's flags. Passwords travel in
files (PGPASSFILE, ``--defaults-extra-file``), as the engines pass them.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from tests.support.postgres import BINDIR

from strongroom.engines import mysql, postgres
from strongroom.engines.base import Connection, read_password
from strongroom.engines.tooling import child_env, find_tool


@dataclass(frozen=True)
class Commands:
    """Shell text for one engine's native dump, naive pipeline, and restore."""

    engine: str
    dump: str  # writes the dump to stdout
    restore_argv: list[str]  # reads the dump on stdin
    env: dict[str, str]
    naive_dump: str  # the dump a hand-written script would run
    dump_label: str
    dump_short: str
    naive_label: str
    restore_label: str
    restore_short: str

    def dump_to(self, target: str) -> str:
        """The native dump redirected to ``target`` (a path or /dev/null)."""
        return f"{self.dump} > {shlex.quote(target)}"

    def naive(self, passphrase_file: Path) -> str:
        """What a backup script without Strongroom does: dump | gzip | openssl enc."""
        return (
            f"{self.naive_dump} | gzip | openssl enc -aes-256-cbc -pbkdf2 "
            f"-pass file:{shlex.quote(str(passphrase_file))} > /dev/null"
        )


def postgres_commands(conn: Connection, secrets: Path, target: Connection) -> Commands:
    """``pg_dump -Fc -Z0`` and ``pg_restore`` as the engine runs them."""
    password = read_password(conn) or ""
    pgpass = secrets / "pgpass"
    pgpass.write_text(postgres.pgpass_line(conn, password))
    pgpass.chmod(0o600)
    pg_dump = BINDIR / "pg_dump"
    dump = shlex.join(
        [
            str(pg_dump),
            "--format=custom",
            "--compress=0",
            "--no-password",
            f"--dbname={postgres.conninfo(conn)}",
        ]
    )
    naive = shlex.join([str(pg_dump), "--no-password", f"--dbname={postgres.conninfo(conn)}"])
    restore = postgres.restore_argv(str(BINDIR / "pg_restore"), target, clean=False)
    return Commands(
        engine="postgresql",
        dump=dump,
        restore_argv=restore,
        env=child_env({"PGPASSFILE": str(pgpass)}),
        naive_dump=naive,
        dump_label="pg_dump -Fc -Z0 > /dev/null",
        dump_short="pg_dump",
        naive_label="pg_dump | gzip | openssl enc -aes-256-cbc -pbkdf2",
        restore_label="pg_restore --single-transaction < dump",
        restore_short="pg_restore",
    )


def mariadb_commands(conn: Connection, secrets: Path, target: Connection) -> Commands:
    """``mariadb-dump`` with the engine's flags, and ``mariadb < dump``."""
    password = read_password(conn)
    defaults = secrets / "client.cnf"
    defaults.write_text(mysql.defaults_file_text(conn, password))
    defaults.chmod(0o600)
    dump_tool = find_tool("mariadb-dump", "mysqldump")
    client = find_tool("mariadb", "mysql")
    dump = shlex.join(mysql.dump_argv(dump_tool, defaults, conn, mariadb=True)) + " 2>/dev/null"
    restore = [
        *mysql.client_argv(client, defaults, target, mariadb=True),
        "--default-character-set=utf8mb4",
        f"--database={target.database}",
    ]
    return Commands(
        engine="mysql",
        dump=dump,
        restore_argv=restore,
        env=child_env(),
        naive_dump=dump,
        dump_label="mariadb-dump > /dev/null",
        dump_short="mariadb-dump",
        naive_label="mariadb-dump | gzip | openssl enc -aes-256-cbc -pbkdf2",
        restore_label="mariadb < dump",
        restore_short="mariadb",
    )


def redact(text: str, secrets: Path) -> str:
    """Commands as shown in the report: temporary paths shortened, no connection strings."""
    return text.replace(str(secrets), "$SECRETS")
