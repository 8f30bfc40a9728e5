"""Key rotation: when to rotate, which manifests to re-wrap, which versions may retire.

Rotation never edits a key in place (ARCHITECTURE.md "Rotation"): a new version becomes
primary; every retained manifest not wrapped by the primary is re-wrapped (add the new wrap,
verify it, drop the old one); a version retires only when no observed backup references it.
Each step is decided from observed state alone, so an interrupted rotation re-plans into the
remaining steps (F12). A backup whose key version is unknown blocks every retirement: better an
old version kept than a backup nobody can open.

People ask through annotations on the BackupPolicy (written by ``strongroom keys``), never by
editing the Secret: :data:`ROTATE_ANNOTATION` names the primary version to replace, so the
request is level-based and done once that version is no longer primary (a restart or a second
look never rotates twice); :data:`DESTROY_ANNOTATION` lists versions to crypto-shred once
retired. The controller re-checks every retirement and destruction against the manifests in
the bucket before it writes the Secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Final

from strongroom.api.policy import BackupPolicySpec
from strongroom.planner.model import (
    DestroyKeyVersion,
    ObservedBackup,
    ObservedKeyRing,
    RetireKeyVersion,
    RewrapBackup,
    RotateKey,
)
from strongroom.planner.reasons import Reason

RotationAction = RotateKey | RewrapBackup | RetireKeyVersion | DestroyKeyVersion

#: Policy annotation: rotate while the primary version is this number or older.
ROTATE_ANNOTATION: Final = "strongroom.dev/rotate-key-from-version"
#: Policy annotation: comma-separated key versions to destroy once retired and unreferenced.
DESTROY_ANNOTATION: Final = "strongroom.dev/destroy-key-versions"
#: Policy annotation: who asked for the key operation (recorded as the audit ``actor``).
REQUESTED_BY_ANNOTATION: Final = "strongroom.dev/key-operation-requested-by"


def requested_rotation(annotations: Mapping[str, str]) -> int | None:
    """Return the primary version a person asked to replace (``None``: none or unreadable)."""
    raw = annotations.get(ROTATE_ANNOTATION, "").strip()
    return int(raw) if raw.isdigit() else None


def requested_destruction(annotations: Mapping[str, str]) -> tuple[int, ...]:
    """Return the versions a person asked to destroy (unreadable entries are ignored)."""
    raw = annotations.get(DESTROY_ANNOTATION, "")
    return tuple(sorted({int(p) for p in raw.split(",") if p.strip().isdigit()}))


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


def to_kms_rewrap(
    policy: BackupPolicySpec, backups: tuple[ObservedBackup, ...], deleting: frozenset[str]
) -> tuple[RewrapBackup, ...]:
    """Return re-wraps of KMS-wrapped backups whose KMS key is not the policy's ``kmsKeyId``.

    KMS rotates a key's material itself (same key id, old material kept), so this is only for a
    policy moved to another KMS key: the old key must otherwise stay enabled for as long as a
    backup it wraps is retained.
    """
    target = policy.encryption.kms_key_id
    if target is None:
        return ()
    return tuple(
        RewrapBackup(b.name, None, Reason.MANIFEST_NOT_PRIMARY, from_key=b.key_id)
        for b in sorted(backups, key=lambda b: (b.slot, b.name), reverse=True)
        if b.good
        and b.key_version is None
        and b.key_id is not None
        and b.key_id != target
        and b.name not in deleting
    )


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

    Returns nothing while any finished backup's key version is unknown, and while a run is in
    flight: its data key may have been wrapped (by any version) before its status says which,
    and its manifest is not in the bucket yet for the controller's inventory to see.
    """
    if any(b.key_version is None and b.phase is not None and b.good for b in backups):
        return ()
    if any(b.in_flight for b in backups):
        return ()
    used = set(versions_in_use(ring, backups))
    return tuple(
        RetireKeyVersion(v, Reason.KEY_VERSION_UNREFERENCED)
        for v in sorted(ring.versions)
        if v not in used and v not in ring.retired
    )


def destroyable(
    ring: ObservedKeyRing, backups: tuple[ObservedBackup, ...]
) -> tuple[DestroyKeyVersion, ...]:
    """Return the requested versions that are retired, not yet destroyed and unreferenced."""
    used = set(versions_in_use(ring, backups))
    return tuple(
        DestroyKeyVersion(v, Reason.KEY_DESTRUCTION_REQUESTED)
        for v in ring.destroy_requested
        if v in ring.retired and v not in ring.destroyed and v not in used
    )


def rotation_requested(ring: ObservedKeyRing) -> bool:
    """Return whether a person asked to replace the current primary version."""
    wanted = ring.rotate_requested_from
    return wanted is not None and ring.primary_version <= wanted


def plan_rotation(
    policy: BackupPolicySpec,
    ring: ObservedKeyRing | None,
    backups: tuple[ObservedBackup, ...],
    now: datetime,
    deleting: frozenset[str] = frozenset(),
) -> tuple[RotationAction, ...]:
    """Return the key actions due now: rotate first; re-wrap, then retire/destroy, later."""
    if ring is None:
        return to_kms_rewrap(policy, backups, deleting)
    if key_age_exceeded(policy, ring, now):
        return (RotateKey(Reason.KEY_ROTATION_DUE),)
    if rotation_requested(ring):
        return (RotateKey(Reason.KEY_ROTATION_REQUESTED),)
    rewraps = to_rewrap(ring, backups, deleting)
    if rewraps:
        return rewraps
    return retirable(ring, backups) + destroyable(ring, backups)
