"""The real :class:`~strongroom.kube.base.KubeClient` on plain ``aiohttp``.

Every call is a REST path with a JSON body, so a generated client library buys nothing here and
cost 37.6 MiB of the operator's memory just to import (issue #4).
:mod:`strongroom.kube.credentials` finds the server and the identity; this module sends the
requests through one :class:`aiohttp.ClientSession` whose connector holds at most
``connections`` connections. API errors become :class:`~strongroom.errors.KubeError` with the
HTTP status and a capped message made from the API server's ``Status.message`` — never a
request body, so a Secret we were writing can never reach a log line or an Event.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import aiohttp

from strongroom.errors import KubeError
from strongroom.kube import credentials
from strongroom.kube.base import (
    EVENTS,
    AlreadyExists,
    Body,
    Created,
    CreateOutcome,
    EventSpec,
    Kind,
    Propagation,
    capped,
)

_log = logging.getLogger(__name__)
_MERGE = "application/merge-patch+json"
_UNAUTHORIZED = 401
_NOT_FOUND = 404
_CONFLICT = 409
_FIELD_MANAGER = "strongroom"
#: Connections (so requests in flight) to the API server. The library's default of 100 let a
#: slot that is due for a whole fleet open 100 TLS connections (256 KiB of buffer each) and
#: decode 100 answers at once (memray: 86 MiB of the operator's peak heap at 1,000 policies).
#: Sixteen keep a small control plane's API server as busy as it can be.
DEFAULT_CONNECTIONS = 16
#: No single call of ours (one object, or one list) may hang forever on a dead connection.
_TIMEOUT = aiohttp.ClientTimeout(total=300, sock_connect=30)


class _Request(NamedTuple):
    """One API request as sent (again, once, after a 401 with renewed credentials)."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    data: bytes | None


def _message(status: int, reason: str, raw: bytes) -> str:
    """The API server's own sentence (``Status.message``), capped; never our request body."""
    try:
        answer = json.loads(raw or b"{}")
        text = str(answer.get("message") or reason or status)
    except (ValueError, TypeError, AttributeError):
        text = str(reason or status)
    return capped(text)


class RealKube:
    """A :class:`KubeClient` talking to an API server."""

    def __init__(
        self, creds: credentials.Credentials, first: credentials.Auth, *, connections: int
    ) -> None:
        self._creds = creds
        # Kopf's own session does not read proxy variables either (its trust_env defaults to
        # False): both clients of the operator reach the API server the same, direct, way.
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=connections, ssl=first.tls),
            timeout=_TIMEOUT,
            trust_env=False,
        )

    @classmethod
    async def connect(
        cls, kubeconfig: Path | None = None, *, connections: int = DEFAULT_CONNECTIONS
    ) -> RealKube:
        """Load credentials (``kubeconfig``/``KUBECONFIG``, else in-cluster) and connect.

        At most ``connections`` requests are in flight at once; the others wait for a free
        connection (see :data:`DEFAULT_CONNECTIONS`).

        Raises:
            ConfigError: No credentials, or wrong ones; the message names the field and the fix.
        """
        return await cls.open(credentials.load(kubeconfig), connections=connections)

    @classmethod
    async def open(
        cls, creds: credentials.Credentials, *, connections: int = DEFAULT_CONNECTIONS
    ) -> RealKube:
        """Connect with ``creds`` already found (tests point them at their own files)."""
        first = await creds.current()  # a broken token file or exec plugin fails here, early
        _log.debug("API server %s, credentials from %s", creds.server, creds.origin)
        return cls(creds, first, connections=connections)

    async def _send(self, auth: credentials.Auth, request: _Request) -> tuple[int, str, bytes]:
        """One request with ``auth``; its own TLS context so a new client cert gets new sockets."""
        async with self._session.request(
            request.method,
            self._creds.server + request.path,
            params=request.query,
            data=request.data,
            headers=request.headers | dict(auth.headers),
            ssl=auth.tls,
            server_hostname=self._creds.server_hostname,
        ) as response:
            return response.status, response.reason or "", await response.read()

    async def _call(
        self,
        what: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: list[tuple[str, str]] | None = None,
        content_type: str = "application/json",
    ) -> Any:
        request = _Request(
            method,
            path,
            query or [],
            {"Accept": "application/json", "Content-Type": content_type},
            None if body is None else json.dumps(body, separators=(",", ":")).encode(),
        )
        try:
            auth = await self._creds.current()
            status, reason, raw = await self._send(auth, request)
            if status == _UNAUTHORIZED and (renewed := await self._creds.renew(auth)):
                status, reason, raw = await self._send(renewed, request)
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise KubeError(
                f"{what}: the API server is unreachable ({type(exc).__name__})"
            ) from None
        if status >= 300:  # noqa: PLR2004 - HTTP: every non-2xx is an error here
            raise KubeError(f"{what}: {status} {_message(status, reason, raw)}", status=status)
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            raise KubeError(f"{what}: {status} but the answer is not JSON") from None

    async def get(self, kind: Kind, namespace: str, name: str) -> Body | None:
        """Return the object, or ``None`` when it does not exist."""
        try:
            found: Body = await self._call(
                f"get {kind.kind} {namespace}/{name}", "GET", kind.path(namespace, name)
            )
        except KubeError as exc:
            if exc.status == _NOT_FOUND:
                return None
            raise
        return found

    async def list(self, kind: Kind, namespace: str, *, selector: str | None = None) -> list[Body]:
        """Return the objects of ``kind`` in ``namespace`` matching ``selector``."""
        query = [("labelSelector", selector)] if selector else []
        answer = await self._call(
            f"list {kind.plural} in {namespace}", "GET", kind.path(namespace), query=query
        )
        items: list[Body] = answer.get("items") or []
        return items

    async def create(self, kind: Kind, namespace: str, body: Body) -> CreateOutcome:
        """Create ``body``; an existing object of that name is :class:`AlreadyExists`."""
        name = body.get("metadata", {}).get("name", "")
        try:
            made: Body = await self._call(
                f"create {kind.kind} {namespace}/{name}",
                "POST",
                kind.path(namespace),
                body=body,
                query=[("fieldManager", _FIELD_MANAGER)],
            )
        except KubeError as exc:
            if exc.status != _CONFLICT:
                raise
            return AlreadyExists(await self.get(kind, namespace, name))
        return Created(made)

    async def patch(
        self, kind: Kind, namespace: str, name: str, patch: Body, *, status: bool = False
    ) -> Body | None:
        """Merge-patch the object or its status; ``None`` if it is gone."""
        try:
            patched: Body = await self._call(
                f"patch {kind.kind} {namespace}/{name}{'/status' if status else ''}",
                "PATCH",
                kind.path(namespace, name, status=status),
                body=patch,
                query=[("fieldManager", _FIELD_MANAGER)],
                content_type=_MERGE,
            )
        except KubeError as exc:
            if exc.status == _NOT_FOUND:
                return None
            raise
        return patched

    async def delete(
        self,
        kind: Kind,
        namespace: str,
        name: str,
        *,
        propagation: Propagation = "Background",
    ) -> bool:
        """Delete the object; ``False`` if it was already gone."""
        try:
            await self._call(
                f"delete {kind.kind} {namespace}/{name}",
                "DELETE",
                kind.path(namespace, name),
                body={
                    "kind": "DeleteOptions",
                    "apiVersion": "v1",
                    "propagationPolicy": propagation,
                },
            )
        except KubeError as exc:
            if exc.status == _NOT_FOUND:
                return False
            raise
        return True

    async def post_event(self, namespace: str, event: EventSpec) -> None:
        """Record a core/v1 Event; a failure is logged, never raised (Events are best effort)."""
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": f"{event.involved.get('name', 'strongroom')}."},
            "involvedObject": dict(event.involved),
            "type": event.type,
            "reason": event.reason,
            "message": capped(event.message, 1024),
            "source": {"component": "strongroom"},
            "reportingComponent": "strongroom.dev/operator",
            "reportingInstance": "strongroom",
            "firstTimestamp": now,
            "lastTimestamp": now,
            "eventTime": None,
            "count": 1,
        }
        try:
            await self._call(
                f"post Event {event.reason}", "POST", EVENTS.path(namespace), body=body
            )
        except KubeError as exc:
            _log.warning("event %s not recorded: %s", event.reason, exc)

    async def close(self) -> None:
        """Close the HTTP session."""
        await self._session.close()
