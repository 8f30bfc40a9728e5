"""Durations parse one unit; Backup names are deterministic DNS labels, hashed when long."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.api import Duration, Trigger, backup_name, parse_duration

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("12h", timedelta(hours=12)),
        ("30d", timedelta(days=30)),
        ("2w", timedelta(weeks=2)),
    ],
)
def test_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected
    assert Duration(text).seconds == expected.total_seconds()


@pytest.mark.parametrize("text", ["", "1", "1h30m", "1.5h", "-1h", "30 d", "1y", "h"])
def test_bad_durations_say_what_shape_is_wanted(text: str) -> None:
    with pytest.raises(ValueError, match="one unit of s, m, h, d or w"):
        parse_duration(text)


SLOT = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


def test_scheduled_and_manual_names() -> None:
    assert backup_name("orders", SLOT) == "orders-202603290130"
    assert backup_name("orders", SLOT, Trigger.MANUAL) == "orders-manual-20260329013000"
    berlin = SLOT.astimezone(timezone(timedelta(hours=2)))
    assert backup_name("orders", berlin) == "orders-202603290130", "the slot is written in UTC"


def test_long_names_are_cut_and_hashed_so_they_never_collide() -> None:
    a = backup_name("a" * 60 + "-one", SLOT)
    b = backup_name("a" * 60 + "-two", SLOT)
    assert a != b
    assert len(a) <= 63
    assert len(backup_name("x" * 253, SLOT, "manual")) <= 63


def test_naive_slots_are_refused() -> None:
    with pytest.raises(ValueError, match="time-zone aware"):
        backup_name("orders", datetime(2026, 1, 1))  # noqa: DTZ001


NAMES = st.from_regex(r"[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?", fullmatch=True)
SLOTS = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2099, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@settings(deadline=None, max_examples=50)
@given(name=NAMES, slot=SLOTS, trigger=st.sampled_from(list(Trigger)))
def test_every_name_is_a_dns_label_of_at_most_63_and_deterministic(
    name: str, slot: datetime, trigger: Trigger
) -> None:
    result = backup_name(name, slot, trigger)
    assert len(result) <= 63
    assert DNS_LABEL.match(result), result
    assert result == backup_name(name, slot, trigger)
