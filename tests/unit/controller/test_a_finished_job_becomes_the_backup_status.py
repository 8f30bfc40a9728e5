"""The agent's termination message becomes the Backup status; no result is never a success."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.controller.world import NS, World, failed, succeeded

from strongroom.kube.base import SECRETS

NAME = "orders-202603021000"
JOB = f"{NAME}-backup"


async def started() -> World:
    world = World()
    world.policy()
    await world.tick(force=True)
    world.now += timedelta(seconds=30)
    return world


async def test_success_records_sizes_keys_and_metrics_and_drops_the_key_secret() -> None:
    world = await started()
    world.finish_job(JOB, succeeded(NAME))
    await world.tick()
    status = world.backups()[0]["status"]
    assert status["phase"] == "Succeeded"
    assert status["sizeBytes"] == 1234
    assert status["tables"] == 7
    assert status["dataKey"] == f"prod/{NS}/orders/{NAME}/data.sr"
    assert status["keyVersion"] == 1
    assert (SECRETS.plural, NS, f"{JOB}-key") not in world.kube.objects
    assert world.metrics.runs == [(NS, "orders", "succeeded", 3.5)]
    assert world.condition("BackupSucceeded")["status"] == "True"
    snapshot = world.metrics.snapshots[(NS, "orders")]
    assert snapshot.last_backup_success is not None


async def test_failure_carries_the_agent_reason_to_status_condition_event_and_metrics() -> None:
    world = await started()
    world.finish_job(JOB, failed(), complete=False)
    await world.tick()
    status = world.backups()[0]["status"]
    assert status["phase"] == "Failed"
    assert status["failureReason"] == "DatabaseToolFailed"
    condition = world.condition("BackupSucceeded")
    assert (condition["status"], condition["reason"]) == ("False", "DatabaseToolFailed")
    assert "BackupFailed" in world.kube.event_reasons()
    assert world.metrics.runs[0][2] == "failed"
    assert world.metrics.snapshots[(NS, "orders")].last_backup_failure is not None


async def test_a_complete_job_without_a_result_is_not_trusted() -> None:
    world = await started()
    world.finish_job(JOB, None)
    await world.tick()
    status = world.backups()[0]["status"]
    assert status["phase"] == "Failed"
    assert status["failureReason"] == "ResultMissing"
