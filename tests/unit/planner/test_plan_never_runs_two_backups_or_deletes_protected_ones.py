"""Whatever the world looks like, a plan starts at most one backup, never while one is in flight,
never for a slot outside startingDeadline, and never deletes a protected backup (F6, F7, F13)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from planner_world import at, backup, given_policy, observed

from strongroom.api import BackupPhase
from strongroom.api.backup import VerificationResult
from strongroom.planner import CreateBackup, DeleteBackup, plan
from strongroom.planner.model import ObservedBackup

START = at("2026-03-20 00:00")
POLICY = given_policy(
    schedule={"cron": "0 */6 * * *", "timeZone": "Europe/Berlin", "startingDeadline": "2h"},
    retention={"keepLast": 2, "daily": 2},
    objectives={"rpo": "7h"},
)


@st.composite
def worlds(draw: st.DrawFn) -> tuple[tuple[ObservedBackup, ...], datetime]:
    now = START + timedelta(minutes=draw(st.integers(min_value=0, max_value=60 * 24 * 20)))
    hours = draw(st.lists(st.integers(min_value=-12, max_value=24 * 20), max_size=25, unique=True))
    items = []
    for h in hours:
        phase = draw(
            st.sampled_from(
                [BackupPhase.SUCCEEDED] * 4 + [BackupPhase.FAILED, BackupPhase.RUNNING, None]
            )
        )
        verified = (
            draw(st.sampled_from([None, VerificationResult.PASSED]))
            if phase is BackupPhase.SUCCEEDED
            else None
        )
        items.append(backup(now - timedelta(hours=h), phase=phase, verified=verified))
    return tuple(items), now


@settings(deadline=None, max_examples=40)
@given(world=worlds())
def test_plan_invariants(world: tuple[tuple[ObservedBackup, ...], datetime]) -> None:
    items, now = world
    result = plan(POLICY, observed(*items), now)
    creates = [a for a in result.actions if isinstance(a, CreateBackup)]
    deletes = {a.name for a in result.actions if isinstance(a, DeleteBackup)}
    assert len(creates) <= 1
    if any(b.in_flight for b in items):
        assert creates == []
    for create in creates:
        assert create.slot <= now
        assert now - create.slot <= timedelta(hours=2)
        assert create.slot not in {b.slot for b in items}
    verified = [b for b in items if b.verified_good and b.slot <= now]
    if verified:
        assert max(verified, key=lambda b: (b.slot, b.name)).name not in deletes
    for item in items:
        if item.in_flight or item.slot > now:
            assert item.name not in deletes
    assert now < result.next_wake <= now + timedelta(hours=1)
