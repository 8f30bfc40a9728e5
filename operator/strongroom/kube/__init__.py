"""Kubernetes adapter: the :class:`KubeClient` port, its real and in-memory implementations.

Import the port and kinds from here; :mod:`strongroom.kube.client` (plain ``aiohttp``, with
:mod:`strongroom.kube.credentials` for in-cluster and kubeconfig logins; no client library,
whose import alone cost 37.6 MiB) is imported where a real connection is made.
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
