"""The contract every database engine fulfils, so the agent streams any engine the same way.

An engine owns three things for its database family: a consistent dump streamed from the
tool's stdout, a restore that reads the same bytes from stdin, and the table fingerprints that
prove a restore holds what was dumped (taken from that same dump stream as it is read, plus
row counts in the dump's snapshot; see :mod:`strongroom.api.fingerprints`). Everything else
(compression, encryption, S3) is the agent's business and never engine-specific.

Passwords travel only as files: :class:`Connection` carries ``password_file``, and the tools read
it through ``PGPASSFILE`` or ``--defaults-extra-file`` (see :mod:`strongroom.engines.secrets`),
never through argv or an environment value holding the password itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, Protocol

from strongroom.api.fingerprints import TableFingerprint
from strongroom.errors import ConfigError

__all__ = [
    "Connection",
    "Dump",
    "Engine",
    "TLSMode",
    "TableFingerprint",
    "read_password",
]


class TLSMode(StrEnum):
    """How the engine connects to its server; ``verify-full`` checks the CA and the host name."""

    DISABLE = "disable"
    REQUIRE = "require"
    VERIFY_FULL = "verify-full"


@dataclass(frozen=True)
class Connection:
    """Where a database lives and how to log in; the password is only ever a file path.

    Attributes:
        host: Server host name or address; an absolute path is a Unix socket (PostgreSQL: the
            socket directory; MariaDB/MySQL: the socket file), as for a verification sidecar.
        port: Server TCP port (PostgreSQL also names its socket file after it).
        database: Database (PostgreSQL) or schema (MariaDB/MySQL) name.
        user: Login role or user.
        password_file: File holding the bare password (a Secret key mounted as a file);
            ``None`` for password-less logins (trust, peer, client certificates).
        tls: Transport security mode.
        ca_file: CA bundle used with ``verify-full`` (system store when ``None``).
    """

    host: str
    port: int
    database: str
    user: str
    password_file: Path | None
    tls: TLSMode = TLSMode.DISABLE
    ca_file: Path | None = None

    def for_database(self, name: str) -> Connection:
        """Return the same login pointed at another database (a scratch or restore target)."""
        return dataclasses.replace(self, database=name)

    def describe(self) -> str:
        """A password-free label for messages: ``user@host:port/database``."""
        return f"{self.user}@{self.host}:{self.port}/{self.database}"


def read_password(conn: Connection) -> str | None:
    """Read the bare password from ``conn.password_file`` (one trailing newline is dropped).

    Raises:
        ConfigError: The file is missing or unreadable; the message names the file, not its content.
    """
    if conn.password_file is None:
        return None
    try:
        text = conn.password_file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"database password file {conn.password_file} cannot be read ({exc.strerror}); "
            "check the Secret reference and that it is mounted",
            reason="PasswordFileUnreadable",
        ) from exc
    return text.removesuffix("\n").removesuffix("\r")


def refuse_non_empty_target(conn: Connection, *, empty: bool, replaces: str) -> None:
    """Refuse a restore into ``conn`` unless it is empty: a restore never overwrites unasked.

    Raises:
        ConfigError: The target holds objects; the message names the overwrite switch.
    """
    if not empty:
        raise ConfigError(
            f"restore target {conn.describe()} is not empty; restore into an empty database "
            f"or set allowOverwrite (allow_overwrite=True) to replace its {replaces}",
            reason="RestoreTargetNotEmpty",
        )


class Dump(Protocol):
    """A running dump: read ``stdout`` to EOF, then call :meth:`finish`.

    Reading ``stdout`` hashes each table's data as it passes; ``fingerprints`` (after EOF)
    join those hashes with the row counts of the dump's snapshot (the same snapshot on
    PostgreSQL; see docs/engines.md for MariaDB). Reading it may wait for the counts.
    """

    @property
    def stdout(self) -> BinaryIO:
        """The dump bytes as the tool writes them."""
        ...

    @property
    def fingerprints(self) -> tuple[TableFingerprint, ...]:
        """Per-table row counts and stream hashes of the dumped snapshot (after EOF)."""
        ...

    def finish(self) -> None:
        """Wait for the tool; raise ``EngineError`` unless it succeeded with complete output."""
        ...


class Engine(Protocol):
    """One database family: dump, restore, fingerprints and scratch-database housekeeping."""

    name: str

    def dump(self, conn: Connection) -> contextlib.AbstractContextManager[Dump]:
        """Start a consistent dump; leaving the context stops the tool and frees the snapshot."""
        ...

    def restore(self, conn: Connection, source: BinaryIO, *, allow_overwrite: bool = False) -> None:
        """Restore a dump read from ``source`` into ``conn.database``.

        Raises:
            ConfigError: The target holds data and ``allow_overwrite`` is false.
            EngineError: The restore tool failed.
        """
        ...

    def fingerprints(self, conn: Connection) -> tuple[TableFingerprint, ...]:
        """Fingerprint ``conn.database`` as it is now: the engine's own dump, drained."""
        ...

    def is_empty(self, conn: Connection) -> bool:
        """Whether ``conn.database`` holds no user tables, views or routines."""
        ...

    def create_database(self, conn: Connection, name: str) -> None:
        """Create the empty database ``name`` on the server ``conn`` points at."""
        ...

    def drop_database(self, conn: Connection, name: str) -> None:
        """Drop the database ``name`` if it exists (scratch verification databases)."""
        ...

    def tool_versions(self) -> dict[str, str]:
        """Client tool versions, recorded in the backup manifest."""
        ...

    def server_version(self, conn: Connection) -> str:
        """The server's version string."""
        ...

    def query_value(self, conn: Connection, statement: str) -> str | None:
        """Run ``statement`` in a read-only transaction; return row 1, column 1 as text.

        Raises:
            EngineError: The statement failed or tried to write; the message carries the
                server's error code only, never its text (which may quote row data).
        """
        ...
