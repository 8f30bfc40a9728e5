"""Every label, annotation and finalizer key, child names, selectors and owner references.

All keys live under ``strongroom.dev/`` (never Kopf's legacy ``kopf.zalando.org``), so a person
can ``kubectl get all -l strongroom.dev/policy=orders-db`` and GitOps tools see whose objects
these are. Owner references are built here explicitly rather than with ``kopf.adopt``, which
copies every parent label (GitOps tracking labels included) onto children.

Ownership, and why: a Job is owned by its Backup (deleting a Backup stops its run), the per-Job
data-key Secret by its Job (garbage-collected with it). A Backup is *not* owned by its policy:
``deletionPolicy: Retain`` must keep Backups when the policy goes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

from strongroom.api.common import API_VERSION, GROUP

PREFIX: Final = GROUP
FINALIZER: Final = f"{PREFIX}/finalizer"
#: Holds a Backup that retention is deleting until the deletion's audit record is stored, so
#: a crash or an API error in between leaves the Backup (Terminating) for the next tick to finish.
RETENTION_FINALIZER: Final = f"{PREFIX}/retention-audit"
POLICY: Final = f"{PREFIX}/policy"
BACKUP: Final = f"{PREFIX}/backup"
ROLE: Final = f"{PREFIX}/role"
TRIGGER: Final = f"{PREFIX}/trigger"
#: The Restore a restore Job (and its key Secret) works for.
RESTORE: Final = f"{PREFIX}/restore"
#: Who asked for an on-demand Backup, as ``strongroom backup-now`` learned it from the API
#: server (SelfSubjectReview); a claim recorded in the audit trail, not an authentication.
REQUESTED_BY: Final = f"{PREFIX}/requested-by"
MANAGED_BY: Final = "app.kubernetes.io/managed-by"
MANAGER: Final = "strongroom"
#: Kopf's progress/diff-base annotations are stored under this prefix (startup settings).
KOPF_PREFIX: Final = PREFIX
NAME_LIMIT: Final = 63
_HASH: Final = 8


class JobRole(StrEnum):
    """What a Job does; names and labels each Job (CloudNativePG's ``jobRole``)."""

    BACKUP = "backup"
    VERIFY = "verify"
    RESTORE = "restore"


def child_name(base: str, suffix: str) -> str:
    """Return ``base-suffix`` as a DNS label of at most 63 characters, hashed when cut.

    Same inputs, same name: that is what makes a repeated create meet ``409 AlreadyExists``.
    """
    name = f"{base}-{suffix}"
    if len(name) <= NAME_LIMIT:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_HASH]
    room = NAME_LIMIT - len(suffix) - _HASH - 2
    return f"{base[:room].rstrip('-')}-{digest}-{suffix}"


def job_name(backup: str, role: JobRole) -> str:
    """Return the deterministic Job name of ``role`` for ``backup``."""
    return child_name(backup, role.value)


def key_secret_name(job: str) -> str:
    """Return the name of the per-Job Secret (job file and data key) of ``job``."""
    return child_name(job, "key")


def policy_selector(policy: str) -> str:
    """Return the label selector of every object that belongs to ``policy``."""
    return f"{POLICY}={policy}"


def base_labels(policy: str) -> dict[str, str]:
    """Return the labels every child of ``policy`` carries."""
    return {MANAGED_BY: MANAGER, POLICY: policy}


def backup_labels(policy: str, trigger: str) -> dict[str, str]:
    """Return the labels of a Backup object."""
    return base_labels(policy) | {TRIGGER: trigger}


def job_labels(policy: str, backup: str, role: JobRole) -> dict[str, str]:
    """Return the labels of a Job, its pods and its per-Job Secret."""
    return base_labels(policy) | {BACKUP: backup, ROLE: role.value}


def owner_reference(owner: Mapping[str, Any], *, controller: bool = True) -> dict[str, Any]:
    """Return an ownerReference to ``owner`` (a full object with apiVersion, kind, metadata).

    ``blockOwnerDeletion`` is set so foreground deletion of the owner waits for the child.
    """
    meta = owner["metadata"]
    return {
        "apiVersion": owner.get("apiVersion", API_VERSION),
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": controller,
        "blockOwnerDeletion": True,
    }


def is_ours(obj: Mapping[str, Any] | None, policy: str) -> bool:
    """Return whether ``obj`` was made by Strongroom for ``policy`` (the 409 rule)."""
    if obj is None:
        return False
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return labels.get(MANAGED_BY) == MANAGER and labels.get(POLICY) == policy
