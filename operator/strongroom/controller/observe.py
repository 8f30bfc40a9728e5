"""Raw API objects → the planner's typed :class:`~strongroom.planner.Observed` view.

The planner never sees a dict: this module reads Backup bodies (spec via the api models,
status leniently, since an older or newer operator may have written it) and the key ring
summary, so a malformed field in one Backup degrades that Backup, not the whole policy.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from strongroom.api.backup import BackupSpec, BackupStatus, Trigger
from strongroom.crypto.keyring import KeyRing, KeyState
from strongroom.manifests.labels import RETENTION_FINALIZER
from strongroom.planner.model import Observed, ObservedBackup, ObservedKeyRing
from strongroom.planner.rotation import requested_destruction, requested_rotation

_log = logging.getLogger(__name__)


def parse_time(value: object) -> datetime | None:
    """Return an RFC 3339 timestamp as an aware datetime, or ``None``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def backup_status(body: Mapping[str, Any]) -> BackupStatus:
    """Return the Backup's status model (empty when unreadable)."""
    try:
        return BackupStatus.model_validate(body.get("status") or {})
    except ValidationError:
        return BackupStatus()


def retention_deleting(body: Mapping[str, Any]) -> bool:
    """Return whether retention began deleting this Backup and has not recorded the end yet."""
    meta = body.get("metadata") or {}
    return bool(meta.get("deletionTimestamp")) and RETENTION_FINALIZER in (
        meta.get("finalizers") or []
    )


def observed_backup(body: Mapping[str, Any]) -> ObservedBackup | None:
    """Return the planner's view of one Backup, or ``None`` if its spec is unreadable."""
    meta = body.get("metadata") or {}
    try:
        spec = BackupSpec.model_validate(body.get("spec") or {})
    except ValidationError:
        _log.warning("Backup %s has an unreadable spec; ignored by the planner", meta.get("name"))
        return None
    status = backup_status(body)
    verification = status.verification
    return ObservedBackup(
        name=meta["name"],
        slot=spec.scheduled_time,
        phase=status.phase,
        trigger=spec.trigger,
        created=parse_time(meta.get("creationTimestamp")),
        started=status.start_time,
        completed=status.completion_time,
        verification_result=verification.result if verification else None,
        verification_level=verification.level if verification else None,
        verification_equivalence=verification.equivalence if verification else None,
        verified_at=verification.time if verification else None,
        rto_seconds=verification.rto_seconds if verification else None,
        corrupt=bool(status.corrupt),
        deleting=retention_deleting(body),
        key_id=status.key_id,
        key_version=status.key_version,
        size_bytes=status.size_bytes,
    )


def key_ring_summary(
    ring: KeyRing | None, annotations: Mapping[str, str] | None = None
) -> ObservedKeyRing | None:
    """Return the ids-and-versions summary of a key ring, with the policy's key requests."""
    if ring is None:
        return None
    primary = ring.primary()
    asked = annotations or {}
    return ObservedKeyRing(
        key_id=ring.key_id,
        primary_version=primary.version,
        primary_created=primary.created,
        versions=tuple(v.version for v in ring.versions),
        retired=tuple(
            v.version for v in ring.versions if v.state in {KeyState.RETIRED, KeyState.DESTROYED}
        ),
        destroyed=tuple(v.version for v in ring.versions if v.state is KeyState.DESTROYED),
        rotate_requested_from=requested_rotation(asked),
        destroy_requested=requested_destruction(asked),
    )


def observe(
    *,
    policy: Mapping[str, Any],
    backups: Iterable[Mapping[str, Any]],
    ring: KeyRing | None,
    verification_in_flight: str | None = None,
) -> Observed:
    """Return the planner's input for ``policy`` (a BackupPolicy body)."""
    meta = policy["metadata"]
    status = policy.get("status") or {}
    seen = tuple(b for b in (observed_backup(body) for body in backups) if b is not None)
    return Observed(
        namespace=meta["namespace"],
        name=meta["name"],
        backups=seen,
        key_ring=key_ring_summary(ring, meta.get("annotations") or {}),
        created=parse_time(meta.get("creationTimestamp")),
        last_schedule_time=max(
            [t for t in (parse_time(status.get("lastScheduleTime")),) if t is not None]
            + [b.slot for b in seen if b.trigger is Trigger.SCHEDULE],
            default=None,
        ),
        last_check_time=parse_time(status.get("lastCheckTime")),
        verification_in_flight=verification_in_flight,
    )


def trigger_of(body: Mapping[str, Any]) -> Trigger:
    """Return the Backup's trigger (schedule when unreadable)."""
    try:
        return Trigger((body.get("spec") or {}).get("trigger", "schedule"))
    except ValueError:
        return Trigger.SCHEDULE
