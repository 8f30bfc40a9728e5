"""Job files and child processes for the agent, as a Job pod would run it.

Each backup gets its own name (a backup is written once), data key file and wrapped key; the
child's environment holds no AWS credentials, so S3 access goes through the credentials file
exactly as in a pod. Runs are :class:`~tests.bench.measure.Timed` with the parsed result.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.bench.measure import Timed, run_timed
from tests.bench.settings import ROOT
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY

from strongroom.agent.report import AgentResult
from strongroom.crypto.keyring import KeyRing, KeyRingWrapper
from strongroom.crypto.segments import new_data_key
from strongroom.crypto.wrapping import KeyBinding
from strongroom.engines.base import Connection

IDENTITY = {"namespace": "shop", "policy": "bench"}


@dataclass(frozen=True)
class AgentRun:
    """One agent child process and its result line."""

    timed: Timed
    result: AgentResult


def agent_env() -> dict[str, str]:
    """The child's environment: ours without AWS variables, with the project importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "operator"), str(ROOT)])
    return env


def connection_json(conn: Connection, *, database: str | None = None) -> dict[str, Any]:
    """A job file's connection section for ``conn``."""
    return {
        "host": conn.host,
        "port": conn.port,
        "database": database or conn.database,
        "user": conn.user,
        "passwordFile": str(conn.password_file),
        "tls": "disable",
    }


class AgentJobs:
    """Writes job files into ``tmp`` for one engine and bucket, and runs the agent on them."""

    def __init__(self, tmp: Path, *, engine: str, bucket: str, endpoint: str) -> None:
        self.tmp = tmp
        self.engine = engine
        self.bucket = bucket
        self.endpoint = endpoint
        self.ring = KeyRing.generate("bench", datetime.now(UTC))
        self.credentials = tmp / "s3-credentials"
        self.credentials.write_text(
            f"[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
        )
        self._deks: dict[str, Path] = {}

    def new_backup_name(self, label: str) -> str:
        """A fresh backup name (each backup is written once)."""
        return f"{self.engine}-{label}-{uuid.uuid4().hex[:8]}"

    def data_key(self, backup: str) -> str:
        """Object key of a backup's data object."""
        return f"bench/{IDENTITY['namespace']}/{IDENTITY['policy']}/{backup}/data.sr"

    def _dek_file(self, backup: str) -> Path:
        if backup not in self._deks:
            path = self.tmp / f"dek-{backup}"
            path.write_bytes(new_data_key())
            path.chmod(0o600)
            self._deks[backup] = path
        return self._deks[backup]

    def _write(self, role: str, backup: str, sections: dict[str, Any]) -> Path:
        identity = {**IDENTITY, "backup": backup}
        raw: dict[str, Any] = {
            "role": role,
            "engine": self.engine,
            "storage": {
                "bucket": self.bucket,
                "prefix": "bench",
                "endpoint": self.endpoint,
                "region": REGION,
                "credentialsFile": str(self.credentials),
                "forcePathStyle": True,
            },
            "identity": identity,
            "dekFile": str(self._dek_file(backup)),
            "resultFile": str(self.tmp / f"result-{role}-{backup}.json"),
            **sections,
        }
        if role == "backup":
            dek = self._dek_file(backup).read_bytes()
            wrap = KeyRingWrapper(self.ring).wrap(dek, KeyBinding(**identity))
            raw["wrappedKeys"] = [wrap.to_dict()]
        path = self.tmp / f"job-{role}-{backup}.json"
        path.write_text(json.dumps(raw))
        return path

    def backup_job(self, backup: str, source: Connection, *, expected_size: int) -> Path:
        """A backup job file for ``source``."""
        return self._write(
            "backup",
            backup,
            {"database": connection_json(source), "expectedSize": expected_size},
        )

    def verify_job(self, backup: str, scratch_server: Connection, scratch_database: str) -> Path:
        """An equivalence-level verify job restoring into ``scratch_database``."""
        scratch = {"connection": connection_json(scratch_server), "database": scratch_database}
        return self._write(
            "verify", backup, {"verify": {"level": "equivalence", "scratch": scratch}}
        )

    def run(self, argv: list[str]) -> AgentRun:
        """Run an agent child; it must succeed and print its result line."""
        timed = run_timed([sys.executable, *argv], env=agent_env(), cwd=ROOT)
        lines = [line for line in timed.stdout.strip().splitlines() if line.startswith("{")]
        if not lines:
            raise AssertionError(f"agent printed no result: {timed.stderr[-2000:]}")
        result = AgentResult.from_json(lines[-1])
        if result.outcome != "succeeded":
            raise AssertionError(f"agent run failed: {result.reason}: {result.message}")
        return AgentRun(timed=timed, result=result)

    def backup_to_s3(self, job: Path) -> AgentRun:
        """``strongroom agent backup`` into the S3 endpoint."""
        return self.run(["-m", "strongroom", "agent", "backup", "--job", str(job)])

    def backup_to_null(
        self, job: Path, *, profile: Path | None = None, skip_fingerprints: bool = False
    ) -> AgentRun:
        """The same backup into a discarding store (see :mod:`tests.bench.null_sink`)."""
        extra = ["--profile", str(profile)] if profile is not None else []
        if skip_fingerprints:
            extra.append("--skip-fingerprints")
        return self.run(["-m", "tests.bench.null_sink", "--job", str(job), *extra])

    def verify(self, job: Path) -> AgentRun:
        """``strongroom agent verify`` (integrity, restore into scratch, fingerprints)."""
        return self.run(["-m", "strongroom", "agent", "verify", "--job", str(job)])
