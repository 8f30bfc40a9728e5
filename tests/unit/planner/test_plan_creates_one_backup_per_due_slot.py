"""The planner creates exactly one Backup per slot, late only within startingDeadline.

Only the newest missed slot ever runs; at most one backup is in flight per policy; a suspended
policy creates nothing but is still judged for compliance.
"""

from __future__ import annotations

from planner_world import at, backup, given_policy, observed

from strongroom.api import BackupPhase, Trigger
from strongroom.planner import CreateBackup, Reason, plan


def creates(result: object) -> list[CreateBackup]:
    return [a for a in result.actions if isinstance(a, CreateBackup)]  # type: ignore[attr-defined]


def test_a_due_slot_gets_a_backup_with_a_deterministic_name() -> None:
    result = plan(given_policy(), observed(), at("2026-05-01 03:00:20"))
    assert creates(result) == [
        CreateBackup(at("2026-05-01 03:00"), "orders-202605010300", Reason.SLOT_DUE)
    ]
    assert result.status.last_schedule_time == at("2026-05-01 03:00")
    assert result.status.next_schedule_time == at("2026-05-02 03:00")


def test_a_slot_that_already_has_its_backup_is_not_created_again() -> None:
    world = observed(backup("2026-05-01 03:00", phase=BackupPhase.RUNNING))
    assert creates(plan(given_policy(), world, at("2026-05-01 03:01"))) == []


def test_a_slot_recorded_as_last_schedule_time_is_not_created_again() -> None:
    world = observed(last_schedule_time=at("2026-05-01 03:00"))
    assert creates(plan(given_policy(), world, at("2026-05-01 03:05"))) == []


def test_a_missed_slot_still_runs_within_the_starting_deadline() -> None:
    policy = given_policy(schedule={"cron": "0 3 * * *", "startingDeadline": "2h"})
    result = plan(policy, observed(), at("2026-05-01 04:59"))
    assert [c.slot for c in creates(result)] == [at("2026-05-01 03:00")]


def test_a_slot_older_than_the_starting_deadline_is_skipped_and_reported() -> None:
    policy = given_policy(schedule={"cron": "0 * * * *", "startingDeadline": "30m"})
    world = observed(last_schedule_time=at("2026-05-01 00:00"))
    result = plan(policy, world, at("2026-05-01 05:45"))
    assert creates(result) == []
    [note] = [n for n in result.notes if n.reason is Reason.SLOT_MISSED]
    assert "5 slot(s) missed" in note.message
    assert "2026-05-01T05:00:00+00:00" in note.message


def test_after_an_outage_only_the_newest_missed_slot_runs() -> None:
    policy = given_policy(schedule={"cron": "0 * * * *", "startingDeadline": "1h"})
    world = observed(last_schedule_time=at("2026-05-01 00:00"))
    result = plan(policy, world, at("2026-05-01 05:10"))
    assert [c.slot for c in creates(result)] == [at("2026-05-01 05:00")]


def test_a_slot_before_the_policy_existed_never_runs() -> None:
    world = observed(created=at("2026-05-01 03:00:30"))
    assert creates(plan(given_policy(), world, at("2026-05-01 03:01"))) == []


def test_a_due_slot_waits_while_another_backup_is_in_flight() -> None:
    world = observed(backup("2026-04-30 03:00", phase=BackupPhase.RUNNING))
    result = plan(given_policy(), world, at("2026-05-01 03:00:10"))
    assert creates(result) == []
    assert [n.reason for n in result.notes] == [Reason.BACKUP_IN_FLIGHT]
    assert result.next_wake == at("2026-05-01 03:01:10")


def test_a_manual_backup_in_flight_also_holds_the_slot() -> None:
    manual = backup(
        "2026-05-01 02:59", name="orders-manual-20260501025900", phase=None, trigger=Trigger.MANUAL
    )
    assert creates(plan(given_policy(), observed(manual), at("2026-05-01 03:00:10"))) == []


def test_a_suspended_policy_creates_nothing_but_is_still_judged() -> None:
    result = plan(given_policy(suspend=True), observed(), at("2026-05-01 03:00:10"))
    assert creates(result) == []
    assert [n.reason for n in result.notes] == [Reason.SUSPENDED]
    rpo = next(v for v in result.verdicts if v.check == "rpo")
    assert (rpo.status, rpo.reason) == ("False", Reason.NEVER_BACKED_UP)
    assert result.status.compliant == "False"


def test_the_plan_is_the_same_for_the_same_inputs() -> None:
    world = observed(backup("2026-04-30 03:00"))
    now = at("2026-05-01 03:00:10")
    assert plan(given_policy(), world, now) == plan(given_policy(), world, now)


def test_next_wake_is_the_next_slot_or_an_hour_at_most() -> None:
    daily = plan(given_policy(), observed(backup("2026-05-01 03:00")), at("2026-05-01 23:30"))
    assert daily.next_wake == at("2026-05-02 00:30")
    minutely = given_policy(schedule={"cron": "*/5 * * * *"}, objectives={"rpo": "1h"})
    assert plan(minutely, observed(), at("2026-05-01 10:01")).next_wake == at("2026-05-01 10:05")
