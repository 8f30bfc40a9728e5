"""Strongroom's backup and verification, timed against what the engine's own tools do alone.

For each engine, on the generated store (``STRONGROOM_BENCH_SIZE``, 1 GB by default): the plain
dump to /dev/null, the naive ``dump | gzip | openssl enc`` pipeline, Strongroom's backup into a
discarding store and into the local S3 endpoint (and that endpoint alone), the output sizes
against ``zstd -3``, and ``strongroom agent verify`` against a plain restore of the dump. The
figures land in docs/benchmarks.md; the test itself fails only when something does not work
(a backup, a verification, an object that is not where the result says) — never on a time.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.bench.engine_bench import EngineBench, engine_title
from tests.bench.report import write_report
from tests.bench.session import Bench
from tests.support.s3 import S3Server


@pytest.mark.parametrize("engine", ["postgresql", "mysql"])
def test_backup_and_verify_cost_against_the_native_tools(
    engine: str, bench: Bench, s3_server: S3Server, bucket: str, tmp_path: Path
) -> None:
    store = bench.stores(engine, bench.settings.size)
    section = bench.report.section(f"{engine_title(engine)}, {bench.settings.size} store")

    rows = EngineBench(store, s3_server, bucket, tmp_path, bench.report).run(section)
    write_report(bench.report)

    runs = bench.settings.runs
    for row in (rows.dump, rows.naive, rows.null, rows.s3, rows.restore, rows.verify):
        assert len(row.series.values) == runs, row.label
    # Every verification restored the backup and found the fingerprints taken at dump time.
    assert len(rows.verify_restore.series.values) == runs
    assert rows.data_size.series.low > 0
