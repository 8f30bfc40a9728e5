"""Backup objects: one per schedule slot (or manual request), deterministic name, no owner.

A Backup carries the policy's labels but no ownerReference to the policy on purpose:
``deletionPolicy: Retain`` (the default) must keep every Backup when the policy is deleted, and
an owner reference would let the garbage collector take them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from strongroom.api.backup import BackupSpec, Trigger
from strongroom.api.common import API_VERSION
from strongroom.manifests.labels import backup_labels


def build_backup(
    *, policy: str, namespace: str, name: str, slot: datetime, trigger: Trigger
) -> dict[str, Any]:
    """Return a new Backup object for ``slot`` of ``policy``."""
    spec = BackupSpec.model_validate(
        {"policyRef": {"name": policy}, "scheduledTime": slot, "trigger": trigger}
    )
    return {
        "apiVersion": API_VERSION,
        "kind": "Backup",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": backup_labels(policy, trigger.value),
        },
        "spec": spec.model_dump(mode="json", by_alias=True),
    }
