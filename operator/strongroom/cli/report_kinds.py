"""Resource kinds ``strongroom report`` lists beyond the operator's own, and cluster-wide lists.

Why here: the operator never lists Services or StatefulSets, and never lists across
namespaces, so :mod:`strongroom.kube.base` does not name them. :func:`everywhere` wraps a
:class:`~strongroom.kube.base.Kind` so that the empty namespace means "every namespace" (the
API's ``/apis/{group}/{version}/{plural}`` collection), with no change to the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from strongroom.kube.base import Kind

SERVICES: Final = Kind("", "v1", "services", "Service")
STATEFULSETS: Final = Kind("apps", "v1", "statefulsets", "StatefulSet")


@dataclass(frozen=True)
class _Everywhere(Kind):
    """A :class:`Kind` whose collection path with namespace ``""`` spans every namespace."""

    def path(self, namespace: str, name: str | None = None, *, status: bool = False) -> str:
        """Return the REST path; ``namespace == ""`` lists across all namespaces."""
        if namespace or name is not None:
            return super().path(namespace, name, status=status)
        root = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        return f"{root}/{self.plural}"


def everywhere(kind: Kind) -> Kind:
    """Return ``kind`` able to list across every namespace when given namespace ``""``."""
    return _Everywhere(kind.group, kind.version, kind.plural, kind.kind)
