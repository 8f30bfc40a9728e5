"""Each compliance check gives True/False/Unknown with a machine reason and a sentence.

The same functions feed status, metrics and `strongroom report`, called as (policy, observed, now).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from planner_world import at, backup, given_policy, observed, ring

from strongroom.api import BackupPhase
from strongroom.api.backup import EquivalenceMethod, VerificationResult
from strongroom.planner import Reason, plan
from strongroom.planner.compliance import (
    check_encryption,
    check_retention,
    check_rpo,
    check_verification,
    evaluate,
    overall,
)

NOW = at("2026-06-30 12:00")
PASSED, FAILED = VerificationResult.PASSED, VerificationResult.FAILED


def test_rpo_never_backed_up() -> None:
    verdict = check_rpo(
        given_policy(), observed(backup("2026-06-30 03:00", phase=BackupPhase.FAILED)), NOW
    )
    assert (verdict.status, verdict.reason) == ("False", Reason.NEVER_BACKED_UP)


def test_rpo_within_and_beyond() -> None:
    policy = given_policy(objectives={"rpo": "26h"})
    within = check_rpo(policy, observed(backup(NOW - timedelta(hours=25))), NOW)
    beyond = check_rpo(policy, observed(backup(NOW - timedelta(hours=27))), NOW)
    assert (within.status, within.reason) == ("True", Reason.BACKUP_WITHIN_RPO)
    assert (beyond.status, beyond.reason) == ("False", Reason.BACKUP_TOO_OLD)
    assert "1d3h old" in beyond.message
    assert "26h" in beyond.message


def test_a_corrupt_backup_is_not_a_recovery_point() -> None:
    world = observed(backup(NOW - timedelta(hours=1), corrupt=True, verified=FAILED))
    assert check_rpo(given_policy(), world, NOW).reason == Reason.NEVER_BACKED_UP


def test_retention_overdue_when_something_older_than_max_age_is_still_stored() -> None:
    policy = given_policy(retention={"maxAge": "30d"})
    ok = check_retention(policy, observed(backup(NOW - timedelta(days=29))), NOW)
    overdue = check_retention(
        policy, observed(backup(NOW - timedelta(days=29)), backup(NOW - timedelta(days=32))), NOW
    )
    assert (ok.status, ok.reason) == ("True", Reason.RETENTION_ENFORCED)
    assert (overdue.status, overdue.reason) == ("False", Reason.RETENTION_OVERDUE)
    assert "orders-20260529" in overdue.message


def test_retention_allows_the_newest_verified_backup_past_max_age_and_says_so() -> None:
    policy = given_policy(retention={"maxAge": "30d"})
    world = observed(backup(NOW - timedelta(days=40), verified=PASSED))
    verdict = check_retention(policy, world, NOW)
    assert verdict.status == "True"
    assert "newest verified good backup" in verdict.message


def test_encryption_by_key_age() -> None:
    policy = given_policy()
    young = check_encryption(policy, observed(key_ring=ring(NOW - timedelta(days=89))), NOW)
    old = check_encryption(policy, observed(key_ring=ring(NOW - timedelta(days=91))), NOW)
    unknown = check_encryption(policy, observed(), NOW)
    assert (young.status, young.reason) == ("True", Reason.KEY_WITHIN_ROTATION_PERIOD)
    assert (old.status, old.reason) == ("False", Reason.KEY_TOO_OLD)
    assert (unknown.status, unknown.reason) == ("Unknown", Reason.KEY_RING_NOT_OBSERVED)


def test_verification_verdicts() -> None:
    policy = given_policy(verification={"maxAge": "7d"})
    never = check_verification(policy, observed(backup(NOW - timedelta(days=1))), NOW)
    recent = check_verification(
        policy, observed(backup(NOW - timedelta(days=1), verified=PASSED)), NOW
    )
    stale = check_verification(
        policy, observed(backup(NOW - timedelta(days=9), verified=PASSED)), NOW
    )
    failed = check_verification(
        policy,
        observed(
            backup(NOW - timedelta(days=2), verified=PASSED),
            backup(NOW - timedelta(days=1), verified=FAILED, corrupt=True),
        ),
        NOW,
    )
    assert (never.status, never.reason) == ("False", Reason.NEVER_VERIFIED)
    assert (recent.status, recent.reason) == ("True", Reason.VERIFIED_RECENTLY)
    assert (stale.status, stale.reason) == ("False", Reason.VERIFICATION_TOO_OLD)
    assert (failed.status, failed.reason) == ("False", Reason.VERIFICATION_FAILED)


def test_overall_is_true_only_when_every_check_passes() -> None:
    good = observed(
        backup(NOW - timedelta(hours=2), verified=PASSED), key_ring=ring(NOW - timedelta(days=1))
    )
    verdicts = evaluate(given_policy(), good, NOW)
    assert [v.check for v in verdicts] == ["rpo", "retention", "encryption", "verification"]
    assert overall(verdicts) == ("True", Reason.ALL_CHECKS_PASS)
    unknown = evaluate(
        given_policy(), observed(backup(NOW - timedelta(hours=2), verified=PASSED)), NOW
    )
    assert overall(unknown) == ("Unknown", Reason.CHECKS_UNKNOWN)
    result = plan(given_policy(), good, NOW)
    assert result.status.compliant == "True"
    assert result.status.last_verified is not None


def test_a_recent_pass_that_compared_row_counts_only_says_so() -> None:
    policy = given_policy(verification={"maxAge": "7d"})
    passed = backup(NOW - timedelta(days=1), verified=PASSED)
    verdicts = {
        method: check_verification(
            policy, observed(replace(passed, verification_equivalence=method)), NOW
        )
        for method in (EquivalenceMethod.CONTENT, EquivalenceMethod.ROW_COUNTS)
    }
    counts = verdicts[EquivalenceMethod.ROW_COUNTS]
    assert (counts.status, counts.reason) == ("True", Reason.VERIFIED_RECENTLY)
    assert "row counts only" in counts.message
    assert f"{passed.name}'s status.verification.equivalenceReason" in counts.message
    assert "row counts" not in verdicts[EquivalenceMethod.CONTENT].message
