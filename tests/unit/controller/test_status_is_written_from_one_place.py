"""Each reconcile writes the policy status exactly once, through the status subresource."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.controller.world import World


async def test_one_status_patch_per_reconcile_and_none_on_the_spec() -> None:
    world = World()
    world.policy()
    for _ in range(3):
        world.kube.calls.clear()
        await world.tick(force=True)
        policy_writes = [c for c in world.kube.calls if c[1] == "backuppolicies"]
        assert policy_writes == [("patch_status", "backuppolicies", "orders")]
        world.now += timedelta(seconds=5)
    status = world.status()
    assert status["observedGeneration"] == 1
    assert status["lastScheduleTime"] == "2026-03-02T10:00:00Z"
    assert status["nextScheduleTime"] == "2026-03-02T10:01:00Z"
