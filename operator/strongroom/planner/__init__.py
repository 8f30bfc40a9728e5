"""The planner: the domain of Strongroom as pure functions, ``now`` always passed in.

``plan(policy, observed, now) -> Plan`` answers "what is due now?" for one BackupPolicy: the
schedule slot to back up (at most one in-flight backup per policy), the backups retention
deletes, the verification to run, the key operations, the compliance verdicts, the status to
write, and when to ask again. It never does I/O and never reads the clock (Kopf's
``detect_changing_cause`` and CloudNativePG's schedule arithmetic are the models), so every
decision is reproducible in a unit test. The controller executes the actions; each carries a
:class:`Reason` it reuses verbatim in conditions and Events.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from strongroom.api.backup import Trigger, backup_name
from strongroom.api.policy import BackupPolicySpec
from strongroom.planner import compliance, retention, rotation, verification
from strongroom.planner.checks import Finding, Schedules, parse_schedules
from strongroom.planner.model import (
    Action,
    Check,
    CreateBackup,
    DeleteBackup,
    DestroyKeyVersion,
    NamedTime,
    Note,
    Observed,
    ObservedBackup,
    ObservedKeyRing,
    Plan,
    PlanStatus,
    RetentionDecision,
    RetireKeyVersion,
    RewrapBackup,
    RotateKey,
    Verdict,
    VerifyBackup,
)
from strongroom.planner.reasons import Reason
from strongroom.planner.schedule import CronSchedule, ScheduleError
from strongroom.planner.status import observed_backup, policy_status

#: The longest the controller sleeps between plans, so verdicts that age are re-evaluated.
MAX_WAKE: Final = timedelta(hours=1)
#: The shortest wait, so a busy policy never spins.
MIN_WAKE: Final = timedelta(seconds=10)
#: How often to look again while a due slot waits for an in-flight backup to finish.
IN_FLIGHT_POLL: Final = timedelta(minutes=1)
#: How many missed slots are counted for a SlotMissed note (as Kubernetes CronJob caps it).
MISSED_LIMIT: Final = 100

__all__ = [
    "Action",
    "Check",
    "CreateBackup",
    "DeleteBackup",
    "DestroyKeyVersion",
    "Finding",
    "NamedTime",
    "Note",
    "Observed",
    "ObservedBackup",
    "ObservedKeyRing",
    "Plan",
    "PlanStatus",
    "Reason",
    "RetentionDecision",
    "RetireKeyVersion",
    "RewrapBackup",
    "RotateKey",
    "Verdict",
    "VerifyBackup",
    "observed_backup",
    "plan",
    "policy_status",
]


def _due_slot(
    policy: BackupPolicySpec,
    observed: Observed,
    schedule: CronSchedule,
    now: datetime,
) -> tuple[CreateBackup | None, list[Note]]:
    """Return the backup to create now (if any) and notes about slots that did not run."""
    slot = schedule.previous_at_or_before(now)
    if slot is None:
        return None, []
    done = {b.slot for b in observed.backups if b.trigger is Trigger.SCHEDULE}
    floor = max(
        (t for t in (observed.last_schedule_time, observed.created) if t is not None),
        default=None,
    )
    if slot in done or (floor is not None and slot <= floor):
        return None, []
    late = now - slot
    deadline = policy.schedule.starting_deadline
    if late > deadline.to_timedelta():
        missed = len(schedule.slots_between(floor or slot - timedelta(seconds=1), now))
        count = f"{missed}{'+' if missed >= MISSED_LIMIT else ''}"
        return None, [
            Note(
                Reason.SLOT_MISSED,
                f"{count} slot(s) missed, the newest at {slot.isoformat()} "
                f"({compliance.human(late)} ago, beyond startingDeadline {deadline}); "
                "the next slot will run",
            )
        ]
    if policy.suspend:
        return None, [
            Note(Reason.SUSPENDED, f"slot {slot.isoformat()} skipped: suspended", warning=False)
        ]
    in_flight = observed.in_flight_backup
    if in_flight is not None:
        return None, [
            Note(
                Reason.BACKUP_IN_FLIGHT,
                f"slot {slot.isoformat()} waits for {in_flight} to finish "
                f"(it may still start within {compliance.human(deadline.to_timedelta() - late)})",
                warning=False,
            )
        ]
    name = backup_name(observed.name, slot, Trigger.SCHEDULE)
    return CreateBackup(slot, name, Reason.SLOT_DUE), []


def _newest(backups: list[ObservedBackup], *, by_verified: bool = False) -> ObservedBackup | None:
    if not backups:
        return None
    if by_verified:
        return max(backups, key=lambda b: (b.verified_at or b.slot, b.name))
    return max(backups, key=lambda b: (b.slot, b.name))


def _status(
    *,
    observed: Observed,
    now: datetime,
    schedules: Schedules,
    next_slot: datetime | None,
    last_schedule: datetime | None,
    decisions: tuple[RetentionDecision, ...],
    verdicts: tuple[Verdict, ...],
) -> PlanStatus:
    findings = schedules.findings
    compliant, compliant_reason = compliance.overall(verdicts)
    last = _newest(list(observed.backups))
    good = _newest([b for b in observed.backups if b.good])
    verified = _newest([b for b in observed.backups if b.verified_good], by_verified=True)
    ring = observed.key_ring
    return PlanStatus(
        ready=not findings,
        ready_reason=findings[0].reason if findings else Reason.SPEC_VALID,
        ready_message="; ".join(f.message for f in findings) or "the spec is valid",
        compliant=compliant,
        compliant_reason=compliant_reason,
        effective_schedule=schedules.effective_cron,
        last_check_time=now,
        last_schedule_time=last_schedule,
        next_schedule_time=next_slot,
        retained_backups=sum(1 for d in decisions if d.keep)
        if decisions
        else len(observed.backups),
        last_backup=NamedTime(last.name, last.slot) if last else None,
        last_successful_backup=NamedTime(good.name, good.completed or good.slot) if good else None,
        last_verified=NamedTime(verified.name, verified.verified_at) if verified else None,
        last_verified_level=verified.verification_level if verified else None,
        last_verified_rto_seconds=verified.rto_seconds if verified else None,
        key_versions_in_use=rotation.versions_in_use(ring, observed.backups) if ring else (),
    )


def _wake(now: datetime, candidates: list[datetime | None]) -> datetime:
    future = [t for t in candidates if t is not None and t > now]
    return min([now + MAX_WAKE, *future])


def plan(policy: BackupPolicySpec, observed: Observed, now: datetime) -> Plan:
    """Return every decision for ``policy`` at ``now`` given what the controller ``observed``.

    ``now`` must be time-zone aware. With a spec finding (unknown time zone, cron that never
    fires, RPO shorter than the schedule) the plan has no actions and ``status.ready`` is
    False with the finding's reason; compliance is reported either way, also when suspended.
    """
    if now.tzinfo is None:
        raise ValueError("plan: now must be time-zone aware (use datetime.now(UTC))")
    try:
        schedules = parse_schedules(policy, observed.namespace, observed.name)
    except ScheduleError as exc:  # an unknown -random macro; the CRD pattern prevents it
        effective = policy.schedule.cron
        finding = Finding(Reason.INVALID_SCHEDULE, f"spec.schedule.cron: {exc}")
        schedules = Schedules(effective, None, None, (finding,))
    verdicts = compliance.evaluate(policy, observed, now)
    actions: list[Action] = []
    notes: list[Note] = []
    decisions: tuple[RetentionDecision, ...] = ()
    next_slot: datetime | None = None
    last_schedule = observed.last_schedule_time
    wake: list[datetime | None] = [_compliance_change(policy, observed)]
    if schedules.backup is not None and not schedules.findings:
        schedule = schedules.backup
        next_slot = schedule.next_after(now)
        wake.append(next_slot)
        create, slot_notes = _due_slot(policy, observed, schedule, now)
        notes.extend(slot_notes)
        if create is not None:
            actions.append(create)
            last_schedule = create.slot
        elif any(n.reason is Reason.BACKUP_IN_FLIGHT for n in slot_notes):
            wake.append(now + IN_FLIGHT_POLL)
        decisions = retention.select(observed.backups, policy.retention, schedule.zone, now)
        deleting = frozenset(d.name for d in decisions if not d.keep)
        actions.extend(DeleteBackup(d.name, d.reason) for d in decisions if not d.keep)
        notes.extend(
            Note(Reason.RETENTION_FUTURE, f"{d.name} has a slot after now; kept (clock skew?)")
            for d in decisions
            if d.reason is Reason.RETENTION_FUTURE
        )
        check = verification.decide(
            policy, observed, now, excluded=deleting, schedule=schedules.verification
        )
        if check.action is not None:
            actions.append(check.action)
        wake.append(check.next_due)
        actions.extend(
            rotation.plan_rotation(policy, observed.key_ring, observed.backups, now, deleting)
        )
        if observed.key_ring is not None:
            wake.append(rotation.rotation_due_at(policy, observed.key_ring))
    status = _status(
        observed=observed,
        now=now,
        schedules=schedules,
        next_slot=next_slot,
        last_schedule=last_schedule,
        decisions=decisions,
        verdicts=verdicts,
    )
    return Plan(
        actions=tuple(actions),
        next_wake=max(now + MIN_WAKE, _wake(now, wake)),
        verdicts=verdicts,
        status=status,
        retention=decisions,
        notes=tuple(notes),
    )


def _compliance_change(policy: BackupPolicySpec, observed: Observed) -> datetime | None:
    """Return when the RPO verdict of the current newest backup turns False."""
    newest = compliance.newest_good(observed)
    if newest is None:
        return None
    return newest.recovery_point + policy.objectives.rpo.to_timedelta()
