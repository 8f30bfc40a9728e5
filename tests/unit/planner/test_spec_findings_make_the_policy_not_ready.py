"""What CEL cannot check becomes Ready=False with a reason, and no action is taken."""

from __future__ import annotations

from planner_world import at, backup, given_policy, observed

from strongroom.planner import Reason, plan

NOW = at("2026-06-30 12:00")


def test_a_time_zone_missing_from_the_tz_database() -> None:
    result = plan(given_policy(schedule={"timeZone": "Europe/Atlantis"}), observed(), NOW)
    assert not result.status.ready
    assert result.status.ready_reason == Reason.UNKNOWN_TIME_ZONE
    assert "spec.schedule.timeZone" in result.status.ready_message
    assert result.actions == ()


def test_a_cron_expression_that_never_fires_or_is_out_of_range() -> None:
    for cron in ("0 0 31 2 *", "61 * * * *"):
        result = plan(given_policy(schedule={"cron": cron}), observed(), NOW)
        assert result.status.ready_reason == Reason.INVALID_SCHEDULE, cron
        assert "spec.schedule.cron" in result.status.ready_message


def test_an_rpo_shorter_than_the_schedule_interval() -> None:
    result = plan(
        given_policy(schedule={"cron": "0 3 * * 1-5"}, objectives={"rpo": "26h"}), observed(), NOW
    )
    assert result.status.ready_reason == Reason.RPO_SHORTER_THAN_SCHEDULE
    assert (
        "spec.objectives.rpo: 26h is shorter than the longest interval between backups (3d)"
        in result.status.ready_message
    )


def test_a_bad_verification_schedule() -> None:
    result = plan(given_policy(verification={"schedule": "0 0 30 2 *"}), observed(), NOW)
    assert result.status.ready_reason == Reason.INVALID_VERIFICATION_SCHEDULE


def test_compliance_is_still_reported_and_nothing_is_deleted_when_not_ready() -> None:
    world = observed(*(backup(f"2026-06-{d:02d} 03:00") for d in range(1, 30)))
    result = plan(given_policy(schedule={"timeZone": "Europe/Atlantis"}), world, NOW)
    assert result.actions == ()
    assert len(result.verdicts) == 4
    assert result.status.ready_reason == Reason.UNKNOWN_TIME_ZONE


def test_a_valid_spec_is_ready() -> None:
    status = plan(given_policy(), observed(), NOW).status
    assert (status.ready, status.ready_reason) == (True, Reason.SPEC_VALID)
