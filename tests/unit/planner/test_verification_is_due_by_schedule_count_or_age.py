"""A verification is due by its schedule, after every Nth backup, or as the last one ages.

The target is always the newest good backup not yet verified; one verification at a time.
"""

from __future__ import annotations

from datetime import timedelta

from planner_world import at, backup, given_policy, observed

from strongroom.api import BackupPhase, VerificationLevel
from strongroom.api.backup import VerificationResult
from strongroom.planner import Reason, VerifyBackup, plan

NOW = at("2026-06-30 12:00")
PASSED = VerificationResult.PASSED


def verifications(policy: object, world: object) -> list[VerifyBackup]:
    return [a for a in plan(policy, world, NOW).actions if isinstance(a, VerifyBackup)]  # type: ignore[arg-type]


def test_never_verified_means_the_newest_good_backup_is_verified_now() -> None:
    world = observed(
        backup("2026-06-29 03:00"),
        backup("2026-06-30 03:00"),
        backup("2026-06-30 11:00", phase=BackupPhase.FAILED),
    )
    [action] = verifications(given_policy(), world)
    assert action == VerifyBackup(
        "orders-202606300300", VerificationLevel.EQUIVALENCE, Reason.VERIFICATION_AGING
    )


def test_with_defaults_a_verification_is_due_when_the_last_is_half_of_max_age_old() -> None:
    policy = given_policy(verification={"maxAge": "4d"})
    fresh = observed(
        backup("2026-06-29 03:00", verified=PASSED, verified_at=at("2026-06-29 04:00")),
        backup("2026-06-30 03:00"),
    )
    aging = observed(
        backup("2026-06-27 03:00", verified=PASSED, verified_at=at("2026-06-28 11:00")),
        backup("2026-06-30 03:00"),
    )
    assert verifications(policy, fresh) == []
    assert [v.name for v in verifications(policy, aging)] == ["orders-202606300300"]


def test_every_nth_backup_counts_good_backups_since_the_last_verified_one() -> None:
    policy = given_policy(verification={"everyNthBackup": 3, "level": "restorability"})
    verified = backup(NOW - timedelta(days=4), verified=PASSED)
    two_more = [backup(NOW - timedelta(days=d)) for d in (3, 2)]
    assert verifications(policy, observed(verified, *two_more)) == []
    three_more = [*two_more, backup(NOW - timedelta(days=1))]
    [action] = verifications(policy, observed(verified, *three_more))
    assert (action.level, action.reason) == (
        VerificationLevel.RESTORABILITY,
        Reason.VERIFICATION_EVERY_NTH,
    )
    assert action.name == three_more[-1].name


def test_a_verification_schedule_makes_one_due_after_each_of_its_slots() -> None:
    policy = given_policy(verification={"schedule": "0 6 * * *"})
    before_slot = observed(
        backup("2026-06-30 03:00"),
        backup("2026-06-29 03:00", verified=PASSED, verified_at=at("2026-06-29 06:10")),
    )
    assert [v.reason for v in verifications(policy, before_slot)] == [Reason.VERIFICATION_SCHEDULED]
    after_slot = observed(
        backup("2026-06-30 03:00", verified=PASSED, verified_at=at("2026-06-30 06:10"))
    )
    assert verifications(policy, after_slot) == []


def test_only_one_verification_runs_at_a_time() -> None:
    world = observed(backup("2026-06-30 03:00"), verification_in_flight="orders-202606290300")
    assert verifications(given_policy(), world) == []


def test_corrupt_and_already_verified_backups_are_not_candidates() -> None:
    world = observed(
        backup("2026-06-30 03:00", corrupt=True, verified=VerificationResult.FAILED),
        backup("2026-06-29 03:00", verified=PASSED, verified_at=at("2026-06-25 00:00")),
        backup("2026-06-28 03:00"),
    )
    assert [v.name for v in verifications(given_policy(), world)] == ["orders-202606280300"]
