"""A fleet costs little between slots, and a slot's Backup does not wait for a full look.

The policy loop passes the indexes' digest of the policy's Backups and Jobs (``seen``): while it
and the spec are unchanged, the policy was Ready and neither ``next_wake`` nor the resync has
come, a look makes no API call — also while a run is in flight. A change (a Job finishing)
brings a full look; ``next_wake`` brings a planned look on the last observation, which creates
a due Backup first; the resync brings a full look (Secrets are not indexed).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tests.unit.controller.world import NS, POLICY, World, succeeded

from strongroom.controller import reconcile as reconcile_module
from strongroom.controller.reconcile import (
    Outcome,
    _job_pairs,
    _pairs,
    reconcile,
    seen_digest,
    sleep_seconds,
)
from strongroom.controller.runtime import PolicyMemory, spread
from strongroom.errors import ConfigError
from strongroom.kube.base import BACKUPS, JOBS, SECRETS
from strongroom.planner import plan as make_plan


def indexed(world: World) -> str:
    """The digest the shared indexes would hold for the policy (they see what is stored)."""
    return seen_digest(_pairs(world.backups()), _job_pairs(world.jobs()))


async def look(world: World) -> Outcome:
    return await reconcile(world.rt, world.body(), seen=indexed(world))


def calls(world: World) -> list[str]:
    return [f"{verb} {kind} {name}".strip() for verb, kind, name in world.kube.calls]


async def test_a_run_in_flight_costs_no_api_call_until_its_job_changes() -> None:
    world = World()
    world.policy()
    await world.tick(force=True)  # the 10:00 slot: Backup, Job, key Secret
    await look(world)  # the new Job is seen once; then the world is quiet
    world.kube.calls.clear()
    for _ in range(3):
        world.now += timedelta(seconds=5)
        outcome = await look(world)
        assert outcome.skipped
    assert world.kube.calls == []
    # When the Job ends (not while its status merely changes), a full look records it.
    running = world.kube.objects[(JOBS.plural, NS, world.jobs()[0]["metadata"]["name"])]
    running["status"] = {"active": 1}
    running["metadata"]["resourceVersion"] = "9999"
    assert (await look(world)).skipped
    job = world.jobs()[0]["metadata"]["name"]
    world.finish_job(job, succeeded("orders-202603021000"))
    outcome = await look(world)
    assert not outcome.skipped
    assert world.backups()[0]["status"]["phase"] == "Succeeded"


async def test_the_next_slot_creates_its_backup_before_the_full_look() -> None:
    world = World()
    world.policy()
    await world.tick(force=True)
    job = world.jobs()[0]["metadata"]["name"]
    world.finish_job(job, succeeded("orders-202603021000"))
    await look(world)
    await look(world)
    wake = world.rt.memory[(NS, POLICY)].next_wake
    assert wake is not None
    assert wake.second == 0  # the next slot itself, not a tick after it
    assert sleep_seconds(world.rt, NS, POLICY) <= world.rt.config.timer_interval
    world.now = wake
    world.kube.calls.clear()
    outcome = await look(world)
    assert outcome.started == ("orders-202603021001",)
    first_write = next(c for c in calls(world) if not c.startswith(("get", "list")))
    assert first_write == "create backups orders-202603021001"
    names = sorted(b["metadata"]["name"] for b in world.backups())
    assert names == ["orders-202603021000", "orders-202603021001"]


async def test_a_wake_with_nothing_due_writes_only_the_status() -> None:
    world = World()
    world.policy(schedule={"cron": "0 3 * * *"}, objectives={"rpo": "2d"})
    await world.tick(force=True)  # 10:00: the 03:00 slot passed before the policy existed
    memory = world.rt.memory[(NS, POLICY)]
    memory.next_wake = world.now + timedelta(seconds=30)  # a wake with nothing due at it
    world.now += timedelta(seconds=30)
    world.kube.calls.clear()
    outcome = await look(world)
    assert outcome.reason == "Planned"
    assert calls(world) == [f"patch_status backuppolicies {POLICY}"]
    assert world.status()["lastCheckTime"] == world.now.strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_the_resync_takes_a_full_look_and_notices_a_deleted_secret() -> None:
    world = World()
    world.policy(schedule={"cron": "0 0 1 1 *"}, objectives={"rpo": "400d"})
    await world.tick(force=True)
    del world.kube.objects[(SECRETS.plural, NS, "db-login")]
    world.now += timedelta(seconds=10)
    assert (await look(world)).skipped  # Secrets are not indexed: quiet until the resync
    world.now += timedelta(seconds=world.rt.config.resync_interval * 1.25)
    with pytest.raises(ConfigError):
        await look(world)
    assert world.condition("Ready")["reason"] == "SecretMissing"


def test_a_fleet_resyncs_spread_over_half_an_interval() -> None:
    factors = [spread("shop", f"db-{i:03d}") for i in range(200)]
    assert all(0.75 <= f < 1.25 for f in factors)
    assert max(factors) - min(factors) > 0.4
    assert spread("shop", "db-001") == spread("shop", "db-001")


def test_the_indexes_and_a_full_look_digest_alike() -> None:
    one = seen_digest([("b1", "7"), ("b2", "9")], [("j1", "3")])
    assert one == seen_digest([("b2", "9"), ("b1", "7")], [("j1", "3")])
    assert one != seen_digest([("b1", "7"), ("b2", "10")], [("j1", "3")])
    assert one != seen_digest([("b1", "7"), ("b2", "9")], [])
    assert seen_digest([], [("x", "1")]) != seen_digest([("x", "1")], [])


async def test_a_policy_that_is_not_ready_gets_a_full_look_every_time() -> None:
    world = World()
    world.policy(secrets=False)
    for _ in range(2):
        world.kube.calls.clear()
        with pytest.raises(ConfigError):  # raised after it is reported as Ready=False
            await look(world)
        assert any(c.startswith("get secrets") for c in calls(world))
    assert world.rt.memory[(NS, POLICY)].next_wake is None
    assert sleep_seconds(world.rt, NS, POLICY) == world.rt.config.timer_interval
    assert world.kube.objects.get((BACKUPS.plural, NS, "orders-202603021000")) is None


async def test_at_the_slot_the_backup_is_asked_for_before_any_planning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = World()
    world.policy(schedule={"cron": "5 10 * * *"}, objectives={"rpo": "2d"})
    await world.tick(force=True)  # 10:00:30: the 10:05 slot is ahead; its plan is made now
    memory = world.rt.memory[(NS, POLICY)]
    assert memory.next_wake is not None
    assert memory.next_wake.minute == 5
    memory.resync_at = 0.0  # and the resync falls due at the same moment

    def counted(*args: Any, **kwargs: Any) -> Any:
        world.kube.calls.append(("plan", "", ""))
        return make_plan(*args, **kwargs)

    monkeypatch.setattr(reconcile_module, "make_plan", counted)
    world.now = memory.next_wake
    world.kube.calls.clear()
    outcome = await look(world)  # the resync is due too: the Backup still comes first
    assert calls(world)[0] == "create backups orders-202603021005"
    assert outcome.started == ("orders-202603021005",)


def test_notes_said_once_do_not_grow_without_bound() -> None:
    notes = PolicyMemory().notes_posted
    for minute in range(1000):  # one "slot waits for the run in flight" note per slot
        notes.add(f"BackupInFlight:slot 10:{minute:04d} waits")
    assert len(notes) == 256
    assert "BackupInFlight:slot 10:0999 waits" in notes
    assert "BackupInFlight:slot 10:0000 waits" not in notes
