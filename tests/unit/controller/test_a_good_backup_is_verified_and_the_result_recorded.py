"""The planner's VerifyBackup becomes a verify Job with only that backup's data key; its result
is recorded once on the Backup and turns the policy Verified and Compliant."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from tests.unit.controller.world import NS, World, succeeded

from strongroom.agent.report import AgentResult
from strongroom.api.backup import EquivalenceMethod
from strongroom.kube.base import SECRETS

NAME = "orders-202603021000"


async def backed_up() -> World:
    world = World()
    world.policy(verification={"level": "integrity"})
    await world.tick(force=True)
    world.now += timedelta(seconds=20)
    world.finish_job(f"{NAME}-backup", succeeded(NAME))
    await world.tick(force=True)
    return world


async def test_a_verify_job_gets_the_backups_own_data_key() -> None:
    world = await backed_up()
    names = [j["metadata"]["name"] for j in world.jobs()]
    assert f"{NAME}-verify" in names
    secret = world.kube.objects[(SECRETS.plural, NS, f"{NAME}-verify-key")]
    job_file = json.loads(base64.b64decode(secret["data"]["job.json"]))
    assert job_file["role"] == "verify"
    assert job_file["verify"]["level"] == "integrity"
    assert len(base64.b64decode(secret["data"]["dek"])) == 32


async def test_a_passed_verification_is_recorded_once_and_makes_the_policy_compliant() -> None:
    world = await backed_up()
    world.now += timedelta(seconds=10)
    result = AgentResult(
        role="verify", outcome="succeeded", level_reached="integrity", total_seconds=1.5,
        message="integrity verified",
    )  # fmt: skip
    world.finish_job(f"{NAME}-verify", result)
    await world.tick(force=True)
    backup = next(b for b in world.backups() if b["metadata"]["name"] == NAME)
    verification = backup["status"]["verification"]
    assert verification["result"] == "Passed"
    assert verification["level"] == "integrity"
    assert backup["status"]["verifiedAt"] == verification["time"]
    assert world.condition("Verified")["status"] == "True"
    assert world.status()["compliant"] == "True"
    await world.tick(force=True)
    assert world.kube.event_reasons().count("VerificationPassed") == 2  # Backup and policy


async def test_an_unopenable_manifest_fails_verification_and_marks_the_backup_corrupt() -> None:
    world = World()
    world.policy(verification={"level": "integrity"})
    await world.tick(force=True)
    world.now += timedelta(seconds=20)
    world.finish_job(f"{NAME}-backup", succeeded(NAME))
    world.store.put_bytes(f"prod/{NS}/orders/{NAME}/manifest.json", b"not a manifest")
    await world.tick(force=True)
    backup = next(b for b in world.backups() if b["metadata"]["name"] == NAME)
    assert backup["status"]["verification"]["result"] == "Failed"
    assert backup["status"]["corrupt"] is True
    assert "VerificationFailed" in world.kube.event_reasons()


@pytest.mark.parametrize("method", [EquivalenceMethod.CONTENT, EquivalenceMethod.ROW_COUNTS])
async def test_what_equivalence_compared_reaches_status_condition_and_metrics(
    method: EquivalenceMethod,
) -> None:
    world = await backed_up()
    world.now += timedelta(seconds=10)
    why = "the dump tools changed since the backup (pg_dump), and a hash is of the tool's output"
    result = AgentResult(
        role="verify", outcome="succeeded", level_reached="equivalence", total_seconds=3.0,
        equivalence=method,
        equivalence_reason=why if method is EquivalenceMethod.ROW_COUNTS else None,
    )  # fmt: skip
    world.finish_job(f"{NAME}-verify", result)
    await world.tick(force=True)
    await world.tick(force=True)
    backup = next(b for b in world.backups() if b["metadata"]["name"] == NAME)
    verification = backup["status"]["verification"]
    verified = world.condition("Verified")
    snapshot = world.metrics.snapshots[(NS, "orders")]
    assert verification["equivalence"] == method.value
    assert verified["status"] == "True"
    if method is EquivalenceMethod.ROW_COUNTS:
        assert verification["equivalenceReason"] == why
        assert "row counts only" in verified["message"]
        assert snapshot.last_verification_content_checked is False
    else:
        assert verification.get("equivalenceReason") is None
        assert "row counts" not in verified["message"]
        assert snapshot.last_verification_content_checked is True
