"""PostgreSQL: ``pg_dump -Fc -Z0`` on an exported snapshot; fingerprints come from the dump itself.

The dump session opens a ``REPEATABLE READ`` transaction, exports its snapshot and starts
``pg_dump --snapshot=<id>`` on it; the transaction stays open until ``pg_dump`` has exited.

A table's fingerprint is its row count and a hash, both of that one snapshot:

* ``sha256`` is the hash of the table's data block exactly as ``pg_dump`` wrote it (its COPY
  text in dump order, chunk frames included), taken by
  :class:`~strongroom.engines.pgarchive.ArchiveHasher` from the bytes the agent streams
  anyway: no second read of the database;
* ``rows`` is ``SELECT count(*)`` in the dump session's transaction, for exactly the tables
  the archive's table of contents lists, run while the data streams.

Large objects, if any, are one entry, ``pg_largeobject`` (their count and the hash of their
blocks). :meth:`PostgresEngine.fingerprints` runs the same dump and hashing on a database as
it is now. Dump order is heap order, and ``pg_restore`` reloads each table with one COPY into
a fresh heap, so a restored table dumps the same bytes in the same order (docs/engines.md).
Tools run with ``PGTZ=UTC``, so time stamps print alike whatever the server's time zone.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, cast

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from strongroom.api.erasure import ErasureDelete
from strongroom.api.fingerprints import TableFingerprint
from strongroom.engines.base import (
    Connection,
    Engine,
    TLSMode,
    read_password,
    refuse_non_empty_target,
)
from strongroom.engines.pgarchive import LARGE_OBJECTS, ArchiveHasher
from strongroom.engines.tooling import (
    RunningDump,
    TailReader,
    ToolProcess,
    child_env,
    drain,
    erasure_failed,
    erasure_incomplete,
    find_tool,
    private_dir,
    run_restore,
    scrub,
    tool_version,
    write_secret_file,
)
from strongroom.errors import EngineError

_PG_LIB = Path("/usr/lib/postgresql")
_MAGIC = b"PGDMP"
_SESSION_SETTINGS = (
    "SET TimeZone = 'UTC'",
    "SET DateStyle = 'ISO, YMD'",
    "SET IntervalStyle = 'postgres'",
    "SET extra_float_digits = 1",
    "SET bytea_output = 'hex'",
)
_SYSTEM_SCHEMAS = """
    n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
"""
_USER_OBJECTS = f"""
    SELECT EXISTS (
        SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND {_SYSTEM_SCHEMAS}
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
    ) OR EXISTS (
        SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE {_SYSTEM_SCHEMAS}
          AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
    )
"""  # noqa: S608 - constant text, no input


def _bindirs() -> list[Path]:
    """Installed PostgreSQL client directories, newest major first (pg_dump must be >= server)."""
    found = [p / "bin" for p in _PG_LIB.glob("*") if p.name.isdigit()]
    return sorted(found, key=lambda p: int(p.parent.name), reverse=True)


def _major(version_line: str) -> int:
    match = re.search(r"\)\s+(\d+)", version_line) or re.search(r"(\d+)", version_line)
    return int(match.group(1)) if match else 0


def pgpass_line(conn: Connection, password: str) -> str:
    """A ``.pgpass`` entry for ``conn``'s host, port and user, valid for any database."""

    def esc(value: str) -> str:
        return value.replace("\\", "\\\\").replace(":", "\\:")

    return f"{esc(conn.host)}:{conn.port}:*:{esc(conn.user)}:{esc(password)}\n"


def conninfo(conn: Connection) -> str:
    """A libpq connection string for ``conn``: never a password (that comes from PGPASSFILE)."""
    params: dict[str, str | int] = {
        "host": conn.host,
        "port": conn.port,
        "dbname": conn.database,
        "user": conn.user,
        "sslmode": str(conn.tls),
        "application_name": "strongroom",
        "connect_timeout": 15,
    }
    if conn.tls is not TLSMode.DISABLE and conn.ca_file is not None:
        params["sslrootcert"] = str(conn.ca_file)
    return make_conninfo("", **params)


def dump_argv(pg_dump: str, conn: Connection, *, snapshot: str) -> list[str]:
    """``pg_dump`` in custom format, uncompressed (zstd follows), on the exported snapshot."""
    return [
        pg_dump,
        "--format=custom",
        "--compress=0",
        f"--snapshot={snapshot}",
        "--no-password",
        f"--dbname={conninfo(conn)}",
    ]


def restore_argv(pg_restore: str, conn: Connection, *, clean: bool) -> list[str]:
    """``pg_restore`` from stdin in one transaction, stopping at the first error.

    Ownership and grants are not restored (the target's roles differ from the source's);
    ``clean`` drops the archive's objects first (an allowed overwrite).
    """
    argv = [
        pg_restore,
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        "--no-password",
        f"--dbname={conninfo(conn)}",
    ]
    return [*argv, "--clean", "--if-exists"] if clean else argv


def connect(conn: Connection, password: str | None) -> psycopg.Connection[tuple[object, ...]]:
    """An autocommit session with canonical output settings, or an :class:`EngineError`."""
    try:
        session = psycopg.connect(conninfo(conn), password=password, autocommit=True)
    except psycopg.Error as exc:
        raise EngineError(
            f"cannot connect to PostgreSQL as {conn.describe()}: {scrub(str(exc), [password])}",
            reason="DatabaseUnavailable",
        ) from exc
    for statement in _SESSION_SETTINGS:
        session.execute(statement.encode())
    return cast("psycopg.Connection[tuple[object, ...]]", session)


def stream_hasher() -> ArchiveHasher:
    """The hasher a dump's stdout feeds (a function, so a diagnostic can stub it)."""
    return ArchiveHasher()


def table_counts(
    session: psycopg.Connection[tuple[object, ...]], hasher: ArchiveHasher
) -> dict[str, int]:
    """Row counts, in ``session``'s snapshot, of every table the archive holds data for.

    Waits until ``hasher`` has read the archive's table of contents (pg_dump writes it before
    any data), so exactly the tables in the dump are counted.

    Raises:
        EngineError: The dump was stopped before its table of contents was read.
    """
    hasher.toc_ready.wait()
    if not hasher.toc_read:
        raise EngineError("the dump stopped before its table of contents was read")
    counts: dict[str, int] = {}
    for entry in hasher.data_entries:
        query: sql.Composable
        if entry.name == LARGE_OBJECTS:
            query = sql.SQL("SELECT count(*) FROM pg_catalog.pg_largeobject_metadata")
        else:
            query = sql.SQL("SELECT count(*) FROM {}").format(
                sql.Identifier(entry.namespace, entry.tag)
            )
        row = session.execute(query).fetchone()
        counts[entry.name] = int(cast("int", row[0])) if row else 0
    return counts


class PostgresDump(RunningDump):
    """A running ``pg_dump``, its archive hasher and the row counts of its snapshot."""

    driver_error = psycopg.Error

    def check_output(self, reader: TailReader) -> None:
        """A custom-format archive starts with its magic bytes."""
        if not reader.head.startswith(_MAGIC):
            raise EngineError(
                f"pg_dump exited 0 but wrote {reader.total} bytes that are not a "
                "custom-format archive; the dump is incomplete"
            )


class PostgresEngine:
    """The PostgreSQL engine (``engine: postgresql``)."""

    name = "postgresql"

    def __init__(self, bindir: Path | None = None) -> None:
        self._search = [bindir] if bindir is not None else _bindirs()

    def _tool(self, name: str) -> str:
        # Prefer the newest versioned directory over PATH: Debian's PATH entry is a wrapper.
        for directory in self._search:
            if (directory / name).is_file():
                return str(directory / name)
        return find_tool(name)

    @contextlib.contextmanager
    def _tool_env(self, conn: Connection) -> Iterator[tuple[dict[str, str], str | None]]:
        password = read_password(conn)
        with private_dir() as secrets:
            extra = {"PGCONNECT_TIMEOUT": "15", "PGTZ": "UTC"}
            if password is not None:
                extra["PGPASSFILE"] = str(
                    write_secret_file(secrets / "pgpass", pgpass_line(conn, password))
                )
            yield child_env(extra), password

    @contextlib.contextmanager
    def dump(self, conn: Connection) -> Iterator[PostgresDump]:
        """Start ``pg_dump -Fc -Z0`` on an exported snapshot; count rows in that snapshot."""
        pg_dump = self._tool("pg_dump")
        with self._tool_env(conn) as (env, password):
            session = connect(conn, password)
            try:
                self._check_tool_major(session, pg_dump)
                session.execute(b"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                row = session.execute(b"SELECT pg_export_snapshot()").fetchone()
                assert row is not None  # noqa: S101 - the function always returns a row
                snapshot = str(row[0])
                argv = dump_argv(pg_dump, conn, snapshot=snapshot)
                proc = ToolProcess(argv, env=env, secrets=[password], stdout=subprocess.PIPE)
                hasher = stream_hasher()
                thread: threading.Thread | None = None
                try:
                    counts: Future[dict[str, int]] = Future()
                    thread = threading.Thread(
                        target=_count_into, args=(counts, session, hasher), daemon=True
                    )
                    thread.start()
                    yield PostgresDump(proc, hasher, counts)
                finally:
                    proc.stop()
                    hasher.abandon()
                    if thread is not None and thread.is_alive():
                        with contextlib.suppress(psycopg.Error):
                            session.cancel_safe(timeout=5)
                        thread.join()
            finally:
                with contextlib.suppress(psycopg.Error):
                    session.close()

    def _check_tool_major(self, session: psycopg.Connection[tuple[object, ...]], tool: str) -> None:
        server_major = session.info.server_version // 10000
        tool_major = _major(tool_version(tool))
        if tool_major < server_major:
            raise EngineError(
                f"pg_dump {tool_major} cannot dump a PostgreSQL {server_major} server; "
                f"the image must carry client tools of version {server_major} or newer",
                reason="DatabaseToolTooOld",
            )

    def restore(self, conn: Connection, source: BinaryIO, *, allow_overwrite: bool = False) -> None:
        """Restore a custom-format archive from ``source`` with ``pg_restore`` in one transaction.

        With ``allow_overwrite`` the archive's objects replace existing ones (``--clean``).
        """
        if not allow_overwrite:
            refuse_non_empty_target(conn, empty=self.is_empty(conn), replaces="objects")
        argv = restore_argv(self._tool("pg_restore"), conn, clean=allow_overwrite)
        with self._tool_env(conn) as (env, password):
            run_restore(argv, source, env=env, secrets=[password], target=conn.describe())

    def fingerprints(self, conn: Connection) -> tuple[TableFingerprint, ...]:
        """Fingerprint ``conn.database`` as it is now: the same dump and hashing as a backup."""
        with self.dump(conn) as dump:
            return drain(dump)

    def is_empty(self, conn: Connection) -> bool:
        """True when the database has no user tables, views, sequences or functions."""
        with contextlib.closing(connect(conn, read_password(conn))) as session:
            row = session.execute(_USER_OBJECTS).fetchone()
            return not (row and row[0])

    def create_database(self, conn: Connection, name: str) -> None:
        """``CREATE DATABASE name TEMPLATE template0`` (a clean, empty database)."""
        self._admin(conn, sql.SQL("CREATE DATABASE {} TEMPLATE template0"), name)

    def drop_database(self, conn: Connection, name: str) -> None:
        """``DROP DATABASE IF EXISTS name WITH (FORCE)`` (disconnects leftover sessions)."""
        self._admin(conn, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)"), name)

    def _admin(self, conn: Connection, statement: sql.SQL, name: str) -> None:
        password = read_password(conn)
        with contextlib.closing(connect(conn, password)) as session:
            try:
                session.execute(statement.format(sql.Identifier(name)))
            except psycopg.Error as exc:
                raise EngineError(
                    f"database {name} on {conn.host}:{conn.port}: {scrub(str(exc), [password])}"
                ) from exc

    def query_value(self, conn: Connection, statement: str) -> str | None:
        """Row 1, column 1 of ``statement`` as text, in a read-only transaction."""
        with contextlib.closing(connect(conn, read_password(conn))) as session:
            try:
                session.execute(b"BEGIN TRANSACTION READ ONLY")
                cur = session.execute(statement.encode())
                row = cur.fetchone() if cur.description else None
                session.execute(b"ROLLBACK")
            except psycopg.Error as exc:
                raise EngineError(
                    f"query failed on {conn.describe()} with SQLSTATE {exc.sqlstate or 'unknown'}",
                    reason="QueryFailed",
                ) from None
        return None if not row or row[0] is None else str(row[0])

    def tool_versions(self) -> dict[str, str]:
        """``pg_dump`` and ``pg_restore`` versions."""
        return {name: tool_version(self._tool(name)) for name in ("pg_dump", "pg_restore")}

    def server_version(self, conn: Connection) -> str:
        """The server's ``server_version`` setting (e.g. ``15.18 (Debian 15.18-0+deb12u1)``)."""
        with contextlib.closing(connect(conn, read_password(conn))) as session:
            row = session.execute(b"SHOW server_version").fetchone()
            return str(row[0]) if row else ""


def _count_into(
    future: Future[dict[str, int]],
    session: psycopg.Connection[tuple[object, ...]],
    hasher: ArchiveHasher,
) -> None:
    """Count rows in the dump's snapshot; it is released only after pg_dump is done."""
    try:
        future.set_result(table_counts(session, hasher))
    except BaseException as exc:  # noqa: BLE001 - handed to the reader of .fingerprints
        future.set_exception(exc)


def erase_by_key(conn: Connection, deletes: Sequence[ErasureDelete]) -> int:
    """Run one erasure entry's deletes in one transaction; return the rows deleted.

    Table and column are quoted as identifiers and the key values bound as parameters (never
    pasted into SQL). After the deletes, no row with those keys may remain, else the whole
    entry is rolled back. Errors carry PostgreSQL's primary message only: its DETAIL line
    quotes key values, which are personal data.
    """
    password = read_password(conn)
    deleted = 0
    with contextlib.closing(connect(conn, password)) as session:
        current = ""
        try:
            with session.transaction():
                for step in deletes:
                    current = f"{step.schema_name or 'public'}.{step.table}"
                    deleted += session.execute(
                        _erase_sql("DELETE FROM", step), step.values
                    ).rowcount
                for step in deletes:
                    current = f"{step.schema_name or 'public'}.{step.table}"
                    row = session.execute(_erase_sql("SELECT count(*) FROM", step), step.values)
                    left = row.fetchone()
                    if left and int(cast("int", left[0])):
                        raise erasure_incomplete(current, left[0])
        except psycopg.Error as exc:
            primary = exc.diag.message_primary or type(exc).__name__
            raise erasure_failed(current, primary, password, deletes) from None
    return deleted


def _erase_sql(verb: str, step: ErasureDelete) -> sql.Composed:
    marks = sql.SQL(", ").join(sql.Placeholder() * len(step.values))
    return sql.SQL("{} {} WHERE {} IN ({})").format(
        sql.SQL(verb),
        sql.Identifier(step.schema_name or "public", step.table),
        sql.Identifier(step.column),
        marks,
    )


if TYPE_CHECKING:
    _CONFORMS: Engine = PostgresEngine()  # mypy proves the class fulfils the Engine protocol
