"""@daily-random and friends resolve to one fixed time per policy, recorded as effectiveSchedule."""

from __future__ import annotations

from planner_world import at, given_policy, observed

from strongroom.planner import plan
from strongroom.planner.schedule import CronSchedule, resolve_jitter


def test_the_same_policy_always_gets_the_same_minute_and_hour() -> None:
    first = resolve_jitter("@daily-random", "shop", "orders")
    assert first == resolve_jitter("@daily-random", "shop", "orders")
    minute, hour, *rest = first.split()
    assert 0 <= int(minute) < 60
    assert 0 <= int(hour) < 24
    assert rest == ["*", "*", "*"]


def test_policies_spread_over_the_day() -> None:
    hours = {resolve_jitter("@daily-random", "shop", f"db-{i}").split()[1] for i in range(50)}
    assert len(hours) > 10


def test_hourly_and_weekly_random_fix_only_their_fields() -> None:
    hourly = resolve_jitter("@hourly-random", "shop", "orders").split()
    weekly = resolve_jitter("@weekly-random", "shop", "orders").split()
    assert hourly[1:] == ["*", "*", "*", "*"]
    assert weekly[2:4] == ["*", "*"]
    assert 0 <= int(weekly[4]) <= 6
    CronSchedule.parse(" ".join(weekly), "UTC")


def test_fixed_expressions_are_left_alone() -> None:
    assert resolve_jitter("0 3 * * *", "shop", "orders") == "0 3 * * *"
    assert resolve_jitter("@daily", "shop", "orders") == "@daily"


def test_the_effective_schedule_is_reported_in_status() -> None:
    policy = given_policy(schedule={"cron": "@hourly-random"}, objectives={"rpo": "2h"})
    status = plan(policy, observed(), at("2026-05-01 10:00")).status
    assert status.effective_schedule == resolve_jitter("@hourly-random", "shop", "orders")
    minute = int(status.effective_schedule.split()[0])
    assert status.next_schedule_time is not None
    assert status.next_schedule_time.minute == minute
