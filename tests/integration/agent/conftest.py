"""A harness that runs the real ``strongroom`` CLI as a child process, as a Job pod would.

Each run gets a job file, the per-Job data key file, the database password file (the fixture's
own) and an S3 credentials file; the child's environment carries no AWS credentials, so the
agent can only succeed by reading the files. The child's own peak RSS is measured by GNU
time (see tests/support/peak_rss.py for why ``wait4`` is not enough). Every byte the agent
writes (stdout, stderr, result file) is kept, so the secret-scan test can read all of it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.support.peak_rss import read_peak_rss, with_peak_rss
from tests.support.s3 import ACCESS_KEY, REGION, SECRET_KEY, S3Server

from strongroom.agent.report import AgentResult
from strongroom.crypto.keyring import KeyRing, KeyRingWrapper
from strongroom.crypto.segments import new_data_key
from strongroom.crypto.wrapping import KeyBinding
from strongroom.engines import Connection, Engine, engine_for

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class Run:
    """One finished child process."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    peak_rss_kib: int
    result: AgentResult | None = None


@dataclass
class Harness:
    """Writes job files and runs ``strongroom`` for one test."""

    tmp: Path
    s3: S3Server
    bucket: str
    endpoint: str
    ring: KeyRing = field(default_factory=lambda: KeyRing.generate("escrow", datetime.now(UTC)))
    runs: list[Run] = field(default_factory=list)
    deks: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.credentials_file = self.tmp / "s3-credentials"
        self.credentials_file.write_text(
            f"[default]\naws_access_key_id = {ACCESS_KEY}\naws_secret_access_key = {SECRET_KEY}\n"
        )
        self.keyring_export = self.tmp / "keyring-export.json"
        self.keyring_export.write_bytes(self.ring.to_export_json())

    # -- job files -------------------------------------------------------------------------
    def storage(self, **overrides: Any) -> dict[str, Any]:
        return {
            "bucket": self.bucket,
            "prefix": "backups",
            "endpoint": self.endpoint,
            "region": REGION,
            "credentialsFile": str(self.credentials_file),
            "forcePathStyle": True,
            "maxAttempts": 2,
            "partAttempts": 2,
            "retryBaseSeconds": 0.1,
            **overrides,
        }

    def dek_file(self, backup: str) -> Path:
        if backup not in self.deks:
            self.deks[backup] = new_data_key()
        path = self.tmp / f"dek-{backup}"
        path.write_bytes(self.deks[backup])
        return path

    def job(
        self,
        role: str,
        *,
        engine: str,
        backup: str,
        source: Connection | None = None,
        **sections: Any,
    ) -> Path:
        identity = {"namespace": "shop", "policy": "orders-db", "backup": backup}
        raw: dict[str, Any] = {
            "role": role,
            "engine": engine,
            "storage": self.storage(),
            "identity": identity,
            "dekFile": str(self.dek_file(backup)),
            "resultFile": str(self.tmp / f"result-{role}-{uuid.uuid4().hex[:6]}.json"),
        }
        if source is not None:
            raw["database"] = connection_json(source)
        if role == "backup":
            wrap = KeyRingWrapper(self.ring).wrap(self.deks[backup], KeyBinding(**identity))
            raw["wrappedKeys"] = [wrap.to_dict()]
        raw.update(sections)
        path = self.tmp / f"job-{role}-{uuid.uuid4().hex[:6]}.json"
        path.write_text(json.dumps(raw))
        return path

    # -- processes -------------------------------------------------------------------------
    def run(self, *args: str, env: dict[str, str] | None = None) -> Run:
        argv = [sys.executable, "-m", "strongroom", *args]
        out, err = (
            self.tmp / f"out-{uuid.uuid4().hex[:6]}",
            self.tmp / f"err-{uuid.uuid4().hex[:6]}",
        )
        rss = self.tmp / f"rss-{uuid.uuid4().hex[:6]}"
        with out.open("wb") as stdout, err.open("wb") as stderr:
            proc = subprocess.Popen(
                with_peak_rss(argv, rss),
                stdout=stdout,
                stderr=stderr,
                env=env or agent_env(),
                cwd=ROOT,
            )
            try:
                _, status, _usage = os.wait4(proc.pid, 0)
            except BaseException:
                proc.kill()
                raise
            proc.returncode = os.waitstatus_to_exitcode(status)
        run = Run(
            argv=argv,
            returncode=proc.returncode,
            stdout=out.read_text(),
            stderr=err.read_text(),
            peak_rss_kib=read_peak_rss(rss),
        )
        lines = run.stdout.strip().splitlines()
        if lines and lines[-1].startswith("{") and '"outcome"' in lines[-1]:
            run.result = AgentResult.model_validate_json(lines[-1])
        self.runs.append(run)
        return run

    def agent(self, role: str, job: Path) -> Run:
        return self.run("agent", role, "--job", str(job))

    def backed_up(self, backup: str, store: Store) -> tuple[str, str]:
        """Back ``store`` up as ``backup`` (it must succeed); return its (data, manifest) keys.

        The given step of every story that starts from a stored backup.
        """
        job = self.job("backup", engine=store.engine_name, backup=backup, source=store.source)
        run = self.agent("backup", job)
        assert run.returncode == 0, run.stderr
        return self.keys(backup)

    def person_env(self) -> dict[str, str]:
        """A person's shell: AWS credentials in the usual environment variables."""
        return person_env(self.s3)

    @staticmethod
    def connection(conn: Connection, *, database: str | None = None) -> dict[str, Any]:
        """The job-file form of ``conn`` (optionally another database on the same server)."""
        return connection_json(conn, database=database)

    def keys(self, backup: str) -> tuple[str, str]:
        folder = f"backups/shop/orders-db/{backup}"
        return f"{folder}/data.sr", f"{folder}/manifest.json"

    def client(self) -> Any:
        return self.s3.client()

    def get(self, key: str) -> bytes:
        return bytes(self.client().get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def put(self, key: str, data: bytes) -> None:
        self.client().put_object(Bucket=self.bucket, Key=key, Body=data)

    def object_keys(self) -> list[str]:
        listing = self.client().list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))

    def pending_uploads(self) -> list[str]:
        listing = self.client().list_multipart_uploads(Bucket=self.bucket)
        return [item["Key"] for item in listing.get("Uploads", [])]


def connection_json(conn: Connection, *, database: str | None = None) -> dict[str, Any]:
    return {
        "host": conn.host,
        "port": conn.port,
        "database": database or conn.database,
        "user": conn.user,
        "passwordFile": str(conn.password_file),
        "tls": "disable",
    }


def agent_env() -> dict[str, str]:
    """The child's environment: no AWS credentials, so only the credentials file can work."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "operator"), str(ROOT)])
    return env


def person_env(s3: S3Server) -> dict[str, str]:
    """A person's shell for ``strongroom decrypt``: the usual AWS environment variables."""
    return {**s3.client_env(), "PYTHONPATH": agent_env()["PYTHONPATH"]}


@pytest.fixture
def harness(tmp_path: Path, s3_server: S3Server, bucket: str) -> Harness:
    return Harness(tmp=tmp_path, s3=s3_server, bucket=bucket, endpoint=s3_server.endpoint_url)


@dataclass(frozen=True)
class Store:
    """A source database with data, an empty target, and the engine for both."""

    engine_name: str
    engine: Engine
    source: Connection
    empty: Connection


@pytest.fixture(params=["postgresql", "mysql"])
def store(request: pytest.FixtureRequest) -> Store:
    """The generated store on each engine, plus an empty database on the same server."""
    if request.param == "postgresql":
        full, empty = (
            request.getfixturevalue("pg_store"),
            request.getfixturevalue("empty_pg_database"),
        )
    else:
        full = request.getfixturevalue("maria_store")
        empty = request.getfixturevalue("empty_maria_database")
    return Store(request.param, engine_for(request.param), full.connection, empty.connection)


@pytest.fixture
def pg(request: pytest.FixtureRequest) -> Store:
    """The generated store on PostgreSQL only (fault stories that need one engine)."""
    full, empty = request.getfixturevalue("pg_store"), request.getfixturevalue("empty_pg_database")
    return Store("postgresql", engine_for("postgresql"), full.connection, empty.connection)


class FaultProxy:
    """An HTTP proxy in front of the S3 endpoint that injects the faults of RELIABILITY F3.

    ``cut_get_after`` resets the next whole-object GET after that many body bytes (once).
    ``fail_parts`` answers every UploadPart with ``503 Service Unavailable`` (other requests,
    such as the abort, pass). ``outage_on_part`` simulates the endpoint going away the moment
    the first part arrives: from then on every connection is closed without an answer, until
    ``outage_on_part`` and ``down`` are cleared.
    """

    def __init__(self, upstream: str) -> None:
        import http.server  # noqa: PLC0415
        import threading  # noqa: PLC0415

        self.upstream = urllib.parse.urlsplit(upstream)
        self.fail_parts = False
        self.outage_on_part = False
        self.down = False
        self.part_attempts = 0
        self.aborts = 0
        self.cut_get_after: int | None = None
        self.ranged_gets: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: object) -> None:
                return

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                is_part = self.command == "PUT" and "partNumber=" in self.path
                if is_part:
                    proxy.part_attempts += 1
                    if proxy.outage_on_part:
                        proxy.down = True
                if self.command == "DELETE" and "uploadId=" in self.path:
                    proxy.aborts += 1
                if proxy.down:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if is_part and proxy.fail_parts:
                    self._reply(503, {"Content-Type": "application/xml"}, SERVICE_UNAVAILABLE)
                    return
                self._forward(body)

            def _forward(self, body: bytes) -> None:
                conn = http.client.HTTPConnection(
                    proxy.upstream.hostname, proxy.upstream.port, timeout=30
                )
                headers = {k: v for k, v in self.headers.items() if k.lower() != "expect"}
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                keep = {
                    k: v
                    for k, v in resp.getheaders()
                    if k.lower() not in {"content-length", "transfer-encoding", "connection"}
                }
                if self.headers.get("Range"):
                    proxy.ranged_gets.append(self.headers["Range"])
                if self.command == "HEAD":
                    keep["Content-Length"] = resp.getheader("Content-Length") or "0"
                    self._reply(resp.status, keep, b"", head=True)
                elif (
                    self.command == "GET" and proxy.cut_get_after is not None and resp.status == 200
                ):
                    # Promise the whole body, send part of it, then reset the connection.
                    cut, proxy.cut_get_after = proxy.cut_get_after, None
                    self.send_response(resp.status)
                    for key, value in keep.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[:cut])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                else:
                    self._reply(resp.status, keep, data)

            def _reply(
                self, status: int, headers: dict[str, str], data: bytes, *, head: bool = False
            ) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if not head:
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if not head:
                    self.wfile.write(data)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle  # noqa: N815

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


SERVICE_UNAVAILABLE = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


@pytest.fixture
def fault_proxy(s3_server: S3Server) -> Iterator[FaultProxy]:
    proxy = FaultProxy(s3_server.endpoint_url)
    yield proxy
    proxy.close()
