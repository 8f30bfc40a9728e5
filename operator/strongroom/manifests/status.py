"""Status patches: BackupPolicy status from a Plan, Backup status from the observed run.

Why here: status is written from one place (``controller.effects``) and built from one place
(this module), so the timer and the create/update handlers can never disagree about a field.
Conditions follow ``metav1.Condition``: ``lastTransitionTime`` changes only when ``status``
changes (api-conventions.md), and every condition carries ``observedGeneration``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from strongroom.api.common import BackupPhase, ConditionStatus, ConditionType
from strongroom.planner.model import NamedTime, Plan, Verdict


def rfc3339(moment: datetime | None) -> str | None:
    """Return ``moment`` as the RFC 3339 UTC text Kubernetes stores (``Z``, seconds)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class ConditionValue:
    """A condition to set: type, status, reason and message."""

    type: str
    status: ConditionStatus
    reason: str
    message: str


def merge_conditions(
    existing: Iterable[Mapping[str, Any]] | None,
    updates: Iterable[ConditionValue],
    *,
    generation: int | None,
    now: datetime,
) -> list[dict[str, Any]]:
    """Return the condition list with ``updates`` applied; untouched types are kept.

    ``lastTransitionTime`` is carried over when the status of a type did not change.
    """
    current = {c["type"]: dict(c) for c in existing or () if "type" in c}
    for update in updates:
        before = current.get(update.type)
        changed = before is None or before.get("status") != update.status
        current[update.type] = {
            "type": update.type,
            "status": update.status,
            "reason": update.reason,
            "message": update.message[:32768],
            "lastTransitionTime": rfc3339(now)
            if changed
            else (before or {}).get("lastTransitionTime", rfc3339(now)),
            "observedGeneration": generation,
        }
    order = [t.value for t in ConditionType]
    return sorted(
        current.values(),
        key=lambda c: (order.index(c["type"]) if c["type"] in order else 99, c["type"]),
    )


def _named(ref: NamedTime | None) -> dict[str, Any] | None:
    return None if ref is None else {"name": ref.name, "time": rfc3339(ref.time)}


def _check(verdict: Verdict) -> dict[str, str]:
    return {"status": verdict.status, "reason": verdict.reason.value, "message": verdict.message}


@dataclass(frozen=True)
class Readiness:
    """The Ready verdict: the planner's spec findings combined with the controller's checks."""

    ready: bool
    reason: str
    message: str


@dataclass(frozen=True)
class KeyRingSummary:
    """Key ring status fields (ids and versions only)."""

    key_id: str
    primary_version: int | None
    primary_created: datetime | None


def policy_status(
    *,
    plan: Plan | None,
    readiness: Readiness,
    last_run: ConditionValue | None,
    key_ring: KeyRingSummary | None,
    existing: Mapping[str, Any] | None,
    generation: int | None,
    now: datetime,
) -> dict[str, Any]:
    """Return the whole ``status`` of a BackupPolicy (a merge patch body's ``status``)."""
    conditions = [
        ConditionValue(
            ConditionType.READY.value,
            "True" if readiness.ready else "False",
            readiness.reason,
            readiness.message,
        )
    ]
    status: dict[str, Any] = {"observedGeneration": generation, "lastCheckTime": rfc3339(now)}
    if plan is not None:
        s = plan.status
        conditions.append(
            ConditionValue(
                ConditionType.COMPLIANT.value,
                s.compliant,
                s.compliant_reason.value,
                "; ".join(
                    f"{v.check.value}: {v.message}" for v in plan.verdicts if v.status != "True"
                )
                or "every compliance check passes",
            )
        )
        verification = next((v for v in plan.verdicts if v.check.value == "verification"), None)
        if verification is not None:
            conditions.append(
                ConditionValue(
                    ConditionType.VERIFIED.value,
                    verification.status,
                    verification.reason.value,
                    verification.message,
                )
            )
        status |= {
            "compliant": s.compliant,
            "complianceChecks": {v.check.value: _check(v) for v in plan.verdicts},
            "effectiveSchedule": s.effective_schedule,
            "lastScheduleTime": rfc3339(s.last_schedule_time),
            "nextScheduleTime": rfc3339(s.next_schedule_time),
            "lastBackup": _named(s.last_backup),
            "lastSuccessfulBackup": _named(s.last_successful_backup),
            "retainedBackups": s.retained_backups,
        }
        if s.last_verified is not None:
            status["lastVerified"] = {
                "name": s.last_verified.name,
                "time": rfc3339(s.last_verified.time),
            } | {
                "level": s.last_verified_level.value if s.last_verified_level else None,
                "rtoSeconds": s.last_verified_rto_seconds,
            }
        if key_ring is not None:
            status["keyRing"] = {
                "keyId": key_ring.key_id,
                "primaryVersion": key_ring.primary_version,
                "primaryCreated": rfc3339(key_ring.primary_created),
                "versionsInUse": list(s.key_versions_in_use),
            }
    if last_run is not None:
        conditions.append(last_run)
    status["conditions"] = merge_conditions(
        (existing or {}).get("conditions"), conditions, generation=generation, now=now
    )
    return status


@dataclass(frozen=True)
class RunOutcome:
    """What a finished (or running) backup run reported, ready for the Backup status."""

    phase: BackupPhase
    reason: str
    message: str
    job_name: str | None = None
    started: datetime | None = None
    completed: datetime | None = None
    data_key: str | None = None
    manifest_key: str | None = None
    size_bytes: int | None = None
    plaintext_bytes: int | None = None
    sha256: str | None = None
    key_id: str | None = None
    key_version: int | None = None
    tables: int | None = None


def backup_status(
    outcome: RunOutcome,
    *,
    existing: Mapping[str, Any] | None,
    generation: int | None,
    now: datetime,
) -> dict[str, Any]:
    """Return the ``status`` of a Backup for ``outcome``; ``None`` values are left out."""
    fields = {
        "phase": outcome.phase.value,
        "jobName": outcome.job_name,
        "startTime": rfc3339(outcome.started),
        "completionTime": rfc3339(outcome.completed),
        "dataKey": outcome.data_key,
        "manifestKey": outcome.manifest_key,
        "sizeBytes": outcome.size_bytes,
        "plaintextBytes": outcome.plaintext_bytes,
        "sha256": outcome.sha256,
        "keyId": outcome.key_id,
        "keyVersion": outcome.key_version,
        "tables": outcome.tables,
        "message": outcome.message,
        "observedGeneration": generation,
    }
    status: dict[str, Any] = {k: v for k, v in fields.items() if v is not None}
    if outcome.phase is BackupPhase.FAILED:
        status["failureReason"] = outcome.reason
    finished = outcome.phase in {BackupPhase.SUCCEEDED, BackupPhase.FAILED}
    if finished:
        condition = ConditionValue(
            ConditionType.BACKUP_SUCCEEDED.value,
            "True" if outcome.phase is BackupPhase.SUCCEEDED else "False",
            outcome.reason,
            outcome.message,
        )
        status["conditions"] = merge_conditions(
            (existing or {}).get("conditions"), [condition], generation=generation, now=now
        )
    return status


def last_run_condition(name: str, phase: BackupPhase, reason: str, message: str) -> ConditionValue:
    """Return the policy's ``BackupSucceeded`` condition for its newest finished Backup."""
    ok = phase is BackupPhase.SUCCEEDED
    return ConditionValue(
        ConditionType.BACKUP_SUCCEEDED.value,
        "True" if ok else "False",
        reason or ("Succeeded" if ok else "Failed"),
        f"{name}: {message}" if message else name,
    )
