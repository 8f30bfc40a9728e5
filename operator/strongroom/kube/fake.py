"""An in-memory :class:`~strongroom.kube.base.KubeClient` for unit and controller tests.

It behaves like the API server where the controller relies on it: names are unique per kind and
namespace (a second create is :class:`AlreadyExists`), a uid and resourceVersion are assigned,
label selectors of the ``a=b,c=d`` form filter lists, merge patches merge (``None`` deletes a
key) and ``status`` patches touch only ``status``; an object with finalizers is only marked
deleted (``deletionTimestamp``) and goes once a patch empties them. Every call is recorded in
:attr:`calls`, so a test can assert order (retention deletes S3 objects before the Backup's
finalizer comes off) and absence of calls.
``fail_next`` injects a :class:`KubeError` into the next call of a verb.
"""

from __future__ import annotations

import builtins
import copy
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from strongroom.errors import KubeError
from strongroom.kube.base import (
    AlreadyExists,
    Body,
    Created,
    CreateOutcome,
    EventSpec,
    Kind,
    Propagation,
)


def merge(target: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """Apply a JSON merge patch (RFC 7386) to ``target`` in place and return it."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)
    return target


def matches(labels: Mapping[str, str], selector: str | None) -> bool:
    """Return whether ``labels`` match an equality-only selector (``a=b,c=d``)."""
    if not selector:
        return True
    for term in selector.split(","):
        key, _, value = term.partition("=")
        if labels.get(key.strip()) != value.strip():
            return False
    return True


def _released(obj: Mapping[str, Any]) -> bool:
    """Return whether a deleted object has no finalizer left holding it."""
    meta = obj["metadata"]
    return bool(meta.get("deletionTimestamp")) and not meta.get("finalizers")


@dataclass
class FakeKube:
    """In-memory objects keyed by (plural, namespace, name)."""

    objects: dict[tuple[str, str, str], Body] = field(default_factory=dict)
    events: list[tuple[str, EventSpec]] = field(default_factory=list)
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    fail_next: dict[str, KubeError] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _check(self, verb: str, kind: Kind, name: str) -> None:
        self.calls.append((verb, kind.plural, name))
        error = self.fail_next.pop(verb, None)
        if error is not None:
            raise error

    def put(self, kind: Kind, namespace: str, body: Body) -> Body:
        """Store ``body`` as if someone else created it (test setup)."""
        obj = copy.deepcopy(body)
        meta = obj.setdefault("metadata", {})
        meta.setdefault("namespace", namespace)
        meta.setdefault("uid", f"uid-{next(self._ids)}")
        meta.setdefault("generation", 1)
        meta["resourceVersion"] = str(next(self._ids))
        obj.setdefault("apiVersion", kind.api_version)
        obj.setdefault("kind", kind.kind)
        self.objects[(kind.plural, namespace, meta["name"])] = obj
        return copy.deepcopy(obj)

    def stored(self, kind: Kind, namespace: str) -> list[Body]:
        """Return every stored object of ``kind`` in ``namespace`` (test assertions)."""
        return [
            copy.deepcopy(obj)
            for (plural, ns, _), obj in sorted(self.objects.items())
            if plural == kind.plural and ns == namespace
        ]

    async def get(self, kind: Kind, namespace: str, name: str) -> Body | None:
        """Return the object, or ``None``."""
        self._check("get", kind, name)
        found = self.objects.get((kind.plural, namespace, name))
        return copy.deepcopy(found) if found is not None else None

    async def list(self, kind: Kind, namespace: str, *, selector: str | None = None) -> list[Body]:
        """Return matching objects."""
        self._check("list", kind, "")
        return [
            obj
            for obj in self.stored(kind, namespace)
            if matches(obj["metadata"].get("labels") or {}, selector)
        ]

    async def create(self, kind: Kind, namespace: str, body: Body) -> CreateOutcome:
        """Create, or report :class:`AlreadyExists`."""
        name = body["metadata"]["name"]
        self._check("create", kind, name)
        existing = self.objects.get((kind.plural, namespace, name))
        if existing is not None:
            return AlreadyExists(copy.deepcopy(existing))
        return Created(self.put(kind, namespace, body))

    async def patch(
        self, kind: Kind, namespace: str, name: str, patch: Body, *, status: bool = False
    ) -> Body | None:
        """Merge-patch the object or only its status."""
        self._check("patch_status" if status else "patch", kind, name)
        obj = self.objects.get((kind.plural, namespace, name))
        if obj is None:
            return None
        if status:
            merge(obj.setdefault("status", {}), patch.get("status") or {})
        else:
            merge(obj, {k: v for k, v in patch.items() if k != "status"})
        obj["metadata"]["resourceVersion"] = str(next(self._ids))
        if _released(obj):
            del self.objects[(kind.plural, namespace, name)]
        return copy.deepcopy(obj)

    async def delete(
        self,
        kind: Kind,
        namespace: str,
        name: str,
        *,
        propagation: Propagation = "Background",
    ) -> bool:
        """Delete; ``False`` if absent."""
        del propagation
        self._check("delete", kind, name)
        obj = self.objects.get((kind.plural, namespace, name))
        if obj is None:
            return False
        meta = obj["metadata"]
        meta.setdefault("deletionTimestamp", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        meta["resourceVersion"] = str(next(self._ids))
        if _released(obj):
            del self.objects[(kind.plural, namespace, name)]
        return True

    async def post_event(self, namespace: str, event: EventSpec) -> None:
        """Record the Event."""
        self.events.append((namespace, event))

    async def close(self) -> None:
        """Nothing to release."""

    def event_reasons(self) -> builtins.list[str]:
        """Return the reasons of every recorded Event, in order."""
        return [event.reason for _, event in self.events]
