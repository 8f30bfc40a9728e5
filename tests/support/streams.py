"""Feeding a dump stream hasher the same bytes in pieces, as a pipe would hand them out."""

from __future__ import annotations

from collections.abc import Iterable

from strongroom.engines.streamhash import StreamHasher


def fed_in_pieces(hasher: StreamHasher, data: bytes, cuts: Iterable[int] = ()) -> dict[str, str]:
    """Feed ``data`` cut at ``cuts`` (offsets, any order), then return ``hasher.finish()``."""
    start = 0
    for cut in sorted(cuts):
        hasher.feed(data[start:cut])
        start = max(start, cut)
    hasher.feed(data[start:])
    return hasher.finish()
