"""409 AlreadyExists: with our labels it is "already done"; a foreign object is skipped loudly."""

from __future__ import annotations

from tests.unit.controller.world import NS, World

from strongroom.kube.base import BACKUPS


async def test_an_existing_backup_of_ours_is_adopted_not_duplicated() -> None:
    world = World()
    world.policy()
    world.kube.put(
        BACKUPS,
        NS,
        {
            "metadata": {
                "name": "orders-202603021000",
                "labels": {
                    "app.kubernetes.io/managed-by": "strongroom",
                    "strongroom.dev/policy": "orders",
                },
            },
            "spec": {"policyRef": {"name": "orders"}, "scheduledTime": "2026-03-02T10:00:00Z"},
        },
    )
    await world.tick(force=True)
    assert len(world.backups()) == 1
    assert "BackupCreated" not in world.kube.event_reasons()
    assert len(world.jobs()) == 1


async def test_a_foreign_backup_with_our_name_is_skipped_with_an_event() -> None:
    world = World()
    world.policy()
    world.kube.put(
        BACKUPS,
        NS,
        {
            "metadata": {"name": "orders-202603021000", "labels": {"team": "someone-else"}},
            "spec": {"policyRef": {"name": "other"}, "scheduledTime": "2026-03-02T10:00:00Z"},
        },
    )
    await world.tick(force=True)
    assert "NameCollision" in world.kube.event_reasons()
    assert world.jobs() == []
