"""Retention deletes in the safe order — data, manifest, then the Backup — each with an Event."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.controller.world import World, succeeded


async def run_slots(world: World, count: int) -> list[str]:
    names = []
    for _ in range(count):
        await world.tick(force=True)
        running = [b for b in world.backups() if (b.get("status") or {}).get("phase") == "Running"]
        (backup,) = running
        name = backup["metadata"]["name"]
        world.now += timedelta(seconds=20)
        world.finish_job(f"{name}-backup", succeeded(name))
        await world.tick(force=True)
        names.append(name)
        world.now += timedelta(seconds=40)
    return names


async def test_keep_last_two_deletes_the_oldest_in_the_safe_order() -> None:
    world = World()
    world.policy(retention={"keepLast": 2})
    first, second, third = await run_slots(world, 3)
    await world.tick(force=True)
    names = [b["metadata"]["name"] for b in world.backups()]
    assert first not in names
    assert second in names
    assert third in names
    assert not [k for k in world.store.objects if f"/{first}/" in k]
    assert [k for k in world.store.objects if f"/{third}/" in k]
    deletions = [
        (verb, kind, name)
        for verb, kind, name in world.kube.calls
        if verb == "delete" and kind == "backups"
    ]
    assert deletions == [("delete", "backups", first)]
    reasons = [e.reason for _, e in world.kube.events if first in e.message]
    assert reasons.index("BackupObjectDeleted") < reasons.index("BackupDeleted")
    messages = [e.message for _, e in world.kube.events if e.reason == "BackupObjectDeleted"]
    assert "data.sr" in messages[0]
    assert "manifest.json" in messages[1]
