"""Story: the operator is killed in the middle of a re-wrap; on restart it converges.

Given a policy with three backups wrapped by key version 1, whose bucket the operator reaches
through a pass-through proxy,
when a rotation is asked for and the operator is SIGKILLed while its second write of a
manifest (the "drop the old wrap" step) is held by the proxy — the first write, holding both
the old and the new wrap, went through —
then that manifest opens with v1 alone and with v2 alone (nothing is unopenable), and after a
restart the operator finishes: every manifest is wrapped by v2 only, every Backup says so,
and v1 retires.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from key_steps import alone, given_ledger_policy, key_versions, keys, ring, state
from steps import (
    backups_of,
    s3_get,
    s3_keys,
    wait_until,
    when_backup_now,
)
from tests.support.cluster import LocalCluster
from tests.support.operator import OperatorProcess
from tests.support.plugin_databases import StoreDatabase
from tests.support.s3 import S3Server

from strongroom.crypto.keyring import KeyRingWrapper, KeyState
from strongroom.crypto.manifest import Manifest, open_manifest


class HoldingProxy(ThreadingHTTPServer):
    """Forwards every S3 request to the real endpoint, but, once armed, holds the second PUT
    of any manifest (never forwarded) and says so: the moment between "add" and "drop"."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream = urlsplit(upstream).netloc
        self.armed = False
        self.puts: Counter[str] = Counter()
        self.holding = threading.Event()
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Forward(BaseHTTPRequestHandler):
    server: HoldingProxy

    def _forward(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = urlsplit(self.path).path
        if self.server.armed and self.command == "PUT" and path.endswith("/manifest.json"):
            self.server.puts[path] += 1
            if self.server.puts[path] == 2:
                self.server.holding.set()
                self.server.release.wait(60)
                self.close_connection = True
                return
        upstream = http.client.HTTPConnection(self.server.upstream, timeout=30)
        upstream.request(self.command, self.path, body=body, headers=dict(self.headers.items()))
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in {"transfer-encoding", "connection", "content-length"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        upstream.close()

    def do_GET(self) -> None:
        """Forward GET."""
        self._forward()

    def do_PUT(self) -> None:
        """Forward PUT."""
        self._forward()

    def do_HEAD(self) -> None:
        """Forward HEAD."""
        self._forward()

    def do_POST(self) -> None:
        """Forward POST."""
        self._forward()

    def do_DELETE(self) -> None:
        """Forward DELETE."""
        self._forward()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Quiet."""


@pytest.fixture
def proxy(s3_server: S3Server) -> Iterator[HoldingProxy]:
    """A holding proxy in front of the test's S3 endpoint."""
    server = HoldingProxy(s3_server.endpoint_url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


def test_a_kill_between_add_and_drop_leaves_every_manifest_openable_and_converges(
    *,
    cluster: LocalCluster,
    namespace: str,
    operator: OperatorProcess,
    pg_store: StoreDatabase,
    s3_server: S3Server,
    bucket: str,
    proxy: HoldingProxy,
) -> None:
    # Given three backups wrapped by v1
    given_ledger_policy(cluster, namespace, pg_store, bucket=bucket, endpoint=proxy.url)
    for _ in range(3):
        when_backup_now(cluster, namespace, "ledger")
        time.sleep(1)  # backup-now names Backups by the second
    assert {b["status"]["keyVersion"] for b in backups_of(cluster, namespace, "ledger")} == {1}

    # When a rotation is asked for and the operator dies while dropping the old wrap
    proxy.armed = True
    keys(cluster, namespace, "rotate", "ledger")
    assert proxy.holding.wait(90), "the operator never came to drop an old wrap"
    operator.kill()
    proxy.armed = False
    proxy.release.set()

    # Then the Secret has v2, some Backup still says v1, and every manifest opens
    ring_now = ring(cluster, namespace)
    assert ring_now.primary().version == 2
    versions = [b["status"]["keyVersion"] for b in backups_of(cluster, namespace, "ledger")]
    assert 1 in versions, versions
    folder = f"e2e/{namespace}/ledger/"
    stored = [
        Manifest.from_json(s3_get(s3_server, bucket, key))
        for key in s3_keys(s3_server, bucket, folder)
        if key.endswith("manifest.json")
    ]
    both = [m for m in stored if len(m.wrapped_keys) == 2]
    assert both, [[w.label for w in m.wrapped_keys] for m in stored]
    for manifest in both:
        assert open_manifest(manifest, [alone(ring_now, 1)]) == open_manifest(
            manifest, [alone(ring_now, 2)]
        )
    for manifest in stored:
        open_manifest(manifest, [KeyRingWrapper(ring_now)])

    # When the operator starts again, it finishes the re-wrap and retires v1
    operator.start()
    wait_until(
        lambda: key_versions(cluster, namespace) == {2},
        timeout=90, what="every Backup re-wrapped to v2",
    )  # fmt: skip
    wait_until(
        lambda: state(cluster, namespace, 1) is KeyState.RETIRED,
        timeout=90, what="v1 retired",
    )  # fmt: skip
    for key in s3_keys(s3_server, bucket, folder):
        if key.endswith("manifest.json"):
            manifest = Manifest.from_json(s3_get(s3_server, bucket, key))
            assert [w.key_version for w in manifest.wrapped_keys] == ["2"]
            open_manifest(manifest, [alone(ring_now, 2)])
