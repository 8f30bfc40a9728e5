"""Deleting a policy: Retain keeps every Backup and object; Delete removes them, objects first."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.controller.world import NS, World, succeeded

from strongroom.controller.reconcile import delete_policy

NAME = "orders-202603021000"


async def backed_up(policy: str) -> World:
    world = World()
    world.policy(deletionPolicy=policy)
    await world.tick(force=True)
    world.now += timedelta(seconds=20)
    world.finish_job(f"{NAME}-backup", succeeded(NAME))
    await world.tick(force=True)
    return world


async def test_retain_keeps_backups_and_objects_and_forgets_the_metrics() -> None:
    world = await backed_up("Retain")
    objects = dict(world.store.objects)
    assert await delete_policy(world.rt, world.body()) == 0
    assert [b["metadata"]["name"] for b in world.backups()] == [NAME]
    assert world.store.objects == objects
    assert "BackupsRetained" in world.kube.event_reasons()
    assert world.metrics.forgotten == [(NS, "orders")]


async def test_delete_removes_objects_then_backups() -> None:
    world = await backed_up("Delete")
    assert await delete_policy(world.rt, world.body()) == 1
    assert world.backups() == []
    assert not [k for k in world.store.objects if f"/{NAME}/" in k]
    reasons = world.kube.event_reasons()
    assert reasons.index("BackupObjectDeleted") < reasons.index("BackupDeleted")
