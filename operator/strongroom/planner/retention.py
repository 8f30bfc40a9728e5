"""Retention: which backups to keep and which to delete, with a reason for each.

The algorithm is restic's ``forget`` (also K8up's): walk the successful backups newest first;
``keepLast`` keeps the first N; each of ``hourly``/``daily``/``weekly``/``monthly``/``yearly``
keeps the newest backup of each of its N newest buckets that have one (buckets are calendar
periods in the policy's time zone; weeks are ISO weeks). ``maxAge`` then drops anything a rule
kept that is older than the limit.

Invariants, which override every rule (RELIABILITY.md):

* the newest verified good backup is never deleted (F13), even past ``maxAge``;
* a backup whose slot is after ``now`` is kept and reported, never deleted (F6: with clock
  skew it may be the newest there is);
* a backup still in flight (Pending, Running, not started) is never deleted;
* the newest failed and the newest corrupt backup are kept as evidence; older ones go;
* a deletion once begun is always finished (its data may already be gone).

Re-running the selection on the kept set keeps all of it (idempotent), so a plan interrupted
half-way and planned again converges.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from strongroom.api.common import BackupPhase
from strongroom.api.policy import RetentionSpec
from strongroom.planner.model import ObservedBackup, RetentionDecision
from strongroom.planner.reasons import Reason

BucketKey = Callable[[datetime], Hashable]

_BUCKETS: Final[tuple[tuple[str, Reason, BucketKey], ...]] = (
    ("hourly", Reason.RETENTION_HOURLY, lambda t: (t.year, t.month, t.day, t.hour, t.fold)),
    ("daily", Reason.RETENTION_DAILY, lambda t: (t.year, t.month, t.day)),
    ("weekly", Reason.RETENTION_WEEKLY, lambda t: t.isocalendar()[:2]),
    ("monthly", Reason.RETENTION_MONTHLY, lambda t: (t.year, t.month)),
    ("yearly", Reason.RETENTION_YEARLY, lambda t: t.year),
)


def _newest_first(backups: list[ObservedBackup]) -> list[ObservedBackup]:
    return sorted(backups, key=lambda b: (b.slot, b.name), reverse=True)


def _rule_keeps(
    good: list[ObservedBackup], rules: RetentionSpec, zone: ZoneInfo
) -> dict[str, list[Reason]]:
    """Apply keepLast and the calendar buckets to ``good`` (newest first)."""
    kept: dict[str, list[Reason]] = {}
    for backup in good[: rules.keep_last or 0]:
        kept.setdefault(backup.name, []).append(Reason.RETENTION_LAST)
    for field, reason, key in _BUCKETS:
        remaining: int = getattr(rules, field) or 0
        last: Hashable = None
        for backup in good:
            if remaining <= 0:
                break
            bucket = key(backup.slot.astimezone(zone))
            if bucket != last:
                kept.setdefault(backup.name, []).append(reason)
                remaining -= 1
                last = bucket
    return kept


def select(  # noqa: C901 - one pass per invariant, in the order the docstring gives
    backups: tuple[ObservedBackup, ...],
    rules: RetentionSpec,
    zone: ZoneInfo,
    now: datetime,
) -> tuple[RetentionDecision, ...]:
    """Decide keep or delete for every backup, newest first, each with its reasons.

    A backup retention already began deleting (``deleting``) is deleted again, whatever the
    rules say now: its objects may be gone and its audit record is not yet complete.
    """
    everything = backups
    resumed = [b for b in backups if b.deleting]
    backups = tuple(b for b in backups if not b.deleting)
    max_age: timedelta | None = rules.max_age.to_timedelta() if rules.max_age else None
    expired_before = now - max_age if max_age is not None else None
    future = [b for b in backups if b.slot > now]
    present = [b for b in backups if b.slot <= now]
    good = _newest_first([b for b in present if b.good])
    kept = _rule_keeps(good, rules, zone)

    def expired(backup: ObservedBackup) -> bool:
        return expired_before is not None and backup.slot < expired_before

    decisions: dict[str, RetentionDecision] = {
        b.name: RetentionDecision(b.name, keep=False, reasons=(Reason.RETENTION_RESUMED,))
        for b in resumed
    }

    def keep(backup: ObservedBackup, *reasons: Reason) -> None:
        deadline = backup.slot + max_age if max_age is not None else None
        decisions[backup.name] = RetentionDecision(
            backup.name, keep=True, reasons=reasons, deadline=deadline
        )

    def delete(backup: ObservedBackup, reason: Reason) -> None:
        decisions.setdefault(
            backup.name, RetentionDecision(backup.name, keep=False, reasons=(reason,))
        )

    for backup in future:
        keep(backup, Reason.RETENTION_FUTURE)
    for backup in present:
        if backup.in_flight:
            keep(backup, Reason.RETENTION_IN_FLIGHT)
    newest_verified = next((b for b in good if b.verified_good), None)
    if newest_verified is not None:
        keep(newest_verified, Reason.RETENTION_NEWEST_VERIFIED, *kept.get(newest_verified.name, []))
    for backup in good:
        if backup.name in decisions:
            continue
        if backup.name in kept and not expired(backup):
            keep(backup, *kept[backup.name])
        else:
            delete(
                backup,
                Reason.RETENTION_EXPIRED if expired(backup) else Reason.RETENTION_NOT_SELECTED,
            )
    _evidence(present, decisions, expired, keep, delete)
    order = _newest_first(list(everything))
    return tuple(decisions[b.name] for b in order if b.name in decisions)


def _evidence(
    present: list[ObservedBackup],
    decisions: dict[str, RetentionDecision],
    expired: Callable[[ObservedBackup], bool],
    keep: Callable[..., None],
    delete: Callable[[ObservedBackup, Reason], None],
) -> None:
    """Keep the newest failed and the newest corrupt backup; delete older ones."""
    failed = _newest_first([b for b in present if b.phase is BackupPhase.FAILED])
    corrupt = _newest_first([b for b in present if b.corrupt and b.phase is BackupPhase.SUCCEEDED])
    for group, reason in (
        (failed, Reason.RETENTION_NEWEST_FAILED),
        (corrupt, Reason.RETENTION_NEWEST_CORRUPT),
    ):
        for index, backup in enumerate(group):
            if backup.name in decisions:
                continue
            if index == 0 and not expired(backup):
                keep(backup, reason)
            else:
                delete(
                    backup,
                    Reason.RETENTION_EXPIRED if expired(backup) else Reason.RETENTION_OLDER_FAILURE,
                )


def kept_names(decisions: tuple[RetentionDecision, ...]) -> frozenset[str]:
    """Return the names retention keeps."""
    return frozenset(d.name for d in decisions if d.keep)
