"""Backup resources become planner input, and a plan becomes a valid BackupPolicy.status."""

from __future__ import annotations

from planner_world import at, backup, given_policy, observed, ring

from strongroom import planner
from strongroom.api import BackupPhase, BackupPolicyStatus, BackupSpec, BackupStatus
from strongroom.api.backup import VerificationResult
from strongroom.planner import observed_backup, plan, policy_status


def test_a_backup_resource_becomes_an_observed_backup() -> None:
    spec = BackupSpec.model_validate(
        {"policyRef": {"name": "orders"}, "scheduledTime": "2026-06-30T03:00:00Z"}
    )
    status = BackupStatus.model_validate(
        {
            "phase": "Succeeded",
            "startTime": "2026-06-30T03:00:05Z",
            "keyVersion": 2,
            "verification": {
                "level": "equivalence",
                "result": "Passed",
                "time": "2026-06-30T06:00:00Z",
                "rtoSeconds": 42.5,
            },
            "someFieldFromANewerOperator": True,
        }
    )
    seen = observed_backup("orders-202606300300", spec, status)
    assert seen.slot == at("2026-06-30 03:00")
    assert seen.phase is BackupPhase.SUCCEEDED
    assert seen.verified_good
    assert (seen.key_version, seen.rto_seconds, seen.verified_at) == (
        2,
        42.5,
        at("2026-06-30 06:00"),
    )
    assert observed_backup("x", spec, None).in_flight


def test_a_plan_becomes_a_policy_status_that_serialises_in_camel_case() -> None:
    world = observed(
        backup("2026-06-30 03:00", verified=VerificationResult.PASSED),
        key_ring=ring("2026-06-01 00:00"),
    )
    result = plan(given_policy(), world, at("2026-06-30 12:00"))
    status = policy_status(result, world, observed_generation=3)
    dumped = status.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert dumped["compliant"] == "True"
    assert dumped["complianceChecks"]["rpo"]["reason"] == "BackupWithinRPO"
    assert dumped["lastSuccessfulBackup"]["name"] == "orders-202606300300"
    assert dumped["keyRing"]["versionsInUse"] == [1]
    assert dumped["effectiveSchedule"] == "0 3 * * *"
    assert BackupPolicyStatus.model_validate(dumped) == status


def test_planner_exports_are_curated() -> None:
    assert planner.__all__ == sorted(planner.__all__, key=lambda n: (n[0].islower(), n))
    for name in planner.__all__:
        assert hasattr(planner, name)
