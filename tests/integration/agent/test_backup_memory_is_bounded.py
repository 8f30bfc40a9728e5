"""The agent streams: a backup ten times larger does not need more memory (RELIABILITY F10).

Peak RSS of the real agent process (``os.wait4``) for the per-test store, then for the same
store with about 48 MB more table data. Only memory is asserted, never time; the benchmark
(tests/bench) records real figures at larger sizes.
"""

from __future__ import annotations

from typing import Any

Harness = Any  # fixture types live in this directory's conftest.py
Store = Any

#: Extra data: hex text of random digests, about 2:1 compressible, so the object needs
#: several S3 parts and many encryption segments.
GROW = """
CREATE TABLE public.attachments (id integer PRIMARY KEY, body text NOT NULL);
INSERT INTO public.attachments
SELECT g, (SELECT string_agg(md5(random()::text || g || i), '') FROM generate_series(1, 128) i)
FROM generate_series(1, 12000) g
"""
#: What the larger backup may add on top of the small one: two 8 MiB parts, a 1 MiB segment,
#: zstd's window and read buffers, with room for allocator noise.
GROWTH_LIMIT_KIB = 48 * 1024


def test_peak_memory_does_not_grow_with_the_database(
    harness: Harness, pg: Store, postgres_server: Any
) -> None:
    job = harness.job("backup", engine="postgresql", backup="small", source=pg.source)
    small = harness.agent("backup", job)
    assert small.returncode == 0, small.stderr

    postgres_server.execute(pg.source.database, GROW)
    job = harness.job("backup", engine="postgresql", backup="large", source=pg.source)
    large = harness.agent("backup", job)
    assert large.returncode == 0, large.stderr
    assert large.result is not None
    assert small.result is not None
    assert large.result.plaintext_size is not None
    assert small.result.plaintext_size is not None
    assert large.result.plaintext_size > 8 * small.result.plaintext_size
    assert large.result.data_size is not None
    assert large.result.data_size > 2 * 8 * 1024 * 1024  # at least three S3 parts

    growth = large.peak_rss_kib - small.peak_rss_kib
    assert growth < GROWTH_LIMIT_KIB, (
        f"peak RSS grew by {growth} KiB ({small.peak_rss_kib} → {large.peak_rss_kib} KiB) for "
        f"{large.result.plaintext_size} vs {small.result.plaintext_size} dump bytes"
    )
