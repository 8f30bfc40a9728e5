"""In-memory stand-ins for an engine and a job, so the agent's logic runs without processes."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from strongroom.agent.config import AgentJob, parse_job
from strongroom.api.fingerprints import TableFingerprint
from strongroom.crypto.keyring import KeyRing, KeyRingWrapper
from strongroom.crypto.wrapping import KeyBinding
from strongroom.engines import Connection
from strongroom.errors import ConfigError, EngineError
from strongroom.storage.fake import InMemoryObjectStore

IDENTITY = {"namespace": "shop", "policy": "orders-db", "backup": "orders-db-20260101-0200"}


@dataclass
class FakeDump:
    payload: bytes
    fail: bool = False
    stdout: BinaryIO = field(init=False)

    def __post_init__(self) -> None:
        self.stdout = io.BytesIO(self.payload)

    @property
    def fingerprints(self) -> tuple[TableFingerprint, ...]:
        return fingerprints_of(self.payload)

    def finish(self) -> None:
        if self.fail:
            raise EngineError("pg_dump exited with 1: connection lost")


def fingerprints_of(payload: bytes) -> tuple[TableFingerprint, ...]:
    return (
        TableFingerprint(
            "public.orders", payload.count(b"\n"), hashlib.sha256(payload).hexdigest()
        ),
    )


@dataclass
class FakeEngine:
    """Dumps ``payload``; restores into ``databases[name]``."""

    payload: bytes = b""
    fail_dump: bool = False
    databases: dict[str, bytes] = field(default_factory=dict)
    name: str = "postgresql"
    #: Answers to ``query_value`` by statement; a statement not listed fails like a bad query.
    answers: dict[str, str | None] = field(default_factory=dict)
    #: Calls to ``server_version`` that fail before the server answers (a starting sidecar).
    down_for: int = 0

    @contextmanager
    def dump(self, conn: Connection) -> Iterator[FakeDump]:
        del conn
        yield FakeDump(self.payload, fail=self.fail_dump)

    def restore(self, conn: Connection, source: BinaryIO, *, allow_overwrite: bool = False) -> None:
        if self.databases.get(conn.database) and not allow_overwrite:
            raise ConfigError("target not empty")
        out = bytearray()
        while chunk := source.read(65536):
            out += chunk
        self.databases[conn.database] = bytes(out)

    def fingerprints(self, conn: Connection) -> tuple[TableFingerprint, ...]:
        return fingerprints_of(self.databases.get(conn.database, b""))

    def is_empty(self, conn: Connection) -> bool:
        return not self.databases.get(conn.database)

    def create_database(self, conn: Connection, name: str) -> None:
        del conn
        self.databases[name] = b""

    def drop_database(self, conn: Connection, name: str) -> None:
        del conn
        self.databases.pop(name, None)

    def tool_versions(self) -> dict[str, str]:
        return {"pg_dump": "16.4"}

    def server_version(self, conn: Connection) -> str:
        if self.down_for > 0:
            self.down_for -= 1
            raise EngineError(f"cannot connect to {conn.describe()}", reason="DatabaseUnavailable")
        return "16.4"

    def query_value(self, conn: Connection, statement: str) -> str | None:
        if statement not in self.answers:
            raise EngineError(f"query failed on {conn.describe()} with SQLSTATE 42P01")
        return self.answers[statement]


@dataclass
class World:
    engine: FakeEngine
    store: InMemoryObjectStore
    dek: bytes
    tmp: Path

    def job(self, role: str, **extra: Any) -> AgentJob:
        db = {"host": "db", "port": 5432, "database": "orders", "user": "u", "tls": "disable"}
        raw: dict[str, Any] = {
            "role": role,
            "engine": "postgresql",
            "storage": {"bucket": "backups", "prefix": "sr"},
            "identity": IDENTITY,
            "dekFile": str(self.tmp / "dek"),
            "resultFile": str(self.tmp / "result.json"),
        }
        if role == "backup":
            ring = KeyRing.generate("main", datetime.now(UTC))
            binding = KeyBinding(**IDENTITY)
            raw["database"] = db
            raw["wrappedKeys"] = [KeyRingWrapper(ring).wrap(self.dek, binding).to_dict()]
        if role == "verify":
            raw["verify"] = {
                "level": "equivalence",
                "scratch": {"connection": db, "database": "scratch_1"},
            }
        if role == "restore":
            raw["restore"] = {"target": {**db, "database": "restored"}}
        raw.update(extra)
        return parse_job(raw)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    engine = FakeEngine(payload=b"".join(b"order %d,42.00\n" % i for i in range(20000)))
    for module in ("backup", "verify", "restore"):
        monkeypatch.setattr(f"strongroom.agent.{module}.engine_for", lambda _name: engine)
    dek = bytes(range(32))
    (tmp_path / "dek").write_bytes(dek)
    return World(engine=engine, store=InMemoryObjectStore("backups"), dek=dek, tmp=tmp_path)
