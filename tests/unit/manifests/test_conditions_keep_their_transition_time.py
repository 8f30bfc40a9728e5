"""Conditions follow metav1.Condition: lastTransitionTime moves only when status changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from strongroom.manifests.status import ConditionValue, merge_conditions

T0 = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)


def test_same_status_keeps_the_time_and_new_status_moves_it() -> None:
    first = merge_conditions(
        None, [ConditionValue("Ready", "True", "SpecValid", "ok")], generation=1, now=T0
    )
    again = merge_conditions(
        first,
        [ConditionValue("Ready", "True", "SpecValid", "still ok")],
        generation=2,
        now=T0 + timedelta(hours=1),
    )
    assert again[0]["lastTransitionTime"] == "2026-05-01T03:00:00Z"
    assert again[0]["message"] == "still ok"
    assert again[0]["observedGeneration"] == 2
    flipped = merge_conditions(
        again,
        [ConditionValue("Ready", "False", "SecretMissing", "gone")],
        generation=2,
        now=T0 + timedelta(hours=2),
    )
    assert flipped[0]["lastTransitionTime"] == "2026-05-01T05:00:00Z"


def test_other_condition_types_are_kept_and_ordered() -> None:
    existing = merge_conditions(
        None, [ConditionValue("Verified", "False", "NeverVerified", "")], generation=1, now=T0
    )
    merged = merge_conditions(
        existing, [ConditionValue("Ready", "True", "SpecValid", "")], generation=1, now=T0
    )
    assert [c["type"] for c in merged] == ["Ready", "Verified"]
