"""MariaDB/MySQL: ``mariadb-dump --single-transaction``; fingerprints from the dump itself.

A table's fingerprint is its row count and a hash:

* ``sha256`` is the hash of the table's data section exactly as the dump tool wrote it (its
  INSERT statements, in dump order), taken by :class:`~strongroom.engines.sqlstream.
  SQLDumpHasher` from the bytes the agent streams anyway: no second read of the database;
* ``rows`` (:class:`RowCounts`): with ``mariadb-dump``, which writes one row per line, the
  number of rows in that same section (``stream``: exact by construction, no lock, no second
  session, no ``RELOAD``); with MySQL's ``mysqldump``, which writes an INSERT's rows on one
  line, ``SELECT COUNT(*)`` per base table in a snapshot of the agent's own session
  (``snapshot``).

For ``snapshot`` counts: MariaDB/MySQL cannot hand a snapshot from one session to another, so
the dump tool and the counting session each open their own ``WITH CONSISTENT SNAPSHOT``
transaction. What ties them together is :class:`Consistency`:

* ``locked`` (default): a third session holds ``FLUSH TABLES WITH READ LOCK`` while both
  snapshots start, then releases it. No commit can fall between the two, so the counts
  describe exactly the dumped data. Writes pause for that moment (milliseconds, at most
  ``lock_wait_timeout`` seconds while the lock waits for running statements); needs ``RELOAD``.
* ``snapshot``: no lock. The hashes always describe the dump; row counts may include writes
  committed between the two snapshot starts, and verification would then report them.

:meth:`MySQLEngine.fingerprints` runs the same dump and hashing on a database as it is now
(``snapshot`` consistency: a restored database has no writers, and needs no ``RELOAD``).
The tool reads InnoDB tables in primary-key (or hidden row id) order, which a restore
reproduces, so a restored table dumps the same bytes (docs/engines.md).
Completeness: the tool's exit code AND its ``-- Dump completed`` trailer are checked.
"""

from __future__ import annotations

import contextlib
import ssl
import subprocess
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

import pymysql

from strongroom.api.erasure import ErasureDelete
from strongroom.api.fingerprints import TableFingerprint
from strongroom.engines.base import (
    Connection,
    Engine,
    TLSMode,
    read_password,
    refuse_non_empty_target,
)
from strongroom.engines.sqlstream import SQLDumpHasher
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
from strongroom.errors import ConfigError, EngineError

_TRAILER = b"-- Dump completed"
_TXN_STARTED = "-- Starting transaction..."
DUMP_FLAGS = (
    "--single-transaction",
    "--quick",
    "--routines",
    "--triggers",
    "--events",
    "--hex-blob",
    "--default-character-set=utf8mb4",
    "--skip-dump-date",
    "--no-tablespaces",
    "--verbose",
)
#: pymysql converters without the decoders: values arrive as the server's own text/bytes.
_ENCODERS_ONLY = {k: v for k, v in pymysql.converters.conversions.items() if not isinstance(k, int)}
_ACCESS_DENIED = 1227
#: Longest time writes may stay paused while the dump tool opens its snapshot.
_SNAPSHOT_WAIT = 10
_ERROR_PREFIXES = ("ERROR", "Warning", "mariadb", "mysql", "mysqldump")
#: The tables whose data the dump holds (system-versioned ones: their current rows).
_TABLES = (
    "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s "
    "AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED') ORDER BY TABLE_NAME"
)
_SNAPSHOT_START = "START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"


def is_error_line(line: str) -> bool:
    """Keep the client's own error lines; drop its echo of the failing statement (row data)."""
    return line.startswith(_ERROR_PREFIXES)


class Consistency(StrEnum):
    """How the counting snapshot is aligned with the dump's snapshot (see module doc)."""

    LOCKED = "locked"
    SNAPSHOT = "snapshot"


class RowCounts(StrEnum):
    """Where a table's row count comes from (see module doc)."""

    STREAM = "stream"
    SNAPSHOT = "snapshot"


def row_counts_for(tool_version_line: str) -> RowCounts:
    """``stream`` for MariaDB's dump tool (one row per line), ``snapshot`` for MySQL's."""
    return RowCounts.STREAM if "mariadb" in tool_version_line.lower() else RowCounts.SNAPSHOT


def _option_value(value: str) -> str:
    """Quote ``value`` for a MySQL option file (backslash and ``"`` escaped, ``#`` kept)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def defaults_file_text(conn: Connection, password: str | None) -> str:
    """The ``[client]`` option file that carries the password (and TLS files) to the tools."""
    lines = ["[client]", f"user={_option_value(conn.user)}"]
    if password is not None:
        lines.append(f"password={_option_value(password)}")
    if conn.tls is not TLSMode.DISABLE and conn.ca_file is not None:
        lines.append(f"ssl-ca={_option_value(str(conn.ca_file))}")
    return "\n".join(lines) + "\n"


def tls_flags(tls: TLSMode, *, mariadb: bool) -> list[str]:
    """Client flags for ``tls`` in the tool's dialect (MariaDB's vs MySQL's ``--ssl-mode``)."""
    if not mariadb:
        return [
            {"disable": "--ssl-mode=DISABLED", "require": "--ssl-mode=REQUIRED"}.get(
                tls, "--ssl-mode=VERIFY_IDENTITY"
            )
        ]
    if tls is TLSMode.DISABLE:
        return ["--skip-ssl"]
    if tls is TLSMode.REQUIRE:
        return ["--ssl", "--skip-ssl-verify-server-cert"]
    return ["--ssl", "--ssl-verify-server-cert"]


def client_argv(tool: str, defaults: Path, conn: Connection, *, mariadb: bool) -> list[str]:
    """Common arguments of the dump tool and the client; the password stays in ``defaults``."""
    if is_socket(conn):
        where = [f"--socket={conn.host}", "--protocol=SOCKET"]
    else:
        where = [f"--host={conn.host}", f"--port={conn.port}", "--protocol=TCP"]
    return [
        tool,
        f"--defaults-extra-file={defaults}",  # must come first
        *where,
        *tls_flags(conn.tls, mariadb=mariadb),
    ]


def is_socket(conn: Connection) -> bool:
    """Whether ``conn.host`` is a Unix socket file (a verification sidecar) rather than a host."""
    return conn.host.startswith("/")


def dump_argv(tool: str, defaults: Path, conn: Connection, *, mariadb: bool) -> list[str]:
    """The full dump command line for ``conn.database``."""
    return [*client_argv(tool, defaults, conn, mariadb=mariadb), *DUMP_FLAGS, conn.database]


def _ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def connect(conn: Connection, password: str | None, *, raw: bool = False) -> Any:
    """A pymysql session (``raw``: values as the server's text, for assertions)."""
    context: ssl.SSLContext | None = None
    if conn.tls is not TLSMode.DISABLE:
        context = ssl.create_default_context(cafile=str(conn.ca_file) if conn.ca_file else None)
        if conn.tls is TLSMode.REQUIRE:  # encrypted, server not verified (like sslmode=require)
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    try:
        session = pymysql.connect(
            host="localhost" if is_socket(conn) else conn.host,
            port=conn.port,
            unix_socket=conn.host if is_socket(conn) else None,
            user=conn.user,
            password=password or "",
            database=conn.database,
            charset="utf8mb4",
            autocommit=True,
            connect_timeout=15,
            ssl=context,
            conv=_ENCODERS_ONLY if raw else None,
        )
    except pymysql.Error as exc:
        raise EngineError(
            f"cannot connect to MariaDB/MySQL as {conn.describe()}: {scrub(str(exc), [password])}",
            reason="DatabaseUnavailable",
        ) from exc
    with session.cursor() as cur:
        cur.execute("SET SESSION time_zone = '+00:00'")
    return session


def stream_hasher(*, count_rows: bool = False) -> SQLDumpHasher:
    """The hasher a dump's stdout feeds (a function, so a diagnostic can stub it)."""
    return SQLDumpHasher(count_rows=count_rows)


def table_counts(session: Any, database: str) -> dict[str, int]:
    """Row counts of every table of ``database`` in ``session``'s open snapshot.

    Names are bare table names: the schema *is* the database, which a restore may rename.
    """
    counts: dict[str, int] = {}
    with session.cursor() as cur:
        cur.execute(_TABLES, (database,))
        for (raw,) in cur.fetchall():
            table = _text(raw)
            cur.execute(f"SELECT COUNT(*) FROM {_ident(database)}.{_ident(table)}")  # noqa: S608 - quoted identifiers
            counts[table] = int(_text(cur.fetchone()[0]))
    return counts


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class MySQLDump(RunningDump):
    """A running ``mariadb-dump``, its section hasher and the row counts of its snapshot."""

    driver_error = pymysql.Error

    def check_output(self, reader: TailReader) -> None:
        """mariadb-dump ends a whole dump with its ``-- Dump completed`` trailer."""
        if not has_trailer(reader.tail):
            raise EngineError(
                f"{self._proc.tool} exited 0 but its output lacks the '-- Dump completed' "
                f"trailer after {reader.total} bytes; the dump is incomplete"
            )


def has_trailer(tail: bytes) -> bool:
    """Whether a dump's last line is mariadb-dump/mysqldump's ``-- Dump completed`` trailer."""
    lines = tail.rstrip().splitlines()
    return bool(lines) and lines[-1].startswith(_TRAILER)


class MySQLEngine:
    """The MariaDB/MySQL engine (``engine: mysql``)."""

    name = "mysql"

    def __init__(
        self,
        consistency: Consistency = Consistency.LOCKED,
        *,
        lock_wait_timeout: int = 5,
        row_counts: RowCounts | None = None,
    ) -> None:
        """Set how rows are counted.

        ``row_counts`` ``None`` picks by dump tool (:func:`row_counts_for`); ``consistency``
        and ``lock_wait_timeout`` apply to ``snapshot`` counts only.
        """
        self.consistency = consistency
        self.lock_wait_timeout = lock_wait_timeout
        self.row_counts = row_counts

    def _dump_tool(self) -> str:
        return find_tool("mariadb-dump", "mysqldump")

    def _client_tool(self) -> str:
        return find_tool("mariadb", "mysql")

    def _argv(self, tool: str, defaults: Path, conn: Connection) -> list[str]:
        mariadb = "mariadb" in tool_version(tool).lower()
        return client_argv(tool, defaults, conn, mariadb=mariadb)

    def dump(self, conn: Connection) -> contextlib.AbstractContextManager[MySQLDump]:
        """Start ``mariadb-dump``; rows are counted in its stream or an aligned snapshot."""
        return self._dump(conn, self.consistency)

    @contextlib.contextmanager
    def _dump(self, conn: Connection, consistency: Consistency) -> Iterator[MySQLDump]:
        password = read_password(conn)
        with private_dir() as secrets:
            defaults = write_secret_file(secrets / "client.cnf", defaults_file_text(conn, password))
            tool = self._dump_tool()
            version = tool_version(tool)
            argv = dump_argv(tool, defaults, conn, mariadb="mariadb" in version.lower())
            if (self.row_counts or row_counts_for(version)) is RowCounts.STREAM:
                # Log in once first: a wrong password or an unreachable server fails here with
                # the driver's clear error, before the dump tool starts.
                probe = connect(conn, password)
                with contextlib.suppress(pymysql.Error, OSError):
                    probe.close()
                with self._counted_in_stream(argv, password) as dump:
                    yield dump
                return
            session = connect(conn, password, raw=True)
            lock = connect(conn, password) if consistency is Consistency.LOCKED else None
            proc: ToolProcess | None = None
            thread: threading.Thread | None = None
            try:
                if lock is not None:
                    self._lock(lock, conn)
                with session.cursor() as cur:
                    cur.execute(_SNAPSHOT_START)
                proc = _start_dump(argv, password, milestone=_TXN_STARTED)
                if lock is not None:
                    if not proc.milestone_passed.wait(timeout=_SNAPSHOT_WAIT):
                        raise EngineError(
                            f"{proc.tool} did not report its snapshot within {_SNAPSHOT_WAIT} s; "
                            "released the read lock and gave up"
                        )
                    with lock.cursor() as cur:
                        cur.execute("UNLOCK TABLES")
                counts: Future[dict[str, int]] = Future()
                thread = threading.Thread(
                    target=_count_into, args=(counts, session, conn.database), daemon=True
                )
                thread.start()
                yield MySQLDump(proc, stream_hasher(), counts)
            finally:
                if proc is not None:
                    proc.stop()
                if thread is not None:
                    thread.join()
                for s in (lock, session):
                    if s is not None:
                        with contextlib.suppress(pymysql.Error, OSError):
                            s.close()

    @contextlib.contextmanager
    def _counted_in_stream(self, argv: list[str], password: str | None) -> Iterator[MySQLDump]:
        """The dump alone: its hasher counts every table's rows as they pass."""
        proc = _start_dump(argv, password)
        try:
            hasher = stream_hasher(count_rows=True)
            yield MySQLDump(proc, hasher, hasher.row_counts)
        finally:
            proc.stop()

    def _lock(self, lock: Any, conn: Connection) -> None:
        try:
            with lock.cursor() as cur:
                cur.execute(f"SET SESSION lock_wait_timeout = {int(self.lock_wait_timeout)}")
                cur.execute("FLUSH TABLES WITH READ LOCK")
        except pymysql.err.OperationalError as exc:
            if exc.args and exc.args[0] == _ACCESS_DENIED:
                raise ConfigError(
                    f"{conn.user} may not run FLUSH TABLES WITH READ LOCK; grant it RELOAD, or "
                    "choose consistency 'snapshot' (row counts may then differ under writes)",
                    reason="MissingPrivilege",
                ) from exc
            raise EngineError(
                f"could not take the brief global read lock on {conn.describe()} within "
                f"{self.lock_wait_timeout} s (a long statement holds tables): {exc.args[-1]}",
                reason="LockTimeout",
            ) from exc

    def restore(self, conn: Connection, source: BinaryIO, *, allow_overwrite: bool = False) -> None:
        """Replay an SQL dump from ``source`` with the ``mariadb`` client into ``conn.database``.

        DDL commits implicitly in MariaDB: a failed restore can leave a partial database, so
        restore into a scratch or empty database and drop it on failure.
        """
        if not allow_overwrite:
            refuse_non_empty_target(conn, empty=self.is_empty(conn), replaces="tables")
        password = read_password(conn)
        with private_dir() as secrets:
            defaults = write_secret_file(secrets / "client.cnf", defaults_file_text(conn, password))
            argv = [
                *self._argv(self._client_tool(), defaults, conn),
                "--default-character-set=utf8mb4",
                f"--database={conn.database}",
            ]
            run_restore(
                argv,
                source,
                env=child_env(),
                secrets=[password],
                target=conn.describe(),
                keep=is_error_line,
            )

    def fingerprints(self, conn: Connection) -> tuple[TableFingerprint, ...]:
        """Fingerprint ``conn.database`` as it is now: the same dump and hashing as a backup."""
        with self._dump(conn, Consistency.SNAPSHOT) as dump:
            return drain(dump)

    def is_empty(self, conn: Connection) -> bool:
        """True when the database has no tables, views, routines or events."""
        rows = self._query(
            conn,
            "SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s)"
            " + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s)"
            " + (SELECT COUNT(*) FROM information_schema.EVENTS WHERE EVENT_SCHEMA = %s)",
            (conn.database,) * 3,
        )
        return int(cast("int", rows[0][0])) == 0

    def create_database(self, conn: Connection, name: str) -> None:
        """``CREATE DATABASE name CHARACTER SET utf8mb4``."""
        self._query(conn, f"CREATE DATABASE {_ident(name)} CHARACTER SET utf8mb4")

    def drop_database(self, conn: Connection, name: str) -> None:
        """``DROP DATABASE IF EXISTS name``."""
        self._query(conn, f"DROP DATABASE IF EXISTS {_ident(name)}")

    def _query(
        self, conn: Connection, statement: str, args: tuple[object, ...] = ()
    ) -> list[tuple[object, ...]]:
        password = read_password(conn)
        session = connect(conn, password)
        try:
            with session.cursor() as cur:
                cur.execute(statement, args or None)
                return list(cur.fetchall())
        except pymysql.Error as exc:
            raise EngineError(f"{conn.describe()}: {scrub(str(exc), [password])}") from exc
        finally:
            with contextlib.suppress(pymysql.Error, OSError):
                session.close()

    def query_value(self, conn: Connection, statement: str) -> str | None:
        """Row 1, column 1 of ``statement`` as text, in a read-only transaction."""
        password = read_password(conn)
        session = connect(conn, password, raw=True)
        try:
            with session.cursor() as cur:
                cur.execute("START TRANSACTION READ ONLY")
                cur.execute(statement)
                row = cur.fetchone() if cur.description else None
                cur.execute("ROLLBACK")
        except pymysql.Error as exc:
            code = exc.args[0] if exc.args else "unknown"
            raise EngineError(
                f"query failed on {conn.describe()} with MariaDB/MySQL error {code}",
                reason="QueryFailed",
            ) from None
        finally:
            with contextlib.suppress(pymysql.Error, OSError):
                session.close()
        return None if not row or row[0] is None else _text(row[0])

    def tool_versions(self) -> dict[str, str]:
        """Dump and client tool versions."""
        return {
            Path(tool).name: tool_version(tool) for tool in (self._dump_tool(), self._client_tool())
        }

    def server_version(self, conn: Connection) -> str:
        """``SELECT VERSION()`` (e.g. ``10.11.19-MariaDB-0+deb12u1``)."""
        return str(self._query(conn, "SELECT VERSION()")[0][0])


def _start_dump(
    argv: list[str], password: str | None, *, milestone: str | None = None
) -> ToolProcess:
    """Start the dump tool; its ``-- `` progress lines (and ``milestone``) stay out of errors."""
    return ToolProcess(
        argv,
        env=child_env(),
        secrets=[password],
        stdout=subprocess.PIPE,
        progress_prefix="-- ",
        milestone=milestone,
        keep=is_error_line,
    )


def _count_into(future: Future[dict[str, int]], session: Any, database: str) -> None:
    try:
        future.set_result(table_counts(session, database))
    except BaseException as exc:  # noqa: BLE001 - handed to the reader of .fingerprints
        future.set_exception(exc)


def erase_by_key(conn: Connection, deletes: Sequence[ErasureDelete]) -> int:
    """Run one erasure entry's deletes in one transaction; return the rows deleted.

    Tables are those of ``conn.database`` (the restore target; ``schema`` is ignored), quoted
    as identifiers; key values are bound as parameters, never pasted into SQL. After the
    deletes no row with those keys may remain, else the whole entry is rolled back. Error text
    is stripped of quoted literals, which could be key values (personal data).
    """
    password = read_password(conn)
    session = connect(conn, password)
    deleted, current = 0, ""
    try:
        session.begin()
        with session.cursor() as cur:
            for step in deletes:
                current = step.table
                cur.execute(_erase_sql("DELETE FROM", step), tuple(step.values))
                deleted += int(cur.rowcount)
            for step in deletes:
                current = step.table
                cur.execute(_erase_sql("SELECT COUNT(*) FROM", step), tuple(step.values))
                left = int(cast("int", cur.fetchone()[0]))
                if left:
                    session.rollback()
                    raise erasure_incomplete(current, left)
        session.commit()
    except pymysql.Error as exc:
        with contextlib.suppress(pymysql.Error, OSError):
            session.rollback()
        detail = str(exc.args[-1]) if exc.args else type(exc).__name__
        raise erasure_failed(current, detail, password, deletes) from None
    finally:
        with contextlib.suppress(pymysql.Error, OSError):
            session.close()
    return deleted


def _erase_sql(verb: str, step: ErasureDelete) -> str:
    marks = ", ".join(["%s"] * len(step.values))
    return f"{verb} {_ident(step.table)} WHERE {_ident(step.column)} IN ({marks})"


if TYPE_CHECKING:
    _CONFORMS: Engine = MySQLEngine()  # mypy proves the class fulfils the Engine protocol
