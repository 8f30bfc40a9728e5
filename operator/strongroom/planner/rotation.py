"""Key rotation: when to rotate, which manifests to re-wrap, which versions may retire.

Rotation never edits a key in place (ARCHITECTURE.md "Rotation"): a new version becomes
primary; every retained manifest not wrapped by the primary is re-wrapped (add the new wrap,
verify it, drop the old one); a version retires only when no observed backup references it.
Each step is decided from observed state alone, so an interrupted rotation re-plans into the
remaining steps (F12). A backup whose key version is unknown blocks every retirement: better an
old version kept than a backup nobody can open.
"""

from __future__ import annotations

from datetime import datetime

from strongroom.api.policy import BackupPolicySpec
from strongroom.planner.model import (
    ObservedBackup,
    ObservedKeyRing,
    RetireKeyVersion,
    RewrapBackup,
    RotateKey,
)
from strongroom.planner.reasons import Reason

RotationAction = RotateKey | RewrapBackup | RetireKeyVersion


def key_age_exceeded(policy: BackupPolicySpec, ring: ObservedKeyRing, now: datetime) -> bool:
    """Return whether the primary version is at least ``rotationPeriod`` old."""
    return now - ring.primary_created >= policy.encryption.rotation_period.to_timedelta()


def rotation_due_at(policy: BackupPolicySpec, ring: ObservedKeyRing) -> datetime:
    """Return when the primary version reaches ``rotationPeriod``."""
    return ring.primary_created + policy.encryption.rotation_period.to_timedelta()


def to_rewrap(
    ring: ObservedKeyRing, backups: tuple[ObservedBackup, ...], deleting: frozenset[str]
) -> tuple[RewrapBackup, ...]:
    """Return re-wrap actions for finished backups whose manifest is not wrapped by the primary."""
    actions: list[RewrapBackup] = []
    for backup in sorted(backups, key=lambda b: (b.slot, b.name), reverse=True):
        version = backup.key_version
        if version is None or version == ring.primary_version:
            continue
        if backup.in_flight or backup.name in deleting:
            continue
        actions.append(RewrapBackup(backup.name, version, Reason.MANIFEST_NOT_PRIMARY))
    return tuple(actions)


def references(backups: tuple[ObservedBackup, ...]) -> dict[int, tuple[str, ...]]:
    """Return, per key version, the names of the observed backups wrapped by it (sorted)."""
    by_version: dict[int, list[str]] = {}
    for backup in backups:
        if backup.key_version is not None:
            by_version.setdefault(backup.key_version, []).append(backup.name)
    return {v: tuple(sorted(names)) for v, names in sorted(by_version.items())}


def versions_in_use(ring: ObservedKeyRing, backups: tuple[ObservedBackup, ...]) -> tuple[int, ...]:
    """Return the key versions referenced by observed backups, plus the primary."""
    used = {b.key_version for b in backups if b.key_version is not None}
    return tuple(sorted(used | {ring.primary_version}))


def retirable(
    ring: ObservedKeyRing, backups: tuple[ObservedBackup, ...]
) -> tuple[RetireKeyVersion, ...]:
    """Return versions that are neither primary nor referenced by any observed backup.

    Returns nothing while any finished backup's key version is unknown.
    """
    if any(b.key_version is None and b.phase is not None and b.good for b in backups):
        return ()
    used = set(versions_in_use(ring, backups))
    return tuple(
        RetireKeyVersion(v, Reason.KEY_VERSION_UNREFERENCED)
        for v in sorted(ring.versions)
        if v not in used
    )


def plan_rotation(
    policy: BackupPolicySpec,
    ring: ObservedKeyRing | None,
    backups: tuple[ObservedBackup, ...],
    now: datetime,
    deleting: frozenset[str] = frozenset(),
) -> tuple[RotationAction, ...]:
    """Return the key actions due now: rotate first; re-wrap and retire on later passes."""
    if ring is None:
        return ()
    if key_age_exceeded(policy, ring, now):
        return (RotateKey(Reason.KEY_ROTATION_DUE),)
    rewraps = to_rewrap(ring, backups, deleting)
    if rewraps:
        return rewraps
    return retirable(ring, backups)
