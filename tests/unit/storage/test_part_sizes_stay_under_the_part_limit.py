"""Part sizes keep every upload under S3's 10,000-part limit, whatever the estimate was."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.storage.parts import (
    DEFAULT_PART_SIZE,
    MAX_OBJECT_SIZE,
    MAX_PART_SIZE,
    MAX_PARTS,
    MIN_PART_SIZE,
    STEADY_PARTS,
    part_size_at,
    part_size_for,
    parts_needed,
)

sizes = st.integers(min_value=0, max_value=MAX_OBJECT_SIZE)


@settings(max_examples=300, deadline=None)
@given(expected=sizes)
def test_the_expected_size_fits_at_one_constant_part_size(expected: int) -> None:
    base = part_size_for(expected)
    assert MIN_PART_SIZE <= base <= MAX_PART_SIZE
    assert parts_needed(expected, base) <= STEADY_PARTS


@settings(max_examples=300, deadline=None)
@given(expected=st.one_of(st.none(), sizes), actual=sizes)
def test_any_real_size_fits_even_when_the_estimate_was_wrong(
    expected: int | None, actual: int
) -> None:
    base = part_size_for(expected)
    assert parts_needed(actual, base) <= MAX_PARTS


@settings(max_examples=200, deadline=None)
@given(expected=st.one_of(st.none(), sizes), part=st.integers(min_value=1, max_value=MAX_PARTS))
def test_every_part_is_within_the_s3_bounds(expected: int | None, part: int) -> None:
    size = part_size_at(part, part_size_for(expected))
    assert MIN_PART_SIZE <= size <= MAX_PART_SIZE


def test_small_and_unknown_sizes_use_the_default_part_size() -> None:
    assert part_size_for(None) == DEFAULT_PART_SIZE
    assert part_size_for(1) == DEFAULT_PART_SIZE
    assert part_size_for(10 * 1024**3) == DEFAULT_PART_SIZE


def test_parts_needed_matches_a_part_by_part_count() -> None:
    base = MIN_PART_SIZE
    total = STEADY_PARTS * base + 3 * part_size_at(STEADY_PARTS + 1, base) + 1
    assert parts_needed(total, base) == STEADY_PARTS + 4
