"""Kubernetes adapter: the :class:`KubeClient` port, its real and in-memory implementations.

Import the port and kinds from here; :mod:`strongroom.kube.client` (the only importer of
``kubernetes_asyncio``) is imported where a real connection is made.
"""

from strongroom.kube.base import (
    BACKUP_POLICIES,
    BACKUPS,
    CONFIG_MAPS,
    EVENTS,
    JOBS,
    PODS,
    RESTORES,
    SECRETS,
    SERVICE_ACCOUNTS,
    AlreadyExists,
    Body,
    Created,
    CreateOutcome,
    EventSpec,
    Kind,
    KubeClient,
)

__all__ = [
    "BACKUPS",
    "BACKUP_POLICIES",
    "CONFIG_MAPS",
    "EVENTS",
    "JOBS",
    "PODS",
    "RESTORES",
    "SECRETS",
    "SERVICE_ACCOUNTS",
    "AlreadyExists",
    "Body",
    "CreateOutcome",
    "Created",
    "EventSpec",
    "Kind",
    "KubeClient",
]
