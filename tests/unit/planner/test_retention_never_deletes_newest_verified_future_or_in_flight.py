"""Retention invariants hold for any set of backups (hypothesis), and the plan is idempotent.

F13: the newest verified good backup is never deleted, even past maxAge. F6: a backup from
"the future" (clock skew) is kept and reported. In-flight backups are never deleted. Applying
the plan and planning again deletes nothing more.
"""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from planner_world import at, backup, given_policy, observed

from strongroom.api import BackupPhase, RetentionSpec
from strongroom.api.backup import VerificationResult
from strongroom.planner import DeleteBackup, Reason, plan
from strongroom.planner.model import ObservedBackup
from strongroom.planner.retention import kept_names, select

NOW = at("2026-06-30 12:00")
ZONE = ZoneInfo("Europe/Berlin")

PHASES = st.sampled_from(
    [BackupPhase.SUCCEEDED] * 6 + [BackupPhase.FAILED, BackupPhase.RUNNING, None]
)


@st.composite
def backups(draw: st.DrawFn) -> tuple[ObservedBackup, ...]:
    offsets = draw(
        st.lists(
            st.integers(min_value=-48, max_value=24 * 400), min_size=0, max_size=40, unique=True
        )
    )
    result = []
    for offset in offsets:
        slot = NOW - timedelta(hours=offset)
        phase = draw(PHASES)
        verified = draw(
            st.sampled_from([None, None, VerificationResult.PASSED, VerificationResult.FAILED])
        )
        if phase is not BackupPhase.SUCCEEDED:
            verified = None
        result.append(
            backup(
                slot, phase=phase, verified=verified, corrupt=verified is VerificationResult.FAILED
            )
        )
    return tuple(result)


@st.composite
def rules(draw: st.DrawFn) -> RetentionSpec:
    counts = {
        k: draw(st.integers(min_value=0, max_value=5))
        for k in ("keepLast", "hourly", "daily", "weekly", "monthly", "yearly")
    }
    if not any(counts.values()):
        counts["keepLast"] = 1
    max_age = draw(st.sampled_from([None, "30d", "400d", "12h"]))
    return RetentionSpec.model_validate({**counts, "maxAge": max_age})


def newest(items: list[ObservedBackup]) -> ObservedBackup | None:
    return max(items, key=lambda b: (b.slot, b.name)) if items else None


@settings(deadline=None, max_examples=60)
@given(items=backups(), policy_rules=rules())
def test_invariants_hold_for_any_backups_and_rules(
    items: tuple[ObservedBackup, ...], policy_rules: RetentionSpec
) -> None:
    decisions = select(items, policy_rules, ZONE, NOW)
    kept = kept_names(decisions)
    assert {d.name for d in decisions} == {b.name for b in items}, "every backup gets a decision"

    verified = newest([b for b in items if b.verified_good and b.slot <= NOW])
    if verified is not None:
        assert verified.name in kept
    for item in items:
        if item.slot > NOW:
            assert item.name in kept
        if item.in_flight:
            assert item.name in kept
    failed = [b for b in items if b.phase is BackupPhase.FAILED and b.slot <= NOW]
    assert sum(1 for b in failed if b.name in kept) <= 1

    # Idempotent: selecting again over what was kept deletes nothing more.
    survivors = tuple(b for b in items if b.name in kept)
    assert kept_names(select(survivors, policy_rules, ZONE, NOW)) == kept


@settings(deadline=None, max_examples=60)
@given(items=backups(), policy_rules=rules())
def test_each_rule_keeps_at_least_its_count_of_distinct_periods(
    items: tuple[ObservedBackup, ...], policy_rules: RetentionSpec
) -> None:
    kept = kept_names(select(items, policy_rules, ZONE, NOW))
    good = sorted(
        (b for b in items if b.good and b.slot <= NOW), key=lambda b: b.slot, reverse=True
    )
    if policy_rules.max_age is not None:
        limit = NOW - policy_rules.max_age.to_timedelta()
        good = [b for b in good if b.slot >= limit]
    expected_last = min(policy_rules.keep_last or 0, len(good))
    assert all(b.name in kept for b in good[:expected_last])
    days = {b.slot.astimezone(ZONE).date() for b in good}
    kept_days = {b.slot.astimezone(ZONE).date() for b in good if b.name in kept}
    assert len(kept_days) >= min(policy_rules.daily or 0, len(days))


def test_the_newest_verified_backup_survives_max_age_and_every_rule() -> None:
    old_verified = backup("2025-01-01 03:00", verified=VerificationResult.PASSED)
    fresh = [backup(NOW - timedelta(days=d)) for d in range(1, 4)]
    decisions = select((old_verified, *fresh), RetentionSpec(keep_last=1, max_age="30d"), ZONE, NOW)
    reasons = {d.name: d.reason for d in decisions}
    assert reasons[old_verified.name] == Reason.RETENTION_NEWEST_VERIFIED


def test_a_backup_from_the_future_is_kept_and_reported() -> None:
    future = backup(NOW + timedelta(hours=3))
    result = plan(
        given_policy(retention={"keepLast": 1}), observed(future, backup("2026-06-30 03:00")), NOW
    )
    assert all(not (isinstance(a, DeleteBackup) and a.name == future.name) for a in result.actions)
    assert any(
        n.reason is Reason.RETENTION_FUTURE and future.name in n.message for n in result.notes
    )


def test_applying_the_plan_then_planning_again_deletes_nothing_more() -> None:
    policy = given_policy(retention={"keepLast": 2, "daily": 3, "weekly": 2})
    items = [backup(NOW - timedelta(hours=6 * i)) for i in range(1, 60)]
    first = plan(policy, observed(*items), NOW)
    deleted = {a.name for a in first.actions if isinstance(a, DeleteBackup)}
    assert deleted
    second = plan(policy, observed(*(b for b in items if b.name not in deleted)), NOW)
    assert [a for a in second.actions if isinstance(a, DeleteBackup)] == []
