"""Kinds beyond the per-policy ones: what the coverage scan lists, and cluster-scoped calls.

Why apart from :mod:`strongroom.kube.base`: reconciling a policy never lists Services or
StatefulSets, and never lists across namespaces. The coverage scan (controller and
``strongroom report``) does both, and ``strongroom backup-now`` asks who it is with a
cluster-scoped SelfSubjectReview. :func:`everywhere` wraps a :class:`~strongroom.kube.base.Kind`
so that the empty namespace means "every namespace" (the API's
``/apis/{group}/{version}/{plural}`` collection, or a cluster-scoped resource), with no change
to the client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from strongroom.kube.base import Kind

SERVICES: Final = Kind("", "v1", "services", "Service")
STATEFULSETS: Final = Kind("apps", "v1", "statefulsets", "StatefulSet")
SELF_SUBJECT_REVIEWS: Final = Kind(
    "authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview"
)


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
