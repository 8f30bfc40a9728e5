"""Across DST transitions a slot is never skipped and never run twice (Europe/Berlin, New York).

The rule (planner/schedule.py): a wall time that does not exist runs once, shifted forward by
the gap; a repeated wall time runs once at its first occurrence, unless the hour field is `*`,
in which case both occurrences run because "every hour" is about elapsed time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st
from planner_world import at

from strongroom.planner.schedule import CronSchedule


def local(schedule: CronSchedule, slots: list[datetime]) -> list[str]:
    return [s.astimezone(schedule.zone).strftime("%m-%d %H:%M%z") for s in slots]


def test_spring_forward_runs_the_missing_0230_once_at_0330() -> None:
    daily = CronSchedule.parse("30 2 * * *", "Europe/Berlin")
    slots = daily.slots_between(at("2026-03-27 12:00"), at("2026-03-31 12:00"))
    assert local(daily, slots) == [
        "03-28 02:30+0100",
        "03-29 03:30+0200",  # 02:30 does not exist that night
        "03-30 02:30+0200",
        "03-31 02:30+0200",
    ]


def test_fall_back_runs_the_repeated_0230_once_at_its_first_occurrence() -> None:
    daily = CronSchedule.parse("30 2 * * *", "Europe/Berlin")
    slots = daily.slots_between(at("2026-10-23 12:00"), at("2026-10-27 12:00"))
    assert local(daily, slots) == [
        "10-24 02:30+0200",
        "10-25 02:30+0200",  # not again at 02:30+0100
        "10-26 02:30+0100",
        "10-27 02:30+0100",
    ]


def test_hourly_runs_every_real_hour_through_both_transitions() -> None:
    hourly = CronSchedule.parse("0 * * * *", "Europe/Berlin")
    for start in (at("2026-03-28 22:00"), at("2026-10-24 22:00")):
        slots = hourly.slots_between(start, start + timedelta(hours=6))
        gaps = {b - a for a, b in pairwise(slots)}
        assert gaps == {timedelta(hours=1)}, local(hourly, slots)
        assert len(slots) == 6


def test_new_york_transitions_follow_the_same_rule() -> None:
    # New York skips 02:00-03:00 in March and repeats 01:00-02:00 in November.
    spring_daily = CronSchedule.parse("30 2 * * *", "America/New_York")
    autumn_daily = CronSchedule.parse("30 1 * * *", "America/New_York")
    spring = spring_daily.slots_between(at("2026-03-07 12:00"), at("2026-03-10 12:00"))
    autumn = autumn_daily.slots_between(at("2026-10-31 12:00"), at("2026-11-03 12:00"))
    assert local(spring_daily, spring) == [
        "03-08 03:30-0400",
        "03-09 02:30-0400",
        "03-10 02:30-0400",
    ]
    assert local(autumn_daily, autumn) == [
        "11-01 01:30-0400",
        "11-02 01:30-0500",
        "11-03 01:30-0500",
    ]


def test_previous_slot_is_the_newest_at_or_before_now() -> None:
    daily = CronSchedule.parse("30 2 * * *", "Europe/Berlin")
    assert daily.previous_at_or_before(at("2026-03-29 01:30")) == at("2026-03-29 01:30")
    assert daily.previous_at_or_before(at("2026-03-29 01:29")) == at("2026-03-28 01:30")


def test_the_interval_estimate_ignores_dst_and_sees_weekends() -> None:
    berlin = CronSchedule.parse("30 2 * * *", "Europe/Berlin")
    assert berlin.longest_interval() == timedelta(days=1)
    assert CronSchedule.parse("0 0 29 2 *", "UTC").longest_interval() == timedelta(days=1461)
    assert CronSchedule.parse("0 3 * * 1-5", "UTC").longest_interval() == timedelta(days=3)
    assert CronSchedule.parse("*/15 * * * *", "UTC").longest_interval() == timedelta(minutes=15)
    assert CronSchedule.parse("@monthly", "UTC").longest_interval() == timedelta(days=31)


ZONES = st.sampled_from(
    ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC", "Asia/Kolkata"]
)
EXPRESSIONS = st.sampled_from(
    ["30 2 * * *", "0 * * * *", "*/20 * * * *", "15 1,2,3 * * *", "0 0 * * 0"]
)
INSTANTS = st.datetimes(
    min_value=datetime(2025, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
).map(lambda d: d.replace(tzinfo=UTC))


@settings(deadline=None, max_examples=20)
@given(expression=EXPRESSIONS, zone=ZONES, start=INSTANTS)
def test_slots_strictly_increase_and_previous_inverts_next(
    expression: str, zone: str, start: datetime
) -> None:
    schedule = CronSchedule.parse(expression, zone)
    slots = schedule.slots_between(start, start + timedelta(days=3), limit=20)
    assert slots == sorted(set(slots))
    assert all(s > start for s in slots)
    for slot in slots[:5]:
        assert schedule.previous_at_or_before(slot) == slot
        assert schedule.previous_at_or_before(slot - timedelta(seconds=1)) < slot
