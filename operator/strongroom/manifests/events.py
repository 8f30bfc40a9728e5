"""The Event catalogue: every reason the operator records, and the sentence it formats.

Why a catalogue: Events are the audit trail a person reads in ``kubectl describe`` and a test
asserts on, so each reason means one thing everywhere, and every message is formatted here
from names, times, sizes and reasons only. Nothing here ever receives a key byte, a password or
a row: error texts passed in come from :mod:`strongroom.errors`, whose messages are secret-free
by contract. Planner notes (``SlotMissed``, ``BackupInFlight`` …) reuse the planner's reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal


class EventReason(StrEnum):
    """Reasons of the Events the controller records (planner reasons are used as they are)."""

    POLICY_READY = "PolicyReady"
    POLICY_NOT_READY = "PolicyNotReady"
    BACKUP_CREATED = "BackupCreated"
    BACKUP_STARTED = "BackupStarted"
    BACKUP_SUCCEEDED = "BackupSucceeded"
    BACKUP_FAILED = "BackupFailed"
    BACKUP_DELETED = "BackupDeleted"
    BACKUP_OBJECT_DELETED = "BackupObjectDeleted"
    BACKUPS_RETAINED = "BackupsRetained"
    VERIFICATION_STARTED = "VerificationStarted"
    VERIFICATION_PASSED = "VerificationPassed"
    VERIFICATION_FAILED = "VerificationFailed"
    NAME_COLLISION = "NameCollision"
    KEY_RING_CREATED = "KeyRingCreated"
    RECONCILE_FAILED = "ReconcileFailed"


EventType = Literal["Normal", "Warning"]


@dataclass(frozen=True)
class EventText:
    """An Event to record: type, reason and message."""

    type: EventType
    reason: str
    message: str


def _size(num: int | None) -> str:
    if num is None:
        return "an unknown number of bytes"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if num < 1024:  # noqa: PLR2004 - binary units
            return f"{num} {unit}" if unit == "B" else f"{num:.1f} {unit}"
        num = num / 1024  # type: ignore[assignment]
    return f"{num:.1f} TiB"


def backup_created(name: str, slot: datetime, reason: str) -> EventText:
    """A Backup object was created for a schedule slot (or a missing one was adopted)."""
    return EventText(
        "Normal",
        EventReason.BACKUP_CREATED,
        f"created Backup {name} for {slot.isoformat()} ({reason})",
    )


def backup_started(name: str, job: str) -> EventText:
    """The backup Job was created."""
    return EventText("Normal", EventReason.BACKUP_STARTED, f"Job {job} started for Backup {name}")


def backup_succeeded(name: str, *, tables: int | None, size: int | None, where: str) -> EventText:
    """The agent reported success and the Backup status records it."""
    count = "?" if tables is None else str(tables)
    return EventText(
        "Normal",
        EventReason.BACKUP_SUCCEEDED,
        f"Backup {name} succeeded: {count} tables, {_size(size)} encrypted at {where}",
    )


def backup_failed(name: str, reason: str, message: str) -> EventText:
    """The run failed; ``message`` comes from our own error types."""
    return EventText(
        "Warning", EventReason.BACKUP_FAILED, f"Backup {name} failed ({reason}): {message}"
    )


def object_deleted(backup: str, key: str, why: str) -> EventText:
    """A stored object of a backup was deleted."""
    return EventText(
        "Normal", EventReason.BACKUP_OBJECT_DELETED, f"deleted {key} of Backup {backup} ({why})"
    )


def backup_deleted(name: str, why: str) -> EventText:
    """A Backup object was deleted after its stored objects."""
    return EventText("Normal", EventReason.BACKUP_DELETED, f"deleted Backup {name} ({why})")


def backups_retained(count: int, where: str) -> EventText:
    """The policy was deleted with deletionPolicy Retain."""
    return EventText(
        "Normal",
        EventReason.BACKUPS_RETAINED,
        f"policy deleted with deletionPolicy Retain: {count} Backup(s) and their objects under "
        f"{where} are kept",
    )


def name_collision(kind: str, name: str) -> EventText:
    """A deterministic child name is taken by an object Strongroom did not make."""
    return EventText(
        "Warning",
        EventReason.NAME_COLLISION,
        f"{kind} {name} already exists and was not made by Strongroom for this policy; "
        "skipped (rename or delete it)",
    )


def key_ring_created(secret: str, key_id: str) -> EventText:
    """The key ring Secret was missing and a new ring was generated."""
    return EventText(
        "Normal",
        EventReason.KEY_RING_CREATED,
        f"created key ring Secret {secret} (key id {key_id}, version 1); export it to escrow "
        "with `strongroom keys export`",
    )


def policy_ready(*, ready: bool, reason: str, message: str) -> EventText:
    """The Ready condition changed."""
    if ready:
        return EventText("Normal", EventReason.POLICY_READY, message)
    return EventText("Warning", EventReason.POLICY_NOT_READY, f"{reason}: {message}")


def verification(name: str, *, passed: bool | None, detail: str) -> EventText:
    """A verification started (``passed`` None) or finished."""
    if passed is None:
        return EventText("Normal", EventReason.VERIFICATION_STARTED, f"verifying {name}: {detail}")
    if passed:
        return EventText("Normal", EventReason.VERIFICATION_PASSED, f"{name} verified: {detail}")
    return EventText("Warning", EventReason.VERIFICATION_FAILED, f"{name} failed: {detail}")


def note(reason: str, message: str, *, warning: bool) -> EventText:
    """A planner note, reason reused verbatim."""
    return EventText("Warning" if warning else "Normal", reason, message)
