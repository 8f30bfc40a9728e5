"""Retention keeps the newest of each bucket, counted back from the newest (restic forget)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from planner_world import at, backup, given_policy

from strongroom.api import BackupPhase
from strongroom.api.backup import VerificationResult
from strongroom.planner import Reason
from strongroom.planner.retention import kept_names, select

UTC_ZONE = ZoneInfo("UTC")
NOW = at("2026-06-30 12:00")


def hourly_backups(hours: int) -> list:
    start = at("2026-06-30 11:00")
    return [backup(start - timedelta(hours=h)) for h in range(hours)]


def reasons(decisions: tuple, name: str) -> tuple:
    return next(d.reasons for d in decisions if d.name == name)


def test_keep_last_keeps_the_newest_n_and_deletes_the_rest_with_reasons() -> None:
    backups = tuple(hourly_backups(5))
    decisions = select(backups, given_policy(retention={"keepLast": 2}).retention, UTC_ZONE, NOW)
    assert kept_names(decisions) == {"orders-202606301100", "orders-202606301000"}
    assert reasons(decisions, "orders-202606301100") == (Reason.RETENTION_LAST,)
    assert reasons(decisions, "orders-202606300700") == (Reason.RETENTION_NOT_SELECTED,)


def test_daily_keeps_the_newest_backup_of_each_of_the_last_n_days() -> None:
    backups = tuple(hourly_backups(24 * 4))  # four days of hourly backups
    rules = given_policy(retention={"keepLast": None, "daily": 3}).retention
    decisions = select(backups, rules, UTC_ZONE, NOW)
    assert sorted(kept_names(decisions)) == [
        "orders-202606282300",
        "orders-202606292300",
        "orders-202606301100",
    ]
    assert reasons(decisions, "orders-202606292300") == (Reason.RETENTION_DAILY,)


def test_buckets_are_in_the_policy_time_zone() -> None:
    # 22:30 UTC on the 29th is already the 30th in Berlin (CEST, +02:00).
    backups = (backup("2026-06-29 21:30"), backup("2026-06-29 22:30"))
    rules = given_policy(retention={"keepLast": None, "daily": 2}).retention
    in_utc = kept_names(select(backups, rules, UTC_ZONE, NOW))
    in_berlin = kept_names(select(backups, rules, ZoneInfo("Europe/Berlin"), NOW))
    assert in_utc == {"orders-202606292230"}  # same UTC day: the newest of it
    assert in_berlin == {"orders-202606292130", "orders-202606292230"}


def test_one_backup_can_be_kept_by_several_rules_and_says_so() -> None:
    backups = tuple(hourly_backups(3))
    rules = given_policy(retention={"keepLast": 1, "daily": 1, "monthly": 1, "yearly": 1}).retention
    decisions = select(backups, rules, UTC_ZONE, NOW)
    assert reasons(decisions, "orders-202606301100") == (
        Reason.RETENTION_LAST,
        Reason.RETENTION_DAILY,
        Reason.RETENTION_MONTHLY,
        Reason.RETENTION_YEARLY,
    )


def test_weekly_uses_iso_weeks() -> None:
    # Sunday 2026-06-28 and Monday 2026-06-29 are in different ISO weeks.
    backups = (backup("2026-06-28 03:00"), backup("2026-06-29 03:00"), backup("2026-06-27 03:00"))
    rules = given_policy(retention={"keepLast": None, "weekly": 2}).retention
    assert kept_names(select(backups, rules, UTC_ZONE, NOW)) == {
        "orders-202606290300",
        "orders-202606280300",
    }


def test_max_age_deletes_what_a_rule_would_keep() -> None:
    backups = (backup("2026-06-30 03:00"), backup("2026-05-01 03:00"))
    rules = given_policy(retention={"keepLast": None, "monthly": 12, "maxAge": "30d"}).retention
    decisions = select(backups, rules, UTC_ZONE, NOW)
    assert kept_names(decisions) == {"orders-202606300300"}
    assert reasons(decisions, "orders-202605010300") == (Reason.RETENTION_EXPIRED,)
    kept = next(d for d in decisions if d.keep)
    assert kept.deadline == at("2026-07-30 03:00")


def test_failed_and_corrupt_backups_do_not_fill_buckets_but_the_newest_of_each_is_evidence() -> (
    None
):
    backups = (
        backup("2026-06-30 03:00", phase=BackupPhase.FAILED),
        backup("2026-06-29 03:00", corrupt=True, verified=VerificationResult.FAILED),
        backup("2026-06-28 03:00"),
        backup("2026-06-27 03:00", phase=BackupPhase.FAILED),
        backup("2026-06-26 03:00", corrupt=True),
    )
    rules = given_policy(retention={"keepLast": 1}).retention
    decisions = select(backups, rules, UTC_ZONE, NOW)
    assert reasons(decisions, "orders-202606280300") == (Reason.RETENTION_LAST,)
    assert reasons(decisions, "orders-202606300300") == (Reason.RETENTION_NEWEST_FAILED,)
    assert reasons(decisions, "orders-202606290300") == (Reason.RETENTION_NEWEST_CORRUPT,)
    assert reasons(decisions, "orders-202606270300") == (Reason.RETENTION_OLDER_FAILURE,)
    assert reasons(decisions, "orders-202606260300") == (Reason.RETENTION_OLDER_FAILURE,)
