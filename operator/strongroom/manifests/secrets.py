"""Secrets and the Job ServiceAccount; first of all the per-Job Secret, owned by the Job.

The per-Job Secret holds the job file and this one backup's data key.

Least privilege (ARCHITECTURE "Encryption"): a Job receives only its own data key (DEK), never
a key-encryption key, so a compromised Job exposes one backup. The Secret is owned by the Job
(ownerReference with the Job's uid), so the garbage collector deletes it with the Job
(``ttlSecondsAfterFinished``); it therefore must be created *after* the Job, and the pod waits
in ContainerCreating until it exists. ``immutable`` guards against an edit in between.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from strongroom.manifests.labels import (
    MANAGED_BY,
    MANAGER,
    base_labels,
    key_secret_name,
    owner_reference,
)


def build_key_secret(*, job: Mapping[str, Any], job_file: str, dek: bytes) -> dict[str, Any]:
    """Return the per-Job Secret for ``job`` (a created Job object, with its uid).

    Args:
        job: The Job as the API server returned it (owner reference needs its uid).
        job_file: The ``AgentJob`` JSON; it holds paths and wrapped keys, no secret.
        dek: The 32 raw bytes of this backup's data key.
    """
    meta = job["metadata"]
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "immutable": True,
        "metadata": {
            "name": key_secret_name(meta["name"]),
            "namespace": meta["namespace"],
            "labels": dict(meta.get("labels") or {}),
            "ownerReferences": [owner_reference(job)],
        },
        "data": {
            "job.json": base64.b64encode(job_file.encode()).decode(),
            "dek": base64.b64encode(dek).decode(),
        },
    }


def build_key_ring_secret(
    *, name: str, namespace: str, policy: str, data: Mapping[str, bytes]
) -> dict[str, Any]:
    """Return a new key ring Secret (``KeyRing.to_secret_data()`` as ``data``).

    Not owned by the policy: the key ring must outlive it, or retained backups become
    unreadable (crypto-shredding by accident).
    """
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": name, "namespace": namespace, "labels": base_labels(policy)},
        "data": {k: base64.b64encode(v).decode() for k, v in data.items()},
    }


def build_job_service_account(*, name: str, namespace: str) -> dict[str, Any]:
    """Return the Job ServiceAccount: bound to no Role, its token never mounted."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": name, "namespace": namespace, "labels": {MANAGED_BY: MANAGER}},
        "automountServiceAccountToken": False,
    }
