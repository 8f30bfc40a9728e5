"""A due slot becomes one Backup and one Job; repeated ticks and a lost memory never double it.

The timer calls the planner and hands its plan to the effects; a second tick in the same
minute — or a restarted operator that remembers nothing — meets the same deterministic names.
"""

from __future__ import annotations

from datetime import timedelta

from tests.unit.controller.world import NS, World

from strongroom.controller.runtime import PolicyMemory
from strongroom.kube.base import SECRETS


async def test_a_due_slot_creates_its_backup_its_job_and_the_key_secret() -> None:
    world = World()
    world.policy()
    outcome = await world.tick(force=True)
    assert outcome.ready
    assert [b["metadata"]["name"] for b in world.backups()] == ["orders-202603021000"]
    (job,) = world.jobs()
    assert job["metadata"]["name"] == "orders-202603021000-backup"
    key_secret = world.kube.objects[(SECRETS.plural, NS, "orders-202603021000-backup-key")]
    assert key_secret["metadata"]["ownerReferences"][0]["kind"] == "Job"
    assert set(key_secret["data"]) == {"job.json", "dek"}
    backup = world.backups()[0]
    assert backup["status"]["phase"] == "Running"
    assert backup["status"]["keyId"] == "orders-keyring"
    assert "metadata" in backup
    assert "ownerReferences" not in backup["metadata"]
    reasons = world.kube.event_reasons()
    assert reasons[:3] == ["KeyRingCreated", "BackupCreated", "BackupStarted"]


async def test_ticks_in_the_same_minute_and_a_restart_change_nothing() -> None:
    world = World()
    world.policy()
    await world.tick(force=True)
    world.now += timedelta(seconds=10)
    await world.tick(force=True)
    world.rt.memory.clear()  # an operator restart forgets everything in memory
    world.rt.remember(NS, "orders").__dict__.update(PolicyMemory().__dict__)
    await world.tick(force=True)
    assert len(world.backups()) == 1
    assert len(world.jobs()) == 1
    assert world.kube.event_reasons().count("BackupCreated") == 1


async def test_a_crash_between_job_and_key_secret_is_repaired_with_a_fresh_key() -> None:
    world = World()
    world.policy()
    await world.tick(force=True)
    # the operator died after creating the Job but before the key Secret and the status
    del world.kube.objects[(SECRETS.plural, NS, "orders-202603021000-backup-key")]
    backup = world.kube.objects[("backups", NS, "orders-202603021000")]
    backup.pop("status")
    await world.tick(force=True)
    assert (SECRETS.plural, NS, "orders-202603021000-backup-key") in world.kube.objects
    assert len(world.jobs()) == 1
    assert world.backups()[0]["status"]["phase"] == "Running"


async def test_nothing_due_without_the_indexes_costs_two_list_calls() -> None:
    world = World()
    world.policy(schedule={"cron": "0 0 1 1 *"}, objectives={"rpo": "400d"})
    await world.tick(force=True)
    world.kube.calls.clear()
    world.now += timedelta(seconds=10)
    outcome = await world.tick()
    assert outcome.skipped
    assert world.kube.calls == [("list", "backups", ""), ("list", "jobs", "")]
