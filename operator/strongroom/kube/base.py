"""The ``KubeClient`` port: the few Kubernetes calls the controller makes, and their outcomes.

Why a port (httpx's ``BaseTransport`` is the model): controller tests run against the in-memory
:class:`~strongroom.kube.fake.FakeKube`, and only :mod:`strongroom.kube.client` does HTTP
(``aiohttp``). The port is resource-generic — a :class:`Kind` names the API path — so
Backups, Jobs, Secrets, ServiceAccounts and ConfigMaps share five verbs. ``create`` returns
:class:`AlreadyExists` as a value rather than raising: meeting our own deterministic name is the
normal case after a restart (RELIABILITY F1/F7), not an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from strongroom.api.common import GROUP, VERSION

#: Longest error text kept from an API answer (kopf's TEXT_ERROR_MAX_SIZE idea).
ERROR_TEXT_MAX: Final = 400

Body = dict[str, Any]


@dataclass(frozen=True)
class Kind:
    """One resource type: where it lives in the API."""

    group: str
    version: str
    plural: str
    kind: str

    @property
    def api_version(self) -> str:
        """Return ``group/version`` (or ``v1`` for the core group)."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str, name: str | None = None, *, status: bool = False) -> str:
        """Return the REST path of the collection or of one object (``/status`` optionally)."""
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        path = f"{root}/namespaces/{namespace}/{self.plural}"
        if name is not None:
            path += f"/{name}"
            if status:
                path += "/status"
        return path


BACKUP_POLICIES: Final = Kind(GROUP, VERSION, "backuppolicies", "BackupPolicy")
BACKUPS: Final = Kind(GROUP, VERSION, "backups", "Backup")
RESTORES: Final = Kind(GROUP, VERSION, "restores", "Restore")
JOBS: Final = Kind("batch", "v1", "jobs", "Job")
PODS: Final = Kind("", "v1", "pods", "Pod")
SECRETS: Final = Kind("", "v1", "secrets", "Secret")
CONFIG_MAPS: Final = Kind("", "v1", "configmaps", "ConfigMap")
SERVICE_ACCOUNTS: Final = Kind("", "v1", "serviceaccounts", "ServiceAccount")
EVENTS: Final = Kind("", "v1", "events", "Event")


@dataclass(frozen=True)
class Created:
    """``create`` made the object; ``body`` is what the API server returned."""

    body: Body


@dataclass(frozen=True)
class AlreadyExists:
    """``create`` met an object of the same name; ``body`` is that object (when readable)."""

    body: Body | None


CreateOutcome = Created | AlreadyExists
Propagation = Literal["Background", "Foreground", "Orphan"]


@dataclass(frozen=True)
class EventSpec:
    """A core/v1 Event about ``involved`` (apiVersion, kind, name, namespace, uid)."""

    involved: Mapping[str, str]
    type: Literal["Normal", "Warning"]
    reason: str
    message: str


class KubeClient(Protocol):
    """The Kubernetes calls Strongroom makes; every failure is a :class:`KubeError`."""

    async def get(self, kind: Kind, namespace: str, name: str) -> Body | None:
        """Return the object, or ``None`` when it does not exist."""
        ...

    async def list(self, kind: Kind, namespace: str, *, selector: str | None = None) -> list[Body]:
        """Return the objects of ``kind`` in ``namespace`` matching the label ``selector``."""
        ...

    async def create(self, kind: Kind, namespace: str, body: Body) -> CreateOutcome:
        """Create ``body``; an existing object of that name is :class:`AlreadyExists`."""
        ...

    async def patch(
        self, kind: Kind, namespace: str, name: str, patch: Body, *, status: bool = False
    ) -> Body | None:
        """Merge-patch the object (or its status subresource); ``None`` if it is gone."""
        ...

    async def delete(
        self,
        kind: Kind,
        namespace: str,
        name: str,
        *,
        propagation: Propagation = "Background",
    ) -> bool:
        """Delete the object; ``False`` if it was already gone."""
        ...

    async def post_event(self, namespace: str, event: EventSpec) -> None:
        """Record an Event; failures are logged and swallowed (Events are best effort)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def capped(text: str, limit: int = ERROR_TEXT_MAX) -> str:
    """Return ``text`` cut to ``limit`` characters, marked when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
