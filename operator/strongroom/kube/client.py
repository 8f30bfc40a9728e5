"""The real :class:`~strongroom.kube.base.KubeClient` on ``kubernetes_asyncio``.

The only module that imports the client library. It speaks plain REST paths through the
library's ``ApiClient`` (authentication, TLS, kubeconfig or in-cluster config), so every kind
shares one code path. API errors become :class:`~strongroom.errors.KubeError` with the HTTP
status and a capped message made from the API server's ``Status.message`` — never a request
body, so a Secret we were writing can never reach a log line or an Event.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from kubernetes_asyncio import client as k8s
from kubernetes_asyncio import config as k8s_config
from kubernetes_asyncio.client.exceptions import ApiException

from strongroom.errors import KubeError
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
_NOT_FOUND = 404
_CONFLICT = 409
_FIELD_MANAGER = "strongroom"
#: Connections (so requests in flight) to the API server. The library's default of 100 let a
#: slot that is due for a whole fleet open 100 TLS connections (256 KiB of buffer each) and
#: decode 100 answers at once (memray: 86 MiB of the operator's peak heap at 1,000 policies).
#: Sixteen keep a small control plane's API server as busy as it can be.
DEFAULT_CONNECTIONS = 16


def _message(exc: ApiException) -> str:
    """The API server's own sentence (``Status.message``), capped; never our request body."""
    try:
        status = json.loads(exc.body or "{}")
        text = str(status.get("message") or exc.reason or "")
    except (ValueError, TypeError, AttributeError):
        text = str(exc.reason or "")
    return capped(text)


class RealKube:
    """A :class:`KubeClient` talking to an API server."""

    def __init__(self, api: k8s.ApiClient) -> None:
        self._api = api

    @classmethod
    async def connect(
        cls, kubeconfig: Path | None = None, *, connections: int = DEFAULT_CONNECTIONS
    ) -> RealKube:
        """Load credentials (in-cluster first, then ``kubeconfig``/``KUBECONFIG``) and connect.

        At most ``connections`` requests are in flight at once; the others wait for a free
        connection (see :data:`DEFAULT_CONNECTIONS`).
        """
        configuration = k8s.Configuration()
        configuration.connection_pool_maxsize = connections
        try:
            k8s_config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        except k8s_config.ConfigException:
            await k8s_config.load_kube_config(
                config_file=str(kubeconfig) if kubeconfig else None,
                client_configuration=configuration,
            )
        return cls(k8s.ApiClient(configuration))

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
        try:
            return await self._api.call_api(
                path,
                method,
                query_params=query or [],
                header_params={"Accept": "application/json", "Content-Type": content_type},
                body=body,
                response_types_map={200: "object", 201: "object", 202: "object"},
                auth_settings=["BearerToken"],
                _return_http_data_only=True,
            )
        except ApiException as exc:
            raise KubeError(f"{what}: {exc.status} {_message(exc)}", status=exc.status) from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise KubeError(
                f"{what}: the API server is unreachable ({type(exc).__name__})"
            ) from None

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
        await self._api.close()
