"""A Restore's source: the named backup when usable, else the newest verified good one; or a
refusal whose reason is machine-readable and whose message names the field and the fix."""

from __future__ import annotations

import pytest
from planner_world import at, backup

from strongroom.api import BackupPhase
from strongroom.api.backup import VerificationResult
from strongroom.planner import ObservedBackup
from strongroom.planner.restore import (
    Chosen,
    RefusalReason,
    Refused,
    SourceRequest,
    choose_source,
)

PASSED, FAILED = VerificationResult.PASSED, VerificationResult.FAILED


def test_a_named_succeeded_backup_is_chosen_even_when_never_verified() -> None:
    named = backup("2026-03-01 03:00")
    choice = choose_source(SourceRequest(backup=named.name), (named,))
    assert choice == Chosen(named)


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        (backup("2026-03-01 03:00", corrupt=True, verified=FAILED), RefusalReason.BACKUP_CORRUPT),
        (backup("2026-03-01 03:00", phase=BackupPhase.FAILED), RefusalReason.BACKUP_NOT_SUCCEEDED),
        (backup("2026-03-01 03:00", phase=BackupPhase.RUNNING), RefusalReason.BACKUP_NOT_SUCCEEDED),
        (backup("2026-03-01 03:00", phase=None), RefusalReason.BACKUP_NOT_SUCCEEDED),
        (backup("2026-03-01 03:00", verified=FAILED), RefusalReason.BACKUP_VERIFICATION_FAILED),
    ],
    ids=["corrupt", "failed", "running", "not-started", "verification-failed"],
)
def test_a_named_backup_that_cannot_be_trusted_is_refused(
    given: ObservedBackup, reason: RefusalReason
) -> None:
    choice = choose_source(SourceRequest(backup=given.name), (given,))
    assert isinstance(choice, Refused)
    assert choice.reason is reason
    assert choice.message.startswith("spec.backupRef.name: ")
    assert given.name in choice.message


def test_a_missing_named_backup_is_refused_naming_it() -> None:
    other = backup("2026-03-01 03:00")
    choice = choose_source(SourceRequest(backup="orders-gone"), (other,))
    assert choice == Refused(
        RefusalReason.BACKUP_NOT_FOUND,
        "spec.backupRef.name: Backup orders-gone does not exist in this namespace; "
        "list them with `kubectl get backups`",
    )


def test_latest_verified_is_the_newest_recovery_point_whose_verification_passed() -> None:
    old_good = backup("2026-03-01 03:00", verified=PASSED)
    newer_good = backup("2026-03-02 03:00", verified=PASSED)
    newest_failed = backup("2026-03-03 03:00", verified=FAILED)
    newest_unverified = backup("2026-03-04 03:00")
    corrupt = backup("2026-03-05 03:00", verified=PASSED, corrupt=True)
    running = backup("2026-03-06 03:00", phase=BackupPhase.RUNNING)
    pool = (old_good, newest_failed, newer_good, newest_unverified, corrupt, running)
    choice = choose_source(SourceRequest(policy="orders"), pool)
    assert choice == Chosen(newer_good)


def test_latest_verified_is_refused_when_nothing_passed_verification() -> None:
    pool = (backup("2026-03-01 03:00"), backup("2026-03-02 03:00", verified=FAILED))
    choice = choose_source(SourceRequest(policy="orders"), pool)
    assert isinstance(choice, Refused)
    assert choice.reason is RefusalReason.NO_VERIFIED_BACKUP
    assert choice.message.startswith("spec.policyRef.name: policy orders ")


def test_the_choice_does_not_depend_on_the_order_backups_are_listed() -> None:
    a = backup("2026-03-01 03:00", verified=PASSED, verified_at=at("2026-03-09 00:00"))
    b = backup("2026-03-02 03:00", verified=PASSED, verified_at=at("2026-03-02 04:00"))
    assert choose_source(SourceRequest(policy="orders"), (a, b)) == Chosen(b)
    assert choose_source(SourceRequest(policy="orders"), (b, a)) == Chosen(b)
