"""Spec checks the API server cannot make: they become ``Ready=False`` with a reason.

CEL cannot read the tz database, evaluate a cron expression or compare an RPO with the
interval a cron expression implies, so those checks live here. The pydantic models accept
exactly what the CRD accepts; these findings are about meaning, not shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.api.policy import BackupPolicySpec
from strongroom.planner.compliance import human
from strongroom.planner.reasons import Reason
from strongroom.planner.schedule import CronSchedule, ScheduleError, resolve_jitter


@dataclass(frozen=True)
class Finding:
    """One thing wrong with a spec: a reason and a sentence that names the field and the fix."""

    reason: Reason
    message: str


@dataclass(frozen=True)
class Schedules:
    """The parsed schedules of a policy (``None`` where a finding was made)."""

    effective_cron: str
    backup: CronSchedule | None
    verification: CronSchedule | None
    findings: tuple[Finding, ...]


def parse_schedules(policy: BackupPolicySpec, namespace: str, name: str) -> Schedules:
    """Parse the backup and verification schedules and check the RPO against the interval."""
    findings: list[Finding] = []
    effective = resolve_jitter(policy.schedule.cron, namespace, name)
    backup: CronSchedule | None = None
    verification: CronSchedule | None = None
    zone_name = policy.schedule.time_zone
    try:
        backup = CronSchedule.parse(effective, zone_name)
    except ScheduleError as exc:
        reason = Reason.INVALID_SCHEDULE
        field = "spec.schedule.cron"
        if "time zone" in str(exc):
            reason, field = Reason.UNKNOWN_TIME_ZONE, "spec.schedule.timeZone"
        findings.append(Finding(reason, f"{field}: {exc}"))
    if policy.verification.schedule is not None and backup is not None:
        try:
            verification = CronSchedule.parse(policy.verification.schedule, zone_name)
        except ScheduleError as exc:
            findings.append(
                Finding(Reason.INVALID_VERIFICATION_SCHEDULE, f"spec.verification.schedule: {exc}")
            )
    if backup is not None:
        interval = backup.longest_interval()
        rpo = policy.objectives.rpo
        if rpo.to_timedelta() < interval:
            findings.append(
                Finding(
                    Reason.RPO_SHORTER_THAN_SCHEDULE,
                    f"spec.objectives.rpo: {rpo} is shorter than the longest interval "
                    f"between backups ({human(interval)}); raise the RPO or schedule more often",
                )
            )
    return Schedules(effective, backup, verification, tuple(findings))
