"""A small synchronous Kubernetes REST client on the standard library, for test support code.

The process kubelet and the cluster harness only need GET/POST/PATCH/DELETE and watches as the
admin, so a few dozen lines of ``http.client`` replace a whole client library (and its
threads, pools and warnings). Watches stream newline-delimited JSON events; callers re-list on
``410 Gone`` and reconnect on any disconnect.
"""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import yaml


class ApiError(Exception):
    """The API server answered with an error status."""

    def __init__(self, status: int, method: str, path: str, body: str) -> None:
        super().__init__(f"{method} {path} -> {status}: {body[:500]}")
        self.status = status


@dataclass(frozen=True)
class KubeAPI:
    """Connection settings for one API server and one client identity."""

    server: str
    ca_file: Path
    cert_file: Path | None = None
    key_file: Path | None = None
    token: str | None = None

    @classmethod
    def from_kubeconfig(cls, path: Path) -> KubeAPI:
        """Read the first cluster and user of a kubeconfig that references files or a token."""
        config: dict[str, Any] = yaml.safe_load(path.read_text())
        cluster = config["clusters"][0]["cluster"]
        user = config["users"][0]["user"]
        cert, key = user.get("client-certificate"), user.get("client-key")
        return cls(
            server=cluster["server"],
            ca_file=Path(cluster["certificate-authority"]),
            cert_file=Path(cert) if cert else None,
            key_file=Path(key) if key else None,
            token=user.get("token"),
        )

    def _connection(self, timeout: float | None) -> http.client.HTTPSConnection:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        if self.cert_file and self.key_file:
            context.load_cert_chain(str(self.cert_file), str(self.key_file))
        url = urlsplit(self.server)
        return http.client.HTTPSConnection(
            url.hostname or "127.0.0.1", url.port or 443, context=context, timeout=timeout
        )

    def _headers(self, content_type: str) -> dict[str, str]:
        headers = {"Accept": "application/json", "Content-Type": content_type}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, str] | None = None,
        content_type: str = "application/json",
        timeout: float = 30,
    ) -> Any:
        """Send one request; return the decoded JSON body or raise :class:`ApiError`."""
        full = f"{path}?{urlencode(query)}" if query else path
        conn = self._connection(timeout)
        try:
            payload = None if body is None else json.dumps(body).encode()
            conn.request(method, full, body=payload, headers=self._headers(content_type))
            with conn.getresponse() as response:
                data = response.read().decode()
        finally:
            conn.close()
        if response.status >= 300:
            raise ApiError(response.status, method, full, data)
        return json.loads(data) if data else None

    def status(self, path: str, *, timeout: float = 5) -> int:
        """The HTTP status of GET ``path`` (e.g. ``/readyz``), the body discarded."""
        conn = self._connection(timeout)
        try:
            conn.request("GET", path, headers=self._headers("application/json"))
            with conn.getresponse() as response:
                response.read()
                return response.status
        finally:
            conn.close()

    def get(self, path: str, **query: str) -> Any:
        """GET ``path``."""
        return self.request("GET", path, query=query or None)

    def merge_patch(self, path: str, patch: Any) -> Any:
        """Apply a JSON merge patch (lists are replaced whole)."""
        return self.request("PATCH", path, patch, content_type="application/merge-patch+json")

    def watch(
        self, path: str, resource_version: str, *, timeout_seconds: int = 240
    ) -> Iterator[Any]:
        """Yield watch events from ``resource_version`` until the server ends the stream."""
        query = {
            "watch": "1",
            "resourceVersion": resource_version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": str(timeout_seconds),
        }
        conn = self._connection(timeout_seconds + 30)
        try:
            conn.request(
                "GET", f"{path}?{urlencode(query)}", headers=self._headers("application/json")
            )
            with conn.getresponse() as response:
                if response.status >= 300:
                    raise ApiError(response.status, "WATCH", path, response.read().decode())
                while line := response.readline():
                    if line.strip():
                        yield json.loads(line)
        finally:
            conn.close()
