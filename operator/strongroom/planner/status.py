"""Bridges between the API types and the planner's: Backup objects in, policy status out.

The controller reads ``Backup`` resources as :class:`~strongroom.api.BackupSpec` and
:class:`~strongroom.api.BackupStatus`; :func:`observed_backup` turns one into the planner's view.
:func:`policy_status` turns a :class:`~strongroom.planner.model.Plan` into the
``BackupPolicy.status`` fields the planner owns. Conditions (with their transition times) are
left to the status writer, which knows the previous status.
"""

from __future__ import annotations

from datetime import datetime

from strongroom.api.backup import BackupSpec, BackupStatus
from strongroom.api.policy import (
    BackupPolicyStatus,
    BackupRef,
    CheckStatus,
    ComplianceChecks,
    KeyRingStatus,
    VerifiedRef,
)
from strongroom.planner.model import Check, Observed, ObservedBackup, Plan


def observed_backup(
    name: str, spec: BackupSpec, status: BackupStatus | None, *, created: datetime | None = None
) -> ObservedBackup:
    """Return the planner's view of one Backup resource (``status`` may be absent)."""
    status = status or BackupStatus()
    check = status.verification
    return ObservedBackup(
        name=name,
        slot=spec.scheduled_time,
        phase=status.phase,
        trigger=spec.trigger,
        created=created,
        started=status.start_time,
        completed=status.completion_time,
        verification_result=check.result if check else None,
        verification_level=check.level if check else None,
        verification_equivalence=check.equivalence if check else None,
        verified_at=(check.time if check else None) or status.verified_at,
        rto_seconds=check.rto_seconds if check else None,
        corrupt=bool(status.corrupt),
        key_version=status.key_version,
        size_bytes=status.size_bytes,
    )


def policy_status(
    plan: Plan, observed: Observed, *, observed_generation: int | None
) -> BackupPolicyStatus:
    """Return the ``BackupPolicy.status`` the plan describes, without conditions."""
    summary = plan.status
    checks = {
        v.check: CheckStatus(status=v.status, reason=str(v.reason), message=v.message)
        for v in plan.verdicts
    }
    ring = observed.key_ring
    return BackupPolicyStatus(
        observed_generation=observed_generation,
        last_schedule_time=summary.last_schedule_time,
        next_schedule_time=summary.next_schedule_time,
        last_check_time=summary.last_check_time,
        effective_schedule=summary.effective_schedule,
        last_backup=BackupRef(name=summary.last_backup.name, time=summary.last_backup.time)
        if summary.last_backup
        else None,
        last_successful_backup=BackupRef(
            name=summary.last_successful_backup.name, time=summary.last_successful_backup.time
        )
        if summary.last_successful_backup
        else None,
        last_verified=VerifiedRef(
            name=summary.last_verified.name,
            time=summary.last_verified.time,
            level=summary.last_verified_level,
            rto_seconds=summary.last_verified_rto_seconds,
        )
        if summary.last_verified
        else None,
        key_ring=KeyRingStatus(
            key_id=ring.key_id,
            primary_version=ring.primary_version,
            primary_created=ring.primary_created,
            versions_in_use=list(summary.key_versions_in_use),
        )
        if ring
        else None,
        retained_backups=summary.retained_backups,
        compliant=summary.compliant,
        compliance_checks=ComplianceChecks(
            rpo=checks.get(Check.RPO),
            retention=checks.get(Check.RETENTION),
            encryption=checks.get(Check.ENCRYPTION),
            verification=checks.get(Check.VERIFICATION),
        ),
    )
