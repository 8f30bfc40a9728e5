"""Part sizes for S3 multipart uploads: under the 10,000-part limit with bounded memory.

S3 allows at most 10,000 parts per upload, each between 5 MiB (except the last) and 5 GiB,
and objects up to 5 TiB. A dump's final size is unknown when the upload starts, so:

* :func:`part_size_for` picks a *base* part size from the expected size (the database size
  the operator measured, when known) so that the expected object fits in the first
  :data:`STEADY_PARTS` parts at a constant size — memory is then one part, independent of size;
* :func:`part_size_at` keeps that size for the first :data:`STEADY_PARTS` parts and doubles it
  every :data:`GROWTH_STEP` parts after that (capped at 5 GiB), so even an estimate that is far
  too small, or none at all, still fits a 5 TiB object into 10,000 parts. S3 accepts parts of
  different sizes in one upload.
"""

from __future__ import annotations

MiB = 1024 * 1024
GiB = 1024 * MiB
TiB = 1024 * GiB

#: S3's limit on the number of parts in one multipart upload.
MAX_PARTS = 10_000
#: S3's smallest allowed part (every part but the last).
MIN_PART_SIZE = 5 * MiB
#: S3's largest allowed part.
MAX_PART_SIZE = 5 * GiB
#: S3's largest object.
MAX_OBJECT_SIZE = 5 * TiB
#: Default part size: large enough for few requests, small enough to keep memory low.
DEFAULT_PART_SIZE = 8 * MiB
#: Parts sent at the base size before sizes start to grow.
STEADY_PARTS = 5_000
#: After :data:`STEADY_PARTS`, part size doubles every this many parts.
GROWTH_STEP = 500


def part_size_for(expected_size: int | None) -> int:
    """Return the base part size for an object of about ``expected_size`` bytes.

    Args:
        expected_size: The expected object size in bytes, or ``None`` when unknown.

    Returns:
        A whole number of MiB, at least :data:`DEFAULT_PART_SIZE`, at most
        :data:`MAX_PART_SIZE`, such that ``expected_size`` fits in :data:`STEADY_PARTS` parts.
    """
    if expected_size is None or expected_size <= 0:
        return DEFAULT_PART_SIZE
    per_part = -(-expected_size // STEADY_PARTS)
    whole_mib = -(-per_part // MiB) * MiB
    return min(max(DEFAULT_PART_SIZE, whole_mib), MAX_PART_SIZE)


def part_size_at(part_number: int, base: int) -> int:
    """Return the size of part ``part_number`` (1-based) for an upload with base size ``base``."""
    if part_number <= STEADY_PARTS:
        return base
    doublings = (part_number - STEADY_PARTS - 1) // GROWTH_STEP + 1
    return min(base << doublings, MAX_PART_SIZE)


def parts_needed(total_size: int, base: int) -> int:
    """Return how many parts an upload of ``total_size`` bytes uses with base size ``base``.

    Computed block by block (not part by part), so it is cheap even for 5 TiB.
    """
    if total_size <= 0:
        return 1
    remaining = total_size
    parts = 0
    block_start = 1
    while True:
        block_len = STEADY_PARTS if block_start == 1 else GROWTH_STEP
        size = part_size_at(block_start, base)
        block_bytes = size * block_len
        if remaining <= block_bytes:
            return parts + -(-remaining // size)
        remaining -= block_bytes
        parts += block_len
        block_start += block_len
